/**
 * Streaming frame decoder (pure): accepts byte chunks of any size and yields whole frames one at a
 * time, so a caller can switch keys between frames. Rejected frames whose length prefix is intact
 * are skipped (resynchronised); a bad magic or impossible length is fatal.
 *
 * A frame that spans chunks is gathered into memory of its own, placed so that a tensor payload is
 * aligned: the tensor's data is then a view on it, not one more copy.
 */
import { FrameError } from '../errors.js';
import {
  decodeFrameWithin,
  FRAME_MAGIC,
  HEADER_BYTES,
  PAYLOAD_ALIGN,
  readHeader,
  resolveLimits,
  type CodecOptions,
  type Frame,
  type FrameHeader,
  type FrameLimits,
} from './frame.js';
import { tensorPayloadOffset } from './tensor-body.js';

const ALIGN = PAYLOAD_ALIGN;

/** One decoded frame, or one rejected frame with the reason (and its header when it could be read). */
export type DecodeResult =
  | { readonly ok: true; readonly frame: Frame; readonly bytes: number }
  | { readonly ok: false; readonly error: FrameError; readonly header?: FrameHeader; readonly bytes: number };

/** Incremental decoder over a byte stream. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private skipBytes = 0;
  private failed: FrameError | undefined;
  private readonly limits: FrameLimits;
  private sealed: boolean;
  /** Some buffered chunk was not handed over for good (see {@link push}): no frame views them in place. */
  private sharedHeld = false;

  constructor(options: CodecOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.sealed = options.sealed ?? false;
  }

  /** From now on every byte pushed came out of an authenticated record (no-CRC frames are valid). */
  startSealed(): void {
    this.sealed = true;
  }

  /** Removes and returns every buffered byte (the stream switches to another layer from here on). */
  takeBuffered(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.sharedHeld = false;
    return all;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The fatal error that stopped this decoder, if any. */
  get fatalError(): FrameError | undefined {
    return this.failed;
  }

  /**
   * Appends received bytes. `owned`: nobody else reads or writes this chunk's memory (a fresh
   * socket read, a record's plaintext), so a frame filling it whole may be viewed in place.
   */
  push(chunk: Uint8Array, owned = false): void {
    if (this.failed || chunk.length === 0) return;
    if (!owned) this.sharedHeld = true;
    this.chunks.push(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    this.buffered += chunk.length;
  }

  /** Returns the next frame (or rejection) when a whole one is buffered, else undefined. */
  next(): DecodeResult | undefined {
    if (this.failed) return undefined;
    if (this.skipBytes > 0) {
      this.skipBytes -= this.discard(this.skipBytes);
      if (this.skipBytes > 0) return undefined;
    }
    if (this.buffered < 8) return undefined;
    const head = this.peek(Math.min(this.buffered, HEADER_BYTES));
    const magic = head.readUInt32BE(0);
    if (magic !== FRAME_MAGIC)
      return this.fail(
        new FrameError(
          'bad-magic',
          `bad magic 0x${magic.toString(16).padStart(8, '0')}: stream out of sync`,
          true,
        ),
      );
    const length = head.readUInt32BE(4);
    if (length < HEADER_BYTES)
      return this.fail(
        new FrameError('too-small', `length prefix ${length} is below the minimum frame size`, true),
      );
    if (head.length < HEADER_BYTES) return undefined;
    const header = readHeader(head);
    if (length > this.limits.maxFrameBytes) {
      this.skipBytes = length;
      this.skipBytes -= this.discard(length);
      const error = new FrameError(
        'too-large',
        `frame seq ${header.seq} of ${length} bytes exceeds maxFrameBytes ${this.limits.maxFrameBytes}; skipped`,
      );
      return { ok: false, error, header, bytes: length };
    }
    if (this.buffered < length) return undefined;
    const [bytes, owned] = this.take(length, header);
    try {
      const frame = decodeFrameWithin(bytes, this.limits, this.sealed, owned, header);
      return { ok: true, frame, bytes: length };
    } catch (err) {
      const error = err instanceof FrameError ? err : new FrameError('malformed', String(err));
      return {
        ok: false,
        error: error.fatal ? new FrameError(error.reason, error.message, false) : error,
        header,
        bytes: length,
      };
    }
  }

  private fail(error: FrameError): DecodeResult {
    this.failed = error;
    const bytes = this.buffered;
    this.chunks = [];
    this.buffered = 0;
    return { ok: false, error, bytes };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  /** Removes the next `n` bytes; true when they are the only user of their memory. */
  private take(n: number, header: FrameHeader): [Buffer, boolean] {
    const first = this.chunks[0];
    this.buffered -= n;
    if (first.length >= n) {
      const whole = first.length === n && first.byteLength === first.buffer.byteLength;
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      const owned = whole && !this.sharedHeld;
      if (this.buffered === 0) this.sharedHeld = false;
      return [first.length === n ? first : first.subarray(0, n), owned];
    }
    const out = Buffer.allocUnsafeSlow(n + ALIGN).subarray(this.alignPad(header));
    let o = 0;
    while (o < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - o);
      c.copy(out, o, 0, k);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    if (this.buffered === 0) this.sharedHeld = false;
    return [out.subarray(0, n), true];
  }

  /** Where in an {@link ALIGN}-aligned allocation the frame starts so that its tensor payload is aligned. */
  private alignPad(h: FrameHeader): number {
    if (h.type !== 'tensor') return 0;
    return (ALIGN - (tensorPayloadOffset((i) => this.byteAt(i)) % ALIGN)) % ALIGN;
  }

  /** The buffered byte at `i` (0 past the end: the decoder reports what is wrong later). */
  private byteAt(i: number): number {
    for (const c of this.chunks) {
      if (i < c.length) return c[i];
      i -= c.length;
    }
    return 0;
  }

  private discard(n: number): number {
    let dropped = 0;
    while (dropped < n && this.chunks.length > 0) {
      const first = this.chunks[0];
      const k = Math.min(first.length, n - dropped);
      if (k === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(k);
      dropped += k;
    }
    this.buffered -= dropped;
    return dropped;
  }
}
