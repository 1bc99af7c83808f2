/**
 * The one Connection implementation, over any {@link ByteDuplex}: handshake (optionally keyed),
 * credit flow control, bounded receive queue, rejection of bad frames with an error frame back.
 * With a key, every frame after the handshake travels inside an AEAD record (`auth/record-layer.ts`),
 * sealed below the frame codec and above the byte stream, so link emulation carries ciphertext.
 * Frames go out through an {@link Outbox}: frames sent together share one write (one record).
 */
import { FrameDecoder, type DecodeResult } from './codec/decoder.js';
import {
  encodeFrameParts,
  ownsItsBytes,
  resolveLimits,
  type EncodedFrame,
  type Frame,
  type FrameLimits,
  type MessageFrame,
} from './codec/frame.js';
import { MIN_KEY_BYTES } from './auth/handshake.js';
import { RecordOpener, RecordSealer, type RecordKeys } from './auth/record-layer.js';
import { CREDITED_TYPES } from './credit.js';
import { CreditReports } from './credit-reports.js';
import { HandshakeState, field, windowString, type WireFeature } from './handshake-state.js';
import { MAX_COALESCED_RECORD_BYTES, Outbox } from './outbox.js';
import { ReceiveQueue } from './receive-queue.js';
import { SendQueue } from './send-queue.js';
import { AuthError, TransportError } from './errors.js';
import {
  DEFAULT_WINDOW,
  type ByteDuplex,
  type CloseInfo,
  type Connection,
  type ConnectionOptions,
  type ConnectionStats,
  type CreditWindow,
  type TransportLogEvent,
} from './transport.js';

type Role = 'client' | 'server';

/** An unauthenticated peer may not make this end buffer more than this before the handshake is done. */
const MAX_HANDSHAKE_BYTES = 64 * 1024;

/** Default log sink: warnings and errors to stderr, one line each. */
export function stderrLog(e: TransportLogEvent): void {
  if (e.level !== 'info')
    process.stderr.write(`edgesplit transport ${e.level} ${e.event} ${e.remote}: ${e.message}\n`);
}

/** A framed connection over a byte stream; `ready` settles when the handshake is done. */
export class FramedConnection implements Connection {
  readonly remote: string;
  readonly ready: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  authenticated = false;
  /** The window the peer granted in the handshake. */
  get peerWindow(): CreditWindow {
    return this.handshake.peerWindow;
  }

  private readonly decoder: FrameDecoder;
  private readonly limits: FrameLimits;
  private readonly window: CreditWindow;
  private readonly log: (e: TransportLogEvent) => void;
  private readonly psk: Buffer | undefined;
  private readonly outbox: Outbox;
  private opener: RecordOpener | undefined;
  /** Frames this end sends carry a CRC32 (all but those sealed in records once no-crc was agreed). */
  private crcOut = true;
  private readonly reports: CreditReports;
  private readonly received = new ReceiveQueue((bytes) => {
    if (!this.closeInfo) this.reports.consumed(bytes);
  });
  private readonly sends: SendQueue;
  /** Both ends agreed to `credit-ask`. */
  private creditAsk = false;
  private isReady = false;
  private closeInfo: CloseInfo | undefined;
  private settleReady!: { resolve: () => void; reject: (e: Error) => void };
  private settleClosed!: (c: CloseInfo) => void;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readonly handshake: HandshakeState;
  private counters = {
    framesReceived: 0,
    bytesReceived: 0,
    rejectedFrames: 0,
    peerErrors: 0,
  };

  constructor(
    private readonly duplex: ByteDuplex,
    private readonly role: Role,
    private readonly options: ConnectionOptions = {},
  ) {
    this.remote = duplex.remote;
    this.limits = resolveLimits(options.limits);
    this.window = { ...DEFAULT_WINDOW, ...options.window };
    if (!(this.window.frames >= 1 && this.window.bytes >= 1))
      throw new TransportError(
        `receive window must be >= 1 frame and >= 1 byte, got ${windowString(this.window)}`,
      );
    this.log = options.log ?? stderrLog;
    if (options.key && options.key.length < MIN_KEY_BYTES)
      throw new AuthError(`pre-shared key has ${options.key.length} bytes, need at least ${MIN_KEY_BYTES}`);
    this.psk = options.key ? Buffer.from(options.key) : undefined;
    this.handshake = new HandshakeState(role, this.psk, this.window, options.features);
    this.decoder = new FrameDecoder({ limits: this.limits });
    this.outbox = new Outbox(duplex, (err) => this.fail('write-failed', err));
    this.sends = new SendQueue(this.outbox, (f) => this.writeControl(f));
    this.reports = new CreditReports(this.window, (grant) =>
      this.writeControl({ type: 'credit', streamId: 0, seq: 0, body: { ...grant } }),
    );
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined);
    this.closed = new Promise((resolve) => (this.settleClosed = resolve));
    this.handshakeTimer = setTimeout(
      () =>
        this.fail(
          'handshake-timeout',
          new TransportError(
            `handshake with ${this.remote} did not finish within ${options.handshakeTimeoutMs ?? 5000} ms`,
          ),
        ),
      options.handshakeTimeoutMs ?? 5000,
    );
    this.handshakeTimer.unref();
    duplex.start({
      data: (chunk, borrowed) => this.onData(chunk, borrowed === true),
      close: (err) => this.onStreamClosed(err),
      borrowing: true,
    });
    if (role === 'client') this.writeControl(this.handshake.hello());
  }

  send(frame: Frame): Promise<void> {
    if (this.closeInfo)
      return Promise.reject(
        new TransportError(`connection to ${this.remote} is closed (${this.closeInfo.reason})`),
      );
    if (!CREDITED_TYPES.has(frame.type))
      return Promise.reject(
        new TransportError(`frame type ${frame.type} is reserved for the transport itself`),
      );
    let encoded: EncodedFrame;
    try {
      encoded = encodeFrameParts(frame, this.crcOut);
    } catch (err) {
      return Promise.reject(err);
    }
    if (encoded.length > this.limits.maxFrameBytes)
      return Promise.reject(
        new TransportError(
          `frame of ${encoded.length} bytes exceeds maxFrameBytes ${this.limits.maxFrameBytes}`,
        ),
      );
    // a frame viewing its tensor's data is never held: the caller may change the data once send resolves
    const holdable = frame.type === 'tensor' && ownsItsBytes(encoded);
    return new Promise((resolve, reject) => this.sends.push(encoded, resolve, reject, holdable));
  }

  cork(): void {
    if (!this.closeInfo) this.outbox.hold();
  }

  uncork(): void {
    this.outbox.release();
  }

  receive(): Promise<Frame | undefined> {
    return this.received.receive();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    for (let f = await this.receive(); f; f = await this.receive()) yield f;
  }

  async close(reason = 'closed by application'): Promise<void> {
    if (!this.closeInfo) {
      this.writeControl({ type: 'close', streamId: 0, seq: 0, body: { reason } });
      this.finish({ reason, initiator: 'local' });
      this.received.clear();
      this.duplex.end();
    }
    await this.closed;
  }

  stats(): ConnectionStats {
    const c = this.sends.credit;
    const k = this.counters;
    // called per sample by least-loaded replica choice: no object spread
    return {
      framesSent: this.sends.framesSent,
      bytesSent: this.sends.bytesSent,
      framesReceived: k.framesReceived,
      bytesReceived: k.bytesReceived,
      rejectedFrames: k.rejectedFrames,
      peerErrors: k.peerErrors,
      maxQueuedFrames: this.received.maxQueuedFrames,
      inFlightFrames: c?.inFlightFrames ?? 0,
      inFlightBytes: c?.inFlightBytes ?? 0,
      maxInFlightFrames: c?.maxInFlightFrames ?? 0,
      maxInFlightBytes: c?.maxInFlightBytes ?? 0,
      queuedFrames: this.received.length,
      pendingSends: this.sends.length,
    };
  }

  /** Queues a transport frame; frames are sealed in outbox order, which is the record order on the wire. */
  private writeControl(frame: MessageFrame): void {
    this.outbox.push(encodeFrameParts(frame, this.crcOut));
  }

  private onData(chunk: Buffer, borrowed: boolean): void {
    if (!this.openRecords(chunk, borrowed)) return;
    if (!this.isReady && this.decoder.bufferedBytes > MAX_HANDSHAKE_BYTES) {
      this.fail(
        'handshake-too-large',
        new TransportError(
          `${this.remote}: more than ${MAX_HANDSHAKE_BYTES} bytes before the handshake finished`,
        ),
      );
      return;
    }
    for (let r = this.decoder.next(); r && !this.closeInfo; r = this.decoder.next()) this.onResult(r);
  }

  private onResult(r: DecodeResult): void {
    if (!r.ok) {
      this.counters.rejectedFrames += 1;
      this.log({
        level: 'warn',
        event: 'frame-rejected',
        remote: this.remote,
        message: `${r.error.reason}: ${r.error.message}`,
      });
      const body = {
        code: r.error.code,
        reason: r.error.reason,
        message: r.error.message,
        ...(r.header ? { seq: r.header.seq, streamId: r.header.streamId } : {}),
      };
      if (
        r.error.fatal ||
        this.counters.rejectedFrames > (this.options.maxRejectedFrames ?? 100) ||
        !this.isReady
      ) {
        this.writeControl({ type: 'error', streamId: 0, seq: 0, body });
        this.fail('protocol-error', r.error);
        return;
      }
      this.writeControl({ type: 'error', streamId: 0, seq: 0, body });
      if (r.header?.type && CREDITED_TYPES.has(r.header.type)) {
        this.reports.discarded(r.bytes);
      }
      return;
    }
    const f = r.frame;
    this.counters.framesReceived += 1;
    this.counters.bytesReceived += r.bytes;
    if (!this.isReady) return this.onHandshake(f);
    if (CREDITED_TYPES.has(f.type)) {
      if (!this.reports.credit.onArrive(r.bytes)) {
        this.log({
          level: 'error',
          event: 'credit-violation',
          remote: this.remote,
          message: `peer overran the receive window ${windowString(this.window)}`,
        });
        this.writeControl({
          type: 'error',
          streamId: 0,
          seq: 0,
          body: { code: 'E_PROTOCOL', reason: 'credit-violation', message: 'receive window exceeded' },
        });
        this.fail('credit-violation', new TransportError(`peer ${this.remote} overran the receive window`));
        return;
      }
      this.received.arrive(f, r.bytes);
      return;
    }
    const body = (f as MessageFrame).body;
    if (f.type === 'credit') {
      const frames = field(body, 'frames');
      const bytes = field(body, 'bytes');
      if (typeof frames === 'number' && typeof bytes === 'number') {
        this.sends.onGrant(frames, bytes);
      } else if (this.creditAsk && field(body, 'ask') === true) this.reports.asked();
    } else if (f.type === 'error') {
      this.counters.peerErrors += 1;
      this.log({ level: 'warn', event: 'peer-error', remote: this.remote, message: JSON.stringify(body) });
    } else if (f.type === 'close') {
      const reason = field(body, 'reason');
      this.finish({
        reason: `peer closed: ${typeof reason === 'string' ? reason : 'no reason'}`,
        initiator: 'peer',
      });
      this.duplex.end();
    } else {
      this.writeControl({
        type: 'error',
        streamId: 0,
        seq: 0,
        body: {
          code: 'E_PROTOCOL',
          reason: 'malformed',
          message: `unexpected ${f.type} frame after handshake`,
        },
      });
      this.fail(
        'protocol-error',
        new TransportError(`peer ${this.remote} sent a ${f.type} frame after the handshake`),
      );
    }
  }

  private refuse(event: string, message: string, notify = true): void {
    if (notify)
      this.writeControl({
        type: 'error',
        streamId: 0,
        seq: 0,
        body: { code: 'E_AUTH', reason: event, message },
      });
    this.fail(event, new AuthError(`${this.remote}: ${message}`));
  }

  private onHandshake(f: Frame): void {
    const step = this.handshake.onFrame(f);
    switch (step.kind) {
      case 'refused-by-peer':
        return this.fail('refused', new AuthError(`${this.remote} refused the connection: ${step.message}`));
      case 'refuse':
        return this.refuse(step.event, step.message, step.notify);
      case 'continue':
        return this.writeControl(step.send);
      case 'ready':
        if (step.send) this.writeControl(step.send);
        return this.becomeReady(step.keys, step.features);
    }
  }

  /**
   * Feeds received bytes to the frame decoder, through the record opener once keyed; false when a
   * record failed. A borrowed chunk's memory is reused after this returns: the opener keeps none of
   * it (it copies length and tag bytes and deciphers into fresh buffers), the decoder would, so
   * plaintext bytes are copied first.
   */
  private openRecords(chunk: Buffer, borrowed = false): boolean {
    if (!this.opener) {
      this.decoder.push(borrowed ? Buffer.from(chunk) : chunk, borrowed);
      return true;
    }
    try {
      // a record's plaintext is memory of its own: frames filling it may be viewed in place
      for (const plain of this.opener.push(chunk)) this.decoder.push(plain, true);
      return true;
    } catch (err) {
      this.counters.rejectedFrames += 1;
      this.fail('record-rejected', err as Error);
      return false;
    }
  }

  private becomeReady(keys?: RecordKeys, features: readonly WireFeature[] = []): void {
    if (keys) {
      this.outbox.startSealing(new RecordSealer(keys.send));
      if (features.includes('no-crc')) {
        this.crcOut = false;
        this.decoder.startSealed();
      }
      if (features.includes('credit-ask')) {
        this.creditAsk = true;
        this.reports.askMode();
      }
      this.opener = new RecordOpener(
        keys.receive,
        Math.max(this.limits.maxFrameBytes, MAX_COALESCED_RECORD_BYTES),
      );
      this.authenticated = true;
      // bytes after the peer's last handshake frame are records already
      const rest = this.decoder.takeBuffered();
      if (rest.length > 0) this.openRecords(rest);
    }
    clearTimeout(this.handshakeTimer);
    this.isReady = true;
    this.log({
      level: 'info',
      event: 'connected',
      remote: this.remote,
      message: `${this.role} ready${this.authenticated ? ' (authenticated)' : ''}`,
    });
    this.settleReady.resolve();
    this.sends.start(this.peerWindow, this.creditAsk);
  }

  private onStreamClosed(err?: Error): void {
    if (this.closeInfo) return;
    if (!err && this.opener && this.opener.bufferedBytes > 0)
      err = new TransportError(
        `stream ended inside a record (${this.opener.bufferedBytes} bytes): truncated`,
      );
    this.finish({
      reason: err ? `stream error: ${err.message}` : 'peer ended the stream',
      initiator: 'peer',
      ...(err ? { error: err } : {}),
    });
  }

  private fail(event: string, error: Error): void {
    if (this.closeInfo) return;
    const message = error.message.startsWith(`${this.remote}: `)
      ? error.message.slice(this.remote.length + 2)
      : error.message;
    this.log({ level: error instanceof AuthError ? 'warn' : 'error', event, remote: this.remote, message });
    this.finish({ reason: `${event}: ${error.message}`, initiator: 'local', error });
    this.received.clear();
    this.duplex.end();
    setTimeout(() => this.duplex.destroy(), 200).unref();
  }

  private finish(info: CloseInfo): void {
    // what is queued (the close or error frame among it) goes out before the stream ends
    this.outbox.flush();
    this.closeInfo = info;
    clearTimeout(this.handshakeTimer);
    this.reports.stop();
    const err = info.error ?? new TransportError(`connection to ${this.remote} closed: ${info.reason}`);
    this.settleReady.reject(err);
    this.sends.close(`connection to ${this.remote} closed before the frame was sent: ${info.reason}`);
    this.received.end();
    this.settleClosed(info);
  }
}
