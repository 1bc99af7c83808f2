/**
 * Tensor frame bodies (pure): a tensor's metadata and payload on the wire at its wire encoding, and
 * back (the layout is in `frame.ts`).
 */
import { DTYPE_BYTES, shapeSize, type DType, type TensorArray } from '../../core/tensor.js';
import { DTYPES, WIRE_ENCODINGS, type WireEncoding } from '../../core/vocabulary.js';
import { FrameError } from '../errors.js';
import type { FrameHeader, FrameLimits, TensorFrame } from './frame.js';
import { HEADER_BYTES } from './layout.js';
import {
  chooseQuantParams,
  dequantise,
  fromFloat16,
  quantise,
  toFloat16,
  type QuantParams,
} from './quant.js';

const WIRE_CODES: readonly WireEncoding[] = WIRE_ENCODINGS;
const DTYPE_CODES: readonly DType[] = DTYPES;

/** Throws unless `value` fits a u32 field. */
export function checkU32(value: number, what: string): void {
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

/**
 * Where a tensor frame's payload starts, counted from the frame's first byte, read through
 * `byteAt` (the frame may still lie in several chunks): the layout {@link decodeTensorBody} reads,
 * without its checks (a malformed frame is refused there).
 */
export function tensorPayloadOffset(byteAt: (i: number) => number): number {
  const o = HEADER_BYTES + 2 + ((byteAt(HEADER_BYTES) << 8) | byteAt(HEADER_BYTES + 1));
  const wire = WIRE_CODES[byteAt(o + 1)];
  const quantBytes = wire === 'int8' || wire === 'int16' ? 8 : 0;
  return o + 4 + 4 * byteAt(o + 2) + quantBytes + byteAt(o + 3);
}

/** A tensor body as its metadata and its payload (a view on the tensor's data at fp32/native). */
export function encodeTensorBody(f: TensorFrame, padded: boolean): [Buffer, Buffer] {
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

/** Decodes a tensor frame's body; `owned`: its memory is this frame's alone (the payload may be viewed in place). */
export function decodeTensorBody(
  h: FrameHeader,
  body: Buffer,
  limits: FrameLimits,
  owned: boolean,
): TensorFrame {
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
