/**
 * Pure pieces of the pre-shared-key handshake (HMAC-SHA256 challenge/response in both directions).
 *
 * client -> hello {nonceC}        server -> challenge {nonceS}
 * client -> auth {proofC}         server checks proofC, -> auth {proofS}; client checks proofS
 * Both then encrypt every later frame with per-direction keys derived from the psk and both nonces
 * (see `record-layer.ts`).
 * Each proof binds both nonces, both advertised receive windows and the agreed record features, so
 * none of them can be replayed or altered by a man in the middle without the key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of each side's random nonce. */
export const NONCE_BYTES = 32;
/** Smallest accepted pre-shared key. */
export const MIN_KEY_BYTES = 16;

/** What each proof covers besides the role. */
export interface HandshakeTranscript {
  readonly clientNonce: string;
  readonly serverNonce: string;
  /** Advertised receive windows, as "frames,bytes". */
  readonly clientWindow: string;
  readonly serverWindow: string;
  /** Record features both ends agreed to, comma-separated; absent when none (as older peers). */
  readonly features?: string;
}

/** The transcript as one string; features appear only when agreed, so older peers' transcripts stay as they were. */
export function transcriptString(t: HandshakeTranscript): string {
  const base = `${t.clientNonce}|${t.serverNonce}|${t.clientWindow}|${t.serverWindow}`;
  return t.features ? `${base}|features=${t.features}` : base;
}

/** A fresh random nonce, hex-encoded. */
export function makeNonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

/** The proof one side sends: HMAC-SHA256 over the role and the transcript, hex-encoded. */
export function computeProof(key: Uint8Array, role: 'client' | 'server', t: HandshakeTranscript): string {
  return createHmac('sha256', key)
    .update(`edgesplit-auth-v1|${role}|${transcriptString(t)}`)
    .digest('hex');
}

/** Constant-time check of a received proof. */
export function verifyProof(
  key: Uint8Array,
  role: 'client' | 'server',
  t: HandshakeTranscript,
  proof: unknown,
): boolean {
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(computeProof(key, role, t), 'hex'), Buffer.from(proof, 'hex'));
}
