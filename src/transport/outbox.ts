/**
 * The sending side of a connection below the frame codec: frames queued while the current callback
 * and the promise continuations it started run go to the byte stream together, as one write (and,
 * once keyed, one AEAD record), when they are done (`process.nextTick`, so no extra event-loop turn
 * and no extra poll). A batch-1 pipeline hop then costs one write and one record per frame instead of one
 * per frame plus one per credit frame, and frames sent together (a sample's tensors, a credit
 * report next to data) share them.
 *
 * A connection may also be held (`Connection.cork`): its small tensor frames then wait here past the
 * callback, each send resolving as soon as its frame is queued, until the hold is released, a cap
 * ({@link HOLD_MAX_FRAMES}, {@link HOLD_MAX_BYTES}) is reached, a send would wait (credit or the
 * byte stream), or any other frame is sent (control, health, a credit report, error, close). A stage
 * node holds while it has more samples waiting, so its batch-1 outputs share one write and record.
 */
import type { EncodedFrame } from './codec/frame.js';
import type { RecordSealer } from './auth/record-layer.js';
import type { ByteDuplex } from './transport.js';

/**
 * Frames coalesced into one record carry at most this many plaintext bytes (a larger frame travels
 * alone in its own record); a receiver accepts records up to max(this, its maxFrameBytes). Keyless,
 * the same runs are the chunks written.
 */
export const MAX_COALESCED_RECORD_BYTES = 256 * 1024;

/**
 * A held outbox writes its frames once this many are queued: a pipeline stage's credit report comes
 * per half of the default 16-frame window, so a larger hold would only make the next stage wait.
 */
export const HOLD_MAX_FRAMES = 8;
/** ... or once they carry this many bytes: past a few frames of this size a record's fixed cost is small. */
export const HOLD_MAX_BYTES = 64 * 1024;

/** Frames waiting to be written together, and the writes they become. */
export class Outbox {
  private parts: Buffer[] = [];
  /** Where each queued frame's parts end in `parts`, and the plaintext bytes up to there. */
  private frameEnds: number[] = [];
  private frameBytes: number[] = [];
  private written: (() => void)[] = [];
  private scheduled = false;
  private held = false;
  /** Holdable frames queued under the hold since the last write. */
  private heldFrames = 0;
  private heldBytes = 0;
  private sealer: RecordSealer | undefined;
  private writing: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly flushSoon = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly duplex: ByteDuplex,
    private readonly onError: (err: Error) => void,
  ) {}

  /** True while the byte stream has not taken the last write yet (its backpressure). */
  get blocked(): boolean {
    return this.writing !== undefined;
  }

  /** Resolves once the byte stream took the last write. */
  drained(): Promise<void> {
    return this.writing ? new Promise((resolve) => this.drainWaiters.push(resolve)) : Promise.resolve();
  }

  /** From now on holdable frames wait for {@link release} (or a cap, or {@link flushHeld}). */
  hold(): void {
    this.held = true;
  }

  /** Ends the hold and writes what it kept, now: once this returns their bytes were read. */
  release(): void {
    this.held = false;
    if (this.heldFrames > 0) this.flush();
  }

  /** Writes what the hold kept (a send is about to wait; held frames must not wait with it). */
  flushHeld(): void {
    if (this.heldFrames > 0) this.flush();
  }

  /**
   * Queues one frame; `onWritten` runs once it was handed to the byte stream, or at once when the
   * hold keeps a `holdable` frame (one that owns its bytes). Any other frame is written, with
   * whatever the hold kept, once the current callback is done.
   */
  push(frame: EncodedFrame, onWritten?: () => void, holdable = false): void {
    for (const p of frame.parts) this.parts.push(p);
    this.frameEnds.push(this.parts.length);
    this.frameBytes.push(frame.length);
    if (holdable && this.held) {
      onWritten?.();
      this.heldFrames += 1;
      this.heldBytes += frame.length;
      if (this.heldFrames >= HOLD_MAX_FRAMES || this.heldBytes >= HOLD_MAX_BYTES) this.flush();
      return;
    }
    if (onWritten) this.written.push(onWritten);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushSoon);
    }
  }

  /** Writes what is queued as it is, then seals every later frame (the handshake's last plaintext goes first). */
  startSealing(sealer: RecordSealer): void {
    this.flush();
    this.sealer = sealer;
  }

  /** Writes everything queued now (before the stream ends, and once the code that queued it is done). */
  flush(): void {
    if (this.frameEnds.length === 0) return;
    this.heldFrames = 0;
    this.heldBytes = 0;
    const parts = this.parts;
    const ends = this.frameEnds;
    const sizes = this.frameBytes;
    const written = this.written;
    this.parts = [];
    this.frameEnds = [];
    this.frameBytes = [];
    this.written = [];
    let writes: Buffer[][];
    try {
      writes = groups(parts, ends, sizes).map((g) => (this.sealer ? this.sealer.sealParts(g) : g));
    } catch (err) {
      this.onError(err as Error);
      return;
    }
    let w: Promise<void> = Promise.resolve();
    for (const c of writes)
      w =
        c.length === 1
          ? this.duplex.write(c[0])
          : this.duplex.writev
            ? this.duplex.writev(c)
            : this.duplex.write(Buffer.concat(c));
    this.writing = w;
    w.then(
      () => {
        if (this.writing !== w) return;
        this.writing = undefined;
        for (const resolve of this.drainWaiters.splice(0)) resolve();
      },
      (err: Error) => this.onError(err),
    );
    for (const done of written) done();
  }
}

/** Queued frames' parts cut into runs of whole frames of at most {@link MAX_COALESCED_RECORD_BYTES} (a larger frame alone). */
function groups(parts: Buffer[], ends: number[], sizes: number[]): Buffer[][] {
  const out: Buffer[][] = [];
  let start = 0;
  let bytes = 0;
  for (let f = 0; f < ends.length; f++) {
    const from = f === 0 ? 0 : ends[f - 1];
    if (from > start && bytes + sizes[f] > MAX_COALESCED_RECORD_BYTES) {
      out.push(parts.slice(start, from));
      start = from;
      bytes = 0;
    }
    bytes += sizes[f];
  }
  out.push(start === 0 ? parts : parts.slice(start));
  return out;
}
