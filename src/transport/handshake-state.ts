/**
 * The connection handshake as a pure state machine: hello (version, window, client nonce) ->
 * challenge (window, server nonce) -> auth proofs both ways when a pre-shared key is set, then record
 * keys for both directions. It decides; the connection writes the frames and changes state.
 *
 * Keyed, the client offers the record-layer features it speaks (`features` in its hello) and the
 * server answers with those it speaks too (in its challenge); the answer is what both ends use, and
 * both proofs and the record keys cover it. A peer that offers or answers none (older code, which
 * ignores the field) gets none.
 */
import { computeProof, makeNonce, verifyProof, type HandshakeTranscript } from './auth/handshake.js';
import { deriveRecordKeys, type RecordKeys } from './auth/record-layer.js';
import type { Frame, JsonValue, MessageFrame } from './codec/frame.js';
import type { CreditWindow } from './transport.js';

/**
 * Optional features of a keyed connection's records, negotiated in the handshake:
 * - `no-crc`: frames inside records leave out their CRC32 (the record's tag authenticates them);
 * - `credit-ask`: an end the peer's credit holds back asks for a report (a credit frame
 *   `{ ask: true }`), so neither end sends delayed credit reports on a timer.
 */
export const WIRE_FEATURES = ['no-crc', 'credit-ask'] as const;
/** One of {@link WIRE_FEATURES}. */
export type WireFeature = (typeof WIRE_FEATURES)[number];

/** What the connection must do after one handshake frame. */
export type HandshakeStep =
  | { readonly kind: 'continue'; readonly send: MessageFrame }
  | {
      readonly kind: 'ready';
      readonly send?: MessageFrame;
      readonly keys?: RecordKeys;
      /** Features both ends agreed to (keyed only). */
      readonly features?: readonly WireFeature[];
    }
  | { readonly kind: 'refuse'; readonly event: string; readonly message: string; readonly notify: boolean }
  | { readonly kind: 'refused-by-peer'; readonly message: string };

/** Wire form of a window inside the handshake transcript. */
export function windowString(w: CreditWindow): string {
  return `${w.frames},${w.bytes}`;
}

function parseWindow(body: JsonValue): CreditWindow | undefined {
  const w = (body as { window?: { frames?: unknown; bytes?: unknown } } | null)?.window;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  return w && ok(w.frames) && ok(w.bytes)
    ? { frames: w.frames as number, bytes: w.bytes as number }
    : undefined;
}

/** A field of a JSON object body, undefined for anything else. */
export function field(body: JsonValue, name: string): unknown {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? body[name] : undefined;
}

const control = (type: MessageFrame['type'], body: JsonValue): MessageFrame => ({
  type,
  streamId: 0,
  seq: 0,
  body,
});
const refuse = (event: string, message: string, notify = true): HandshakeStep => ({
  kind: 'refuse',
  event,
  message,
  notify,
});

/** One end's handshake. */
export class HandshakeState {
  /** The window the peer granted (valid once its hello/challenge arrived). */
  peerWindow: CreditWindow = { frames: 1, bytes: 1 };
  private nonceC = '';
  private nonceS = '';
  private peerWindowString = '';
  private agreed: WireFeature[] = [];

  /** `features`: what this end offers (client) or accepts (server) when keyed; default all it speaks. */
  constructor(
    private readonly role: 'client' | 'server',
    private readonly psk: Buffer | undefined,
    private readonly window: CreditWindow,
    private readonly features: readonly WireFeature[] = WIRE_FEATURES,
  ) {}

  /** The client's opening frame. */
  hello(): MessageFrame {
    if (this.psk) this.nonceC = makeNonce();
    const offer = this.psk && this.features.length > 0;
    return control('hello', {
      version: 1,
      window: { ...this.window },
      ...(this.psk ? { nonce: this.nonceC } : {}),
      ...(offer ? { features: [...this.features] } : {}),
    });
  }

  /** Decides what one received frame means. */
  onFrame(f: Frame): HandshakeStep {
    const body = f.type === 'tensor' ? null : f.body;
    if (f.type === 'error') return { kind: 'refused-by-peer', message: String(field(body, 'message')) };
    const step = `${this.role}:${f.type}`;
    const psk = this.psk;
    if (step === 'server:hello' && !this.nonceS) {
      if (!this.takeWindow(body) || field(body, 'version') !== 1)
        return refuse('bad-hello', 'hello without a valid version/window');
      const nonce = field(body, 'nonce');
      if (psk && typeof nonce !== 'string')
        return refuse('auth-refused', 'unauthenticated peer (no key offered) refused');
      if (!psk && nonce !== undefined)
        return refuse('auth-refused', 'peer wants authentication but this end has no key');
      this.nonceC = typeof nonce === 'string' ? nonce : '';
      this.nonceS = psk ? makeNonce() : '-';
      const offered = field(body, 'features');
      // features nobody here speaks are ignored: a newer client still gets what both share
      if (psk && Array.isArray(offered)) this.agreed = this.features.filter((f) => offered.includes(f));
      const challenge = control('challenge', {
        window: { ...this.window },
        ...(psk ? { nonce: this.nonceS } : {}),
        ...(this.agreed.length > 0 ? { features: [...this.agreed] } : {}),
      });
      return psk ? { kind: 'continue', send: challenge } : { kind: 'ready', send: challenge };
    }
    if (step === 'client:challenge' && !this.nonceS) {
      if (!this.takeWindow(body)) return refuse('bad-challenge', 'challenge without a valid window');
      const nonce = field(body, 'nonce');
      if (psk && typeof nonce !== 'string')
        return refuse('auth-refused', 'server did not authenticate (it has no key)');
      if (!psk && nonce !== undefined)
        return refuse('auth-refused', 'server requires a pre-shared key; none given', false);
      this.nonceS = typeof nonce === 'string' ? nonce : '-';
      const answer = field(body, 'features');
      if (answer !== undefined) {
        const known = (f: unknown): f is WireFeature => this.features.includes(f as WireFeature);
        if (!psk || !Array.isArray(answer) || !answer.every(known))
          return refuse(
            'bad-challenge',
            `challenge agrees to features this end did not offer: ${JSON.stringify(answer)}`,
          );
        this.agreed = this.features.filter((f) => answer.includes(f));
      }
      if (!psk) return { kind: 'ready' };
      return {
        kind: 'continue',
        send: control('auth', { proof: computeProof(psk, 'client', this.transcript()) }),
      };
    }
    if (step === 'server:auth' && psk && this.nonceS) {
      if (!verifyProof(psk, 'client', this.transcript(), field(body, 'proof')))
        return refuse('auth-failed', 'client proof is wrong (different key)');
      return {
        kind: 'ready',
        send: control('auth', { proof: computeProof(psk, 'server', this.transcript()) }),
        keys: deriveRecordKeys(psk, 'server', this.transcript()),
        features: this.agreed,
      };
    }
    if (step === 'client:auth' && psk && this.nonceS) {
      if (!verifyProof(psk, 'server', this.transcript(), field(body, 'proof')))
        return refuse('auth-failed', 'server proof is wrong (different key)');
      return {
        kind: 'ready',
        keys: deriveRecordKeys(psk, 'client', this.transcript()),
        features: this.agreed,
      };
    }
    return refuse('bad-handshake', `unexpected ${f.type} frame during the handshake`);
  }

  private takeWindow(body: JsonValue): boolean {
    const w = parseWindow(body);
    if (!w) return false;
    this.peerWindow = w;
    this.peerWindowString = windowString(w);
    return true;
  }

  private transcript(): HandshakeTranscript {
    const mine = windowString(this.window);
    const client = this.role === 'client' ? mine : this.peerWindowString;
    const server = this.role === 'client' ? this.peerWindowString : mine;
    return {
      clientNonce: this.nonceC,
      serverNonce: this.nonceS,
      clientWindow: client,
      serverWindow: server,
      ...(this.agreed.length > 0 ? { features: this.agreed.join(',') } : {}),
    };
  }
}
