/**
 * The versioned, length-prefixed binary frame (pure; no I/O).
 *
 * Layout (big-endian header, little-endian tensor payload):
 * ```
 * 0  magic u32 "ESPF"   4 length u32 (whole frame)   8 version u8   9 type u8   10 flags u8   11 reserved u8
 * 12 streamId u32       16 seq u32                   20 body ...
 * trailer: CRC32 (4 B) when flags are 0; flags 0x01 (FRAME_FLAG_NO_CRC) mean no trailer, valid only
 *          inside an AEAD record whose tag already authenticates the frame (negotiated, keyed only)
 * tensor body: nameLen u16, name UTF-8, dtype u8, wire u8, rank u8, pad u8, dims u32 x rank,
 *              [scale f32, zeroPoint i32 when wire is int8/int16], pad zero bytes, payload
 *              (pad is 0 in CRC frames; no-CRC frames pad so the payload starts 8-byte aligned
 *              from the frame's start, so a receiver can use it in place)
 * other bodies: UTF-8 JSON
 * ```
 * Magic and length stay at the same offsets in every version so a reader can skip frames it rejects.
 */
import { crc32 } from 'node:zlib';
import type { Tensor } from '../../core/tensor.js';
import type { WireEncoding } from '../../core/vocabulary.js';
import { FrameError } from '../errors.js';
import { CRC_BYTES, FRAME_FLAG_NO_CRC, FRAME_MAGIC, FRAME_VERSION, HEADER_BYTES } from './layout.js';
import type { QuantParams } from './quant.js';
import { checkU32, decodeTensorBody, encodeTensorBody } from './tensor-body.js';

export { CRC_BYTES, FRAME_FLAG_NO_CRC, FRAME_MAGIC, FRAME_VERSION, HEADER_BYTES } from './layout.js';
export { PAYLOAD_ALIGN, payloadPadBytes } from './tensor-body.js';

/** Frame types; the wire code is the index + 1. */
export const FRAME_TYPES = [
  'hello',
  'challenge',
  'auth',
  'tensor',
  'credit',
  'ack',
  'error',
  'health',
  'control',
  'close',
] as const;
/** A frame type name. */
export type FrameType = (typeof FRAME_TYPES)[number];
/** Frame types that carry a JSON body. */
export type MessageFrameType = Exclude<FrameType, 'tensor'>;

export type { WireEncoding } from '../../core/vocabulary.js';

/** A JSON value as carried in message frames. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A frame carrying one named tensor. On receipt `tensor` is already dequantised to its original dtype. */
export interface TensorFrame {
  readonly type: 'tensor';
  readonly streamId: number;
  readonly seq: number;
  readonly name: string;
  readonly tensor: Tensor;
  /** Wire encoding; default "fp32" for float32 tensors and "native" otherwise. */
  readonly wire?: WireEncoding;
  /** Quantisation parameters for int8/int16 (chosen from the data when omitted on send). */
  readonly quant?: QuantParams;
}

/** A frame carrying a JSON body (handshake, credit, error, health, generic control). */
export interface MessageFrame {
  readonly type: MessageFrameType;
  readonly streamId: number;
  readonly seq: number;
  readonly body: JsonValue;
}

/** Any frame. */
export type Frame = TensorFrame | MessageFrame;

/** Explicit limits a decoder enforces; violations raise {@link FrameError}. */
export interface FrameLimits {
  /** Largest whole frame in bytes (default 64 MiB). */
  readonly maxFrameBytes: number;
  /** Longest tensor name in UTF-8 bytes (default 1024). */
  readonly maxNameBytes: number;
  /** Largest tensor rank (default 8). */
  readonly maxRank: number;
  /** Largest product of dims (default 64 Mi elements). */
  readonly maxElements: number;
}

/** Default limits. */
export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxFrameBytes: 64 * 1024 * 1024,
  maxNameBytes: 1024,
  maxRank: 8,
  maxElements: 64 * 1024 * 1024,
};

/** Options of the encoder and decoder. */
export interface CodecOptions {
  /** Limits (decoder) ; partial values override the defaults. */
  readonly limits?: Partial<FrameLimits>;
  /**
   * Decoder: the bytes were authenticated by the record layer, so {@link FRAME_FLAG_NO_CRC} frames
   * are accepted (default false: such a frame is rejected).
   */
  readonly sealed?: boolean;
}

/** The fixed header fields of a frame. */
export interface FrameHeader {
  readonly length: number;
  readonly version: number;
  readonly typeCode: number;
  /** Type name, or undefined for an unknown code. */
  readonly type: FrameType | undefined;
  readonly flags: number;
  readonly streamId: number;
  readonly seq: number;
}

/** Resolves partial limits against the defaults. */
export function resolveLimits(limits?: Partial<FrameLimits>): FrameLimits {
  return { ...DEFAULT_FRAME_LIMITS, ...limits };
}

/** Reads the fixed header from at least {@link HEADER_BYTES} bytes; does not validate. */
export function readHeader(buf: Uint8Array): FrameHeader {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const typeCode = v.getUint8(9);
  return {
    length: v.getUint32(4),
    version: v.getUint8(8),
    typeCode,
    type: FRAME_TYPES[typeCode - 1],
    flags: v.getUint8(10),
    streamId: v.getUint32(12),
    seq: v.getUint32(16),
  };
}

/** One frame as the buffers that make it up, in order, and their total length. */
export interface EncodedFrame {
  /** Header and tensor metadata (or JSON body), the tensor payload (a view on the tensor's data when its wire encoding is its dtype), CRC trailer. */
  readonly parts: readonly Buffer[];
  readonly length: number;
}

/** Payloads up to this size are copied into one frame buffer: a copy costs less than a call per part. */
const VIEW_PAYLOAD_BYTES = 16 * 1024;

/** True when an encoded frame is one buffer of its own: it keeps no view on the tensor's data. */
export function ownsItsBytes(frame: EncodedFrame): boolean {
  return frame.parts.length === 1;
}

/**
 * Encodes one frame. A tensor payload larger than 16 KiB that travels as it is (fp32/native) is
 * not copied: its part is a view on the tensor's data, so that must not change until it is written.
 * `crc` false leaves the CRC32 out ({@link FRAME_FLAG_NO_CRC}) and aligns a tensor payload with
 * padding: only for frames sealed in AEAD records, to a peer that agreed to no-crc.
 */
export function encodeFrameParts(frame: Frame, crc = true): EncodedFrame {
  checkU32(frame.streamId, 'streamId');
  checkU32(frame.seq, 'seq');
  const typeCode = FRAME_TYPES.indexOf(frame.type) + 1;
  if (typeCode === 0) throw new FrameError('malformed', `unknown frame type "${String(frame.type)}"`);
  const [meta, payload] =
    frame.type === 'tensor'
      ? encodeTensorBody(frame, !crc)
      : [Buffer.from(JSON.stringify(frame.body ?? null), 'utf8'), undefined];
  const payloadBytes = payload?.length ?? 0;
  const trailerBytes = crc ? CRC_BYTES : 0;
  const length = HEADER_BYTES + meta.length + payloadBytes + trailerBytes;
  if (length > 0xffffffff)
    throw new FrameError('too-large', `frame of ${length} bytes exceeds the 4 GiB length field`);
  const viewed = payloadBytes > VIEW_PAYLOAD_BYTES;
  const head = Buffer.allocUnsafe(viewed ? HEADER_BYTES + meta.length : length);
  head.writeUInt32BE(FRAME_MAGIC, 0);
  head.writeUInt32BE(length, 4);
  head.writeUInt8(FRAME_VERSION, 8);
  head.writeUInt8(typeCode, 9);
  head.writeUInt8(crc ? 0 : FRAME_FLAG_NO_CRC, 10);
  head.writeUInt8(0, 11);
  head.writeUInt32BE(frame.streamId, 12);
  head.writeUInt32BE(frame.seq, 16);
  meta.copy(head, HEADER_BYTES);
  if (!viewed) {
    if (payload) payload.copy(head, HEADER_BYTES + meta.length);
    if (crc) head.writeUInt32BE(crc32(head.subarray(0, length - CRC_BYTES)), length - CRC_BYTES);
    return { parts: [head], length };
  }
  if (!crc) return { parts: [head, payload!], length };
  const trailer = Buffer.allocUnsafe(CRC_BYTES);
  trailer.writeUInt32BE(crc32(payload!, crc32(head)), 0);
  return { parts: [head, payload!, trailer], length };
}

/** Encodes one frame to one buffer (CRC32 trailer unless `crc` is false, see {@link encodeFrameParts}). */
export function encodeFrame(frame: Frame, crc = true): Buffer {
  const { parts, length } = encodeFrameParts(frame, crc);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
}

/** Checks the flags and the CRC32 trailer (when there is one); returns the trailer's bytes. */
function verifyCrc(buf: Buffer, h: FrameHeader, sealed: boolean): number {
  if (h.flags === FRAME_FLAG_NO_CRC) {
    if (!sealed)
      throw new FrameError(
        'malformed',
        `frame seq ${h.seq}: flag no-CRC (0x01) is only valid inside an authenticated record (keyed connection after its handshake)`,
      );
    return 0;
  }
  if (h.flags !== 0)
    throw new FrameError(
      'malformed',
      `frame seq ${h.seq}: flags 0x${h.flags.toString(16)} are not defined in version ${FRAME_VERSION}`,
    );
  if (h.length < HEADER_BYTES + CRC_BYTES)
    throw new FrameError(
      'too-small',
      `frame length ${h.length} is below the minimum ${HEADER_BYTES + CRC_BYTES}`,
    );
  if (crc32(buf.subarray(0, h.length - CRC_BYTES)) !== buf.readUInt32BE(h.length - CRC_BYTES))
    throw new FrameError('bad-checksum', `frame seq ${h.seq}: CRC32 mismatch`);
  return CRC_BYTES;
}

/** Decodes exactly one whole frame; throws {@link FrameError} naming what is wrong. */
export function decodeFrame(bytes: Uint8Array, options: CodecOptions = {}): Frame {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeFrameWithin(buf, resolveLimits(options.limits), options.sealed ?? false);
}

/**
 * {@link decodeFrame} with limits already resolved (the streaming decoder's per-frame path).
 * `sealed`: the bytes came out of an authenticated record. `owned`: `buf` is the only user of
 * its memory, so an aligned tensor payload becomes the tensor's data without a copy. `header`: the
 * header already read from `buf`.
 */
export function decodeFrameWithin(
  buf: Buffer,
  limits: FrameLimits,
  sealed = false,
  owned = false,
  header?: FrameHeader,
): Frame {
  if (buf.length < HEADER_BYTES)
    throw new FrameError(
      'too-small',
      `frame of ${buf.length} bytes is below the minimum ${HEADER_BYTES}`,
      true,
    );
  if (buf.readUInt32BE(0) !== FRAME_MAGIC)
    throw new FrameError('bad-magic', `bad magic 0x${buf.readUInt32BE(0).toString(16)}`, true);
  const h = header ?? readHeader(buf);
  if (h.length !== buf.length)
    throw new FrameError('malformed', `length field ${h.length} does not match ${buf.length} bytes`);
  if (h.length > limits.maxFrameBytes)
    throw new FrameError(
      'too-large',
      `frame of ${h.length} bytes exceeds maxFrameBytes ${limits.maxFrameBytes}`,
    );
  if (h.version !== FRAME_VERSION)
    throw new FrameError(
      'bad-version',
      `frame version ${h.version} is not supported (this end speaks ${FRAME_VERSION})`,
    );
  const trailer = verifyCrc(buf, h, sealed);
  if (!h.type) throw new FrameError('malformed', `unknown frame type code ${h.typeCode}`);
  const body = buf.subarray(HEADER_BYTES, h.length - trailer);
  if (h.type === 'tensor') return decodeTensorBody(h, body, limits, owned);
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(body.toString('utf8')) as JsonValue;
  } catch (err) {
    throw new FrameError(
      'malformed',
      `${h.type} frame seq ${h.seq}: body is not JSON (${(err as Error).message})`,
    );
  }
  return { type: h.type, streamId: h.streamId, seq: h.seq, body: parsed };
}
