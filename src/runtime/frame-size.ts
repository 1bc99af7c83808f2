/** Encoded size of a tensor frame without encoding it (pure; mirrors `transport/codec/frame.ts`). */
import { DTYPE_BYTES, shapeSize } from '../core/tensor.js';
import { RECORD_OVERHEAD_BYTES } from '../transport/auth/record-layer.js';
import type { DType, WireEncoding } from '../core/vocabulary.js';
import { CRC_BYTES, HEADER_BYTES, payloadPadBytes, type TensorFrame } from '../transport/codec/frame.js';

/** Bytes one element of a `dtype` tensor takes on the wire in encoding `wire`. */
export function wireElementBytes(dtype: DType, wire: WireEncoding): number {
  return wire === 'native' ? DTYPE_BYTES[dtype] : wire === 'fp32' ? 4 : wire === 'int8' ? 1 : 2;
}

/**
 * Bytes the frame occupies on the wire: header, body and CRC32; keyed, inside one AEAD record,
 * without the CRC32 and with the payload aligned (the no-crc feature keyed ends agree to).
 */
export function tensorFrameBytes(f: TensorFrame, keyed: boolean): number {
  const wire = f.wire ?? (f.tensor.dtype === 'float32' ? 'fp32' : 'native');
  const n = shapeSize(f.tensor.dims);
  const per = wireElementBytes(f.tensor.dtype, wire);
  const quant = wire === 'int8' || wire === 'int16' ? 8 : 0;
  const meta = 2 + Buffer.byteLength(f.name, 'utf8') + 4 + 4 * f.tensor.dims.length + quant;
  const body = meta + (keyed ? payloadPadBytes(meta) : 0) + n * per;
  return HEADER_BYTES + body + (keyed ? RECORD_OVERHEAD_BYTES : CRC_BYTES);
}
