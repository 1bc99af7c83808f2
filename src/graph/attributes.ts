import { ONNX_DTYPE, toNum, type AttributeProto, type TensorProto } from '../onnx/proto.js';
import type { AttrTensor, AttrValue } from './types.js';

/** Tensors up to this many elements have their values decoded (shapes, axes, scales). */
export const MAX_DECODED_ELEMENTS = 4096;

/** Element count of a tensor proto's dims. */
export function tensorElements(t: TensorProto): number {
  let n = 1;
  for (const d of t.dims ?? []) n *= toNum(d);
  return n;
}

/** True when the tensor's bytes live in an external file. */
export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === 1;
}

/**
 * Decodes a small tensor's values to numbers; undefined when too large, external, or of a type
 * without numeric meaning here.
 */
export function tensorValues(t: TensorProto, maxElements = MAX_DECODED_ELEMENTS): number[] | undefined {
  const n = tensorElements(t);
  if (n > maxElements || isExternal(t)) return undefined;
  const dtype = ONNX_DTYPE[t.dataType ?? 0];
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width: Record<string, number> = {
      float32: 4,
      int64: 8,
      int32: 4,
      int8: 1,
      uint8: 1,
      int16: 2,
      bool: 1,
      float64: 8,
    };
    const w = width[dtype ?? ''];
    if (!w || raw.length !== n * w) return undefined;
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * w;
      switch (dtype) {
        case 'float32':
          out[i] = view.getFloat32(o, true);
          break;
        case 'float64':
          out[i] = view.getFloat64(o, true);
          break;
        case 'int64':
          out[i] = Number(view.getBigInt64(o, true));
          break;
        case 'int32':
          out[i] = view.getInt32(o, true);
          break;
        case 'int16':
          out[i] = view.getInt16(o, true);
          break;
        case 'int8':
          out[i] = view.getInt8(o);
          break;
        default:
          out[i] = view.getUint8(o);
      }
    }
    return out;
  }
  const typed =
    (t.floatData?.length ? t.floatData : undefined) ??
    (t.int64Data?.length ? t.int64Data.map((v) => toNum(v)) : undefined) ??
    (t.int32Data?.length ? t.int32Data : undefined) ??
    (t.doubleData?.length ? t.doubleData : undefined);
  if (typed && typed.length === n) return Array.from(typed, Number);
  if (n === 0) return [];
  return undefined;
}

function attrTensor(t: TensorProto): AttrTensor {
  return {
    kind: 'tensor',
    dtype: ONNX_DTYPE[t.dataType ?? 0] ?? `onnx-type-${t.dataType}`,
    dims: (t.dims ?? []).map((d) => toNum(d)),
    values: tensorValues(t),
  };
}

const decoder = new TextDecoder();

/** Decodes an attribute to a plain JS value (graphs and sparse tensors become null). */
export function decodeAttribute(a: AttributeProto): AttrValue {
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return toNum(a.i);
    case 3:
      return decoder.decode(a.s ?? new Uint8Array());
    case 4:
      return a.t ? attrTensor(a.t) : null;
    case 6:
      return Array.from(a.floats ?? [], Number);
    case 7:
      return (a.ints ?? []).map((v) => toNum(v));
    case 8:
      return (a.strings ?? []).map((s) => decoder.decode(s));
    default:
      return null;
  }
}
