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
import { DTYPE_BYTES, shapeSize, type DType, type Tensor, type TensorArray } from '../../core/tensor.js';
import { DTYPES, WIRE_ENCODINGS, type WireEncoding } from '../../core/vocabulary.js';
import { FrameError } from '../errors.js';
import {
  chooseQuantParams,
  dequantise,
  fromFloat16,
  quantise,
  toFloat16,
  type QuantParams,
} from './quant.js';

/** "ESPF" */
export const FRAME_MAGIC = 0x45535046;
/** Frame format version written by this code. */
export const FRAME_VERSION = 1;
/** Fixed header bytes before the body. */
export const HEADER_BYTES = 20;
/** Trailer bytes of a frame with a CRC32 (every frame but {@link FRAME_FLAG_NO_CRC} ones). */
export const CRC_BYTES = 4;
/**
 * Frame flag: no CRC32 trailer. Sent only inside AEAD records (the record's GCM tag authenticates
 * every byte), after both ends agreed to it in the handshake; a decoder outside records rejects it.
 */
export const FRAME_FLAG_NO_CRC = 0x01;

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
const WIRE_CODES: readonly WireEncoding[] = WIRE_ENCODINGS;
const DTYPE_CODES: readonly DType[] = DTYPES;

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

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new FrameError('malformed', `${what} must be an integer in [0, 2^32), got ${value}`);
  }
}

function bytesOf(a: TensorArray | Uint16Array | Int8Array | Int16Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

let lastName = '';
let lastNameBytes = Buffer.alloc(0);
/** A tensor name's UTF-8 bytes (read only); a connection sends the same few names over and over. */
function nameBytes(name: string): Buffer {
  if (name !== lastName) {
    lastNameBytes = Buffer.from(name, 'utf8');
    lastName = name;
  }
  return lastNameBytes;
}

/** Alignment of a padded tensor payload from the frame's start (the largest element, int64). */
export const PAYLOAD_ALIGN = 8;

/** Padding bytes that align a payload after `metaBytes` of tensor metadata (padded frames only). */
export function payloadPadBytes(metaBytes: number): number {
  return (PAYLOAD_ALIGN - ((HEADER_BYTES + metaBytes) % PAYLOAD_ALIGN)) % PAYLOAD_ALIGN;
}

/** A tensor body as its metadata and its payload (a view on the tensor's data at fp32/native). */
function encodeTensorBody(f: TensorFrame, padded: boolean): [Buffer, Buffer] {
  const { tensor } = f;
  const wire = f.wire ?? (tensor.dtype === 'float32' ? 'fp32' : 'native');
  if (wire !== 'native' && tensor.dtype !== 'float32') {
    throw new FrameError(
      'malformed',
      `tensor "${f.name}": wire encoding ${wire} needs a float32 tensor, got ${tensor.dtype}`,
    );
  }
  const n = shapeSize(tensor.dims);
  if (tensor.data.length !== n) {
    throw new FrameError(
      'malformed',
      `tensor "${f.name}": data has ${tensor.data.length} elements but dims [${tensor.dims.join(',')}] need ${n}`,
    );
  }
  const name = nameBytes(f.name);
  if (name.length > 0xffff) throw new FrameError('limit', `tensor name is ${name.length} bytes (max 65535)`);
  if (tensor.dims.length > 255)
    throw new FrameError('limit', `tensor "${f.name}" has rank ${tensor.dims.length} (max 255)`);
  let payload: Buffer;
  let quant: QuantParams | undefined;
  const data = tensor.data as Float32Array;
  if (wire === 'fp16') payload = bytesOf(toFloat16(data));
  else if (wire === 'int8' || wire === 'int16') {
    const bits = wire === 'int8' ? 8 : 16;
    quant = f.quant ?? chooseQuantParams(data, bits);
    payload = bytesOf(quantise(data, bits, quant));
  } else payload = bytesOf(tensor.data);
  const metaBytes = 2 + name.length + 4 + 4 * tensor.dims.length + (quant ? 8 : 0);
  const pad = padded ? payloadPadBytes(metaBytes) : 0;
  // every byte is written below: no zero fill, and small metadata comes from the shared pool
  const meta = Buffer.allocUnsafe(metaBytes + pad);
  let o = meta.writeUInt16BE(name.length, 0);
  o += name.copy(meta, o);
  o = meta.writeUInt8(DTYPE_CODES.indexOf(tensor.dtype), o);
  o = meta.writeUInt8(WIRE_CODES.indexOf(wire), o);
  o = meta.writeUInt8(tensor.dims.length, o);
  o = meta.writeUInt8(pad, o);
  if (pad > 0) meta.fill(0, metaBytes);
  for (const d of tensor.dims) {
    checkU32(d, `tensor "${f.name}" dim`);
    o = meta.writeUInt32BE(d, o);
  }
  if (quant) {
    o = meta.writeFloatBE(quant.scale, o);
    meta.writeInt32BE(quant.zeroPoint, o);
  }
  return [meta, payload];
}

/** One frame as the buffers that make it up, in order, and their total length. */
export interface EncodedFrame {
  /** Header and tensor metadata (or JSON body), the tensor payload (a view on the tensor's data when its wire encoding is its dtype), CRC trailer. */
  readonly parts: readonly Buffer[];
  readonly length: number;
}

/** Payloads up to this size are copied into one frame buffer: a copy costs less than a call per part. */
const VIEW_PAYLOAD_BYTES = 16 * 1024;

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

/**
 * The payload as a typed array: a view when `owned` (no other frame or user shares its memory) and
 * aligned to the element size, else an aligned copy.
 */
function typedPayload(dtype: DType, bytes: Buffer, owned: boolean): TensorArray {
  const per = DTYPE_BYTES[dtype];
  const view = owned && bytes.byteOffset % per === 0;
  const buf = view ? bytes.buffer : new Uint8Array(bytes).buffer;
  const at = view ? bytes.byteOffset : 0;
  const n = bytes.length / per;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, at, n);
    case 'float16':
      return new Uint16Array(buf, at, n);
    case 'int8':
      return new Int8Array(buf, at, n);
    case 'int16':
      return new Int16Array(buf, at, n);
    case 'int32':
      return new Int32Array(buf, at, n);
    case 'int64':
      return new BigInt64Array(buf, at, n);
    default:
      return new Uint8Array(buf, at, n);
  }
}

function decodeTensorBody(h: FrameHeader, body: Buffer, limits: FrameLimits, owned: boolean): TensorFrame {
  const bad = (msg: string) => new FrameError('malformed', `tensor frame seq ${h.seq}: ${msg}`);
  if (body.length < 6) throw bad(`body of ${body.length} bytes is too short`);
  const nameLen = body.readUInt16BE(0);
  if (nameLen > limits.maxNameBytes)
    throw new FrameError(
      'limit',
      `tensor frame seq ${h.seq}: name of ${nameLen} bytes exceeds maxNameBytes ${limits.maxNameBytes}`,
    );
  let o = 2 + nameLen;
  if (body.length < o + 4) throw bad('truncated before dtype');
  const name = body.toString('utf8', 2, o);
  const dtype = DTYPE_CODES[body.readUInt8(o)];
  const wire = WIRE_CODES[body.readUInt8(o + 1)];
  const rank = body.readUInt8(o + 2);
  const pad = body.readUInt8(o + 3);
  o += 4;
  if (!dtype) throw bad(`unknown dtype code ${body.readUInt8(o - 4)} (tensor "${name}")`);
  if (!wire) throw bad(`unknown wire encoding code ${body.readUInt8(o - 3)} (tensor "${name}")`);
  if (wire !== 'native' && dtype !== 'float32')
    throw bad(`wire encoding ${wire} with dtype ${dtype} (tensor "${name}")`);
  if (rank > limits.maxRank)
    throw new FrameError('limit', `tensor "${name}": rank ${rank} exceeds maxRank ${limits.maxRank}`);
  if (body.length < o + 4 * rank) throw bad(`truncated dims (tensor "${name}")`);
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < rank; i++, o += 4) {
    dims.push(body.readUInt32BE(o));
    elements *= dims[i];
  }
  if (elements > limits.maxElements)
    throw new FrameError(
      'limit',
      `tensor "${name}": ${elements} elements exceed maxElements ${limits.maxElements}`,
    );
  let quant: QuantParams | undefined;
  if (wire === 'int8' || wire === 'int16') {
    if (body.length < o + 8) throw bad(`truncated quantisation parameters (tensor "${name}")`);
    quant = { scale: body.readFloatBE(o), zeroPoint: body.readInt32BE(o + 4) };
    o += 8;
  }
  if (pad >= PAYLOAD_ALIGN || body.length < o + pad)
    throw bad(`padding of ${pad} bytes is not below ${PAYLOAD_ALIGN} or is truncated (tensor "${name}")`);
  o += pad;
  const per = wire === 'native' ? DTYPE_BYTES[dtype] : wire === 'fp32' ? 4 : wire === 'int8' ? 1 : 2;
  const payload = body.subarray(o);
  if (payload.length !== elements * per) {
    throw bad(
      `payload is ${payload.length} bytes but dims [${dims.join(',')}] at ${wire} need ${elements * per} (tensor "${name}")`,
    );
  }
  let data: TensorArray;
  if (wire === 'fp16') data = fromFloat16(typedPayload('float16', payload, owned) as Uint16Array);
  else if (wire === 'int8') data = dequantise(typedPayload('int8', payload, owned) as Int8Array, quant!);
  else if (wire === 'int16') data = dequantise(typedPayload('int16', payload, owned) as Int16Array, quant!);
  else data = typedPayload(dtype, payload, owned);
  const tensor = { dtype, dims, data };
  // two literals, not a spread: this runs once per received tensor
  return quant
    ? { type: 'tensor', streamId: h.streamId, seq: h.seq, name, tensor, wire, quant }
    : { type: 'tensor', streamId: h.streamId, seq: h.seq, name, tensor, wire };
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
