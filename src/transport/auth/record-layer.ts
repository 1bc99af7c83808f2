/**
 * The record layer of a keyed connection (pure; node:crypto only): after the handshake every frame
 * travels inside an AES-256-GCM record, so the bytes on the wire are confidential and authenticated.
 * A record carries one or more whole frames (the frames a connection flushes together, see
 * `outbox.ts`); the frame decoder above does not depend on where records end.
 *
 * ```
 * record: length u32 (ciphertext + tag bytes, big-endian) | ciphertext | tag (16 B)
 * key:    HKDF-SHA256(psk, salt = nonceC|nonceS, info = "edgesplit-record-v1|c2s" or "|s2c" + windows
 *         [+ "|features=" agreed features, when any])
 * nonce:  4 zero bytes | record counter u64 (big-endian), never sent; AAD: the length prefix
 * ```
 * Each direction has its own key and its own implicit counter starting at 0, so a replayed,
 * reordered, dropped, truncated or altered record fails authentication, and the first failure ends
 * the stream (the opener accepts nothing after it). The nonces are fresh per connection, so keys
 * never repeat across connections and a (key, nonce) pair is never used twice.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
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
  const features = t.features ? `|features=${t.features}` : '';
  const info = Buffer.from(
    `edgesplit-record-v1|${direction}|${t.clientWindow}|${t.serverWindow}${features}`,
    'utf8',
  );
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

/** Records up to this size are copied into one buffer: a copy costs less than a write part each. */
const COPY_RECORD_BYTES = 16 * 1024;
/**
 * Larger plaintext is encrypted in pieces of this size: each piece's ciphertext is a small
 * allocation the allocator reuses, where one of a megabyte would be fresh pages every time.
 */
const SEAL_PIECE_BYTES = 64 * 1024;

/** Seals frames into records, one per call, in the order they go on the wire. */
export class RecordSealer {
  private counter = 0;
  private readonly nonce = Buffer.alloc(NONCE_BYTES);
  private readonly aad = Buffer.alloc(RECORD_HEADER_BYTES);
  private readonly key: KeyObject;

  constructor(key: Uint8Array) {
    checkKey(key);
    this.key = createSecretKey(key);
  }

  /** Records sealed so far. */
  get records(): number {
    return this.counter;
  }

  /** Encrypts and authenticates `plain`; the result is `plain.length + RECORD_OVERHEAD_BYTES` bytes. */
  seal(plain: Uint8Array): Buffer {
    const parts = this.sealParts([plain]);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * Seals the concatenation of `parts` as one record, without concatenating the plaintext: each
   * part is encrypted where it lies. The record comes back as the buffers to write in order: one
   * for a small record, else the length prefix, the ciphertext pieces and the tag (no copy).
   */
  sealParts(parts: readonly Uint8Array[]): Buffer[] {
    if (!Number.isSafeInteger(this.counter + 1))
      throw new FrameError('limit', 'record counter exhausted; reconnect for fresh keys', true);
    let plainBytes = 0;
    for (const p of parts) plainBytes += p.length;
    if (plainBytes + RECORD_TAG_BYTES > 0xffffffff)
      throw new FrameError('too-large', `record of ${plainBytes} bytes exceeds the 4 GiB length field`);
    const cipher = createCipheriv(CIPHER, this.key, nonceOf(this.nonce, this.counter++), {
      authTagLength: RECORD_TAG_BYTES,
    });
    if (plainBytes <= COPY_RECORD_BYTES) {
      const out = Buffer.allocUnsafe(plainBytes + RECORD_OVERHEAD_BYTES);
      this.aad.writeUInt32BE(plainBytes + RECORD_TAG_BYTES, 0);
      cipher.setAAD(this.aad);
      let o = this.aad.copy(out, 0);
      for (const p of parts) o += cipher.update(p).copy(out, o);
      o += cipher.final().copy(out, o);
      cipher.getAuthTag().copy(out, o);
      return [out];
    }
    const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    head.writeUInt32BE(plainBytes + RECORD_TAG_BYTES, 0);
    cipher.setAAD(head);
    const out = [head];
    for (const p of parts)
      for (let o = 0; o < p.length; o += SEAL_PIECE_BYTES)
        out.push(cipher.update(p.subarray(o, o + SEAL_PIECE_BYTES)));
    const rest = cipher.final();
    if (rest.length > 0) out.push(rest);
    out.push(cipher.getAuthTag());
    return out;
  }
}

/**
 * Opens a stream of records (any chunking); the first bad record is fatal. Ciphertext is
 * decrypted as it arrives (GCM is a stream cipher), but a record's plaintext is released only once
 * its tag verified.
 */
export class RecordOpener {
  /** Length prefix bytes of the current record received so far. */
  private readonly header = Buffer.alloc(RECORD_HEADER_BYTES);
  private headerHave = 0;
  /** Ciphertext bytes of the current record still to come, then its tag. */
  private cipherLeft = 0;
  private readonly tag = Buffer.alloc(RECORD_TAG_BYTES);
  private tagHave = 0;
  private decipher: DecipherGCM | undefined;
  private plain: Buffer[] = [];
  private counter = 0;
  private readonly nonce = Buffer.alloc(NONCE_BYTES);
  private readonly key: KeyObject;
  private failed: FrameError | undefined;

  /** `maxPlainBytes` bounds what one record may make this end buffer. */
  constructor(
    key: Uint8Array,
    private readonly maxPlainBytes: number,
  ) {
    checkKey(key);
    this.key = createSecretKey(key);
  }

  /** Bytes held waiting for the rest of a record (non-zero at end of stream means truncation). */
  get bufferedBytes(): number {
    if (this.headerHave < RECORD_HEADER_BYTES) return this.headerHave;
    return (
      this.header.readUInt32BE(0) - this.cipherLeft - RECORD_TAG_BYTES + this.tagHave + RECORD_HEADER_BYTES
    );
  }

  /** Records opened so far. */
  get records(): number {
    return this.counter;
  }

  /**
   * Appends received bytes; returns the plaintext of every record now complete, in order (as one
   * or more pieces per record, each a buffer of its own).
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let out: Buffer[] | undefined;
    let o = 0;
    while (o < buf.length) {
      if (this.headerHave < RECORD_HEADER_BYTES) {
        const k = Math.min(RECORD_HEADER_BYTES - this.headerHave, buf.length - o);
        buf.copy(this.header, this.headerHave, o, o + k);
        this.headerHave += k;
        o += k;
        if (this.headerHave === RECORD_HEADER_BYTES) this.begin();
        continue;
      }
      if (this.cipherLeft > 0) {
        const k = Math.min(this.cipherLeft, buf.length - o);
        const p = this.decipher!.update(buf.subarray(o, o + k));
        if (p.length > 0) this.plain.push(p);
        this.cipherLeft -= k;
        o += k;
        continue;
      }
      const k = Math.min(RECORD_TAG_BYTES - this.tagHave, buf.length - o);
      buf.copy(this.tag, this.tagHave, o, o + k);
      this.tagHave += k;
      o += k;
      if (this.tagHave === RECORD_TAG_BYTES) (out ??= []).push(...this.finish());
    }
    return out ?? [];
  }

  /** A length prefix is complete: checks it and starts the record's decipher. */
  private begin(): void {
    const sealed = this.header.readUInt32BE(0);
    if (sealed < RECORD_TAG_BYTES || sealed - RECORD_TAG_BYTES > this.maxPlainBytes)
      throw this.fail(
        `record ${this.counter}: length ${sealed} is outside [${RECORD_TAG_BYTES}, ${this.maxPlainBytes + RECORD_TAG_BYTES}]`,
      );
    this.decipher = createDecipheriv(CIPHER, this.key, nonceOf(this.nonce, this.counter), {
      authTagLength: RECORD_TAG_BYTES,
    });
    this.decipher.setAAD(this.header);
    this.cipherLeft = sealed - RECORD_TAG_BYTES;
    this.tagHave = 0;
  }

  /** The tag is complete: verifies the record and releases its plaintext. */
  private finish(): Buffer[] {
    const decipher = this.decipher!;
    decipher.setAuthTag(this.tag);
    try {
      const rest = decipher.final();
      if (rest.length > 0) this.plain.push(rest);
    } catch {
      throw this.fail(
        `record ${this.counter}: authentication failed (altered, replayed, reordered, dropped, or a different key)`,
      );
    }
    this.counter += 1;
    this.decipher = undefined;
    this.headerHave = 0;
    const plain = this.plain;
    this.plain = [];
    return plain;
  }

  private fail(message: string): FrameError {
    this.failed = new FrameError('bad-record', message, true);
    this.plain = [];
    this.decipher = undefined;
    this.headerHave = 0;
    this.cipherLeft = 0;
    this.tagHave = 0;
    return this.failed;
  }
}
