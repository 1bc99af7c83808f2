/**
 * The record layer of a keyed connection (pure; node:crypto only): after the handshake every frame
 * travels inside an AES-256-GCM record, so the bytes on the wire are confidential and authenticated.
 * A record carries one or more whole frames (the frames a connection flushes together, see
 * `outbox.ts`); the frame decoder above does not depend on where records end.
 *
 * ```
 * record: length u32 (ciphertext + tag bytes, big-endian) | ciphertext | tag (16 B)
 * key:    HKDF-SHA256(psk, salt = nonceC|nonceS, info = "edgesplit-record-v1|c2s" or "|s2c" + windows)
 * nonce:  4 zero bytes | record counter u64 (big-endian), never sent; AAD: the length prefix
 * ```
 * Each direction has its own key and its own implicit counter starting at 0, so a replayed,
 * reordered, dropped, truncated or altered record fails authentication, and the first failure ends
 * the stream (the opener accepts nothing after it). The nonces are fresh per connection, so keys
 * never repeat across connections and a (key, nonce) pair is never used twice.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { FrameError } from '../errors.js';
import type { HandshakeTranscript } from './handshake.js';

/** Length prefix bytes of a record. */
export const RECORD_HEADER_BYTES = 4;
/** AES-GCM authentication tag bytes. */
export const RECORD_TAG_BYTES = 16;
/** Bytes a record adds to the frame it carries. */
export const RECORD_OVERHEAD_BYTES = RECORD_HEADER_BYTES + RECORD_TAG_BYTES;
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** One connection end's record keys. */
export interface RecordKeys {
  readonly send: Buffer;
  readonly receive: Buffer;
}

function directionKey(psk: Uint8Array, t: HandshakeTranscript, direction: 'c2s' | 's2c'): Buffer {
  const salt = Buffer.from(`${t.clientNonce}|${t.serverNonce}`, 'utf8');
  const info = Buffer.from(`edgesplit-record-v1|${direction}|${t.clientWindow}|${t.serverWindow}`, 'utf8');
  return Buffer.from(hkdfSync('sha256', psk, salt, info, KEY_BYTES));
}

/** Derives both directions' keys from the pre-shared key and the handshake transcript. */
export function deriveRecordKeys(
  psk: Uint8Array,
  role: 'client' | 'server',
  t: HandshakeTranscript,
): RecordKeys {
  const c2s = directionKey(psk, t, 'c2s');
  const s2c = directionKey(psk, t, 's2c');
  return role === 'client' ? { send: c2s, receive: s2c } : { send: s2c, receive: c2s };
}

/** Writes the record counter into `nonce` (reused per direction: the cipher copies its IV when created). */
function nonceOf(nonce: Buffer, counter: number): Buffer {
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
  nonce.writeUInt32BE(counter % 2 ** 32, 8);
  return nonce;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES)
    throw new FrameError('malformed', `record key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/** Seals frames into records, one per call, in the order they go on the wire. */
export class RecordSealer {
  private counter = 0;
  private readonly nonce = Buffer.alloc(NONCE_BYTES);

  constructor(private readonly key: Uint8Array) {
    checkKey(key);
  }

  /** Records sealed so far. */
  get records(): number {
    return this.counter;
  }

  /** Encrypts and authenticates `plain`; the result is `plain.length + RECORD_OVERHEAD_BYTES` bytes. */
  seal(plain: Uint8Array): Buffer {
    return this.sealParts([plain]);
  }

  /**
   * Seals the concatenation of `parts` as one record, without concatenating the plaintext: each
   * part is encrypted where it lies and the ciphertext is written once into the record.
   */
  sealParts(parts: readonly Uint8Array[]): Buffer {
    if (!Number.isSafeInteger(this.counter + 1))
      throw new FrameError('limit', 'record counter exhausted; reconnect for fresh keys', true);
    let plainBytes = 0;
    for (const p of parts) plainBytes += p.length;
    if (plainBytes + RECORD_TAG_BYTES > 0xffffffff)
      throw new FrameError('too-large', `record of ${plainBytes} bytes exceeds the 4 GiB length field`);
    const out = Buffer.allocUnsafe(plainBytes + RECORD_OVERHEAD_BYTES);
    out.writeUInt32BE(plainBytes + RECORD_TAG_BYTES, 0);
    const cipher = createCipheriv(CIPHER, this.key, nonceOf(this.nonce, this.counter++), {
      authTagLength: RECORD_TAG_BYTES,
    });
    cipher.setAAD(out.subarray(0, RECORD_HEADER_BYTES));
    let o = RECORD_HEADER_BYTES;
    for (const p of parts) o += cipher.update(p).copy(out, o);
    o += cipher.final().copy(out, o);
    cipher.getAuthTag().copy(out, o);
    return out;
  }
}

/** Opens a stream of records (any chunking); the first bad record is fatal. */
export class RecordOpener {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private counter = 0;
  private readonly nonce = Buffer.alloc(NONCE_BYTES);
  private failed: FrameError | undefined;

  /** `maxPlainBytes` bounds what one record may make this end buffer. */
  constructor(
    private readonly key: Uint8Array,
    private readonly maxPlainBytes: number,
  ) {
    checkKey(key);
  }

  /** Bytes held waiting for the rest of a record (non-zero at end of stream means truncation). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Records opened so far. */
  get records(): number {
    return this.counter;
  }

  /** Appends received bytes; returns the plaintext of every record now complete, in order. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    while (this.buffered >= RECORD_HEADER_BYTES) {
      if (this.chunks[0].length < RECORD_HEADER_BYTES) this.chunks = [Buffer.concat(this.chunks)];
      const sealed = this.chunks[0].readUInt32BE(0);
      if (sealed < RECORD_TAG_BYTES || sealed - RECORD_TAG_BYTES > this.maxPlainBytes)
        throw this.fail(
          `record ${this.counter}: length ${sealed} is outside [${RECORD_TAG_BYTES}, ${this.maxPlainBytes + RECORD_TAG_BYTES}]`,
        );
      if (this.buffered < RECORD_HEADER_BYTES + sealed) break;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const end = RECORD_HEADER_BYTES + sealed;
      out.push(this.open(all.subarray(0, RECORD_HEADER_BYTES), all.subarray(RECORD_HEADER_BYTES, end)));
      this.chunks = all.length > end ? [all.subarray(end)] : [];
      this.buffered -= end;
    }
    return out;
  }

  private open(header: Buffer, sealed: Buffer): Buffer {
    const n = sealed.length - RECORD_TAG_BYTES;
    const decipher = createDecipheriv(CIPHER, this.key, nonceOf(this.nonce, this.counter), {
      authTagLength: RECORD_TAG_BYTES,
    });
    decipher.setAAD(header);
    decipher.setAuthTag(sealed.subarray(n));
    const body = decipher.update(sealed.subarray(0, n));
    try {
      const rest = decipher.final();
      this.counter += 1;
      return rest.length ? Buffer.concat([body, rest]) : body;
    } catch {
      throw this.fail(
        `record ${this.counter}: authentication failed (altered, replayed, reordered, dropped, or a different key)`,
      );
    }
  }

  private fail(message: string): FrameError {
    this.failed = new FrameError('bad-record', message, true);
    this.chunks = [];
    this.buffered = 0;
    return this.failed;
  }
}
