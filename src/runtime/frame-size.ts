/** Encoded size of a tensor frame without encoding it (pure; mirrors `transport/codec/frame.ts`). */
import { DTYPE_BYTES, shapeSize } from '../core/tensor.js';
import { CRC_BYTES, HEADER_BYTES, HMAC_BYTES, type TensorFrame } from '../transport/codec/frame.js';

/** Bytes the frame occupies on the wire (header, body, CRC32 or HMAC trailer). */
export function tensorFrameBytes(f: TensorFrame, keyed: boolean): number {
  const wire = f.wire ?? (f.tensor.dtype === 'float32' ? 'fp32' : 'native');
  const n = shapeSize(f.tensor.dims);
  const per = wire === 'native' ? DTYPE_BYTES[f.tensor.dtype] : wire === 'fp32' ? 4 : wire === 'int8' ? 1 : 2;
  const quant = wire === 'int8' || wire === 'int16' ? 8 : 0;
  const body = 2 + Buffer.byteLength(f.name, 'utf8') + 4 + 4 * f.tensor.dims.length + quant + n * per;
  return HEADER_BYTES + body + (keyed ? HMAC_BYTES : CRC_BYTES);
}
