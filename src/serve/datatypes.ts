import type { DType, TensorArray } from '../core/tensor.js';
import { DTYPES } from '../core/vocabulary.js';

/**
 * Tensor element types of the Open Inference Protocol v2 (KServe / Triton), each with the ONNX dtype
 * name it carries and Triton's `DataType` name (model_config.proto; `BYTES` is `TYPE_STRING`). The
 * one table every v2, ONNX and Triton type mapping of the server and the exporter derives from.
 */
export const V2_TYPES = {
  BOOL: { onnx: 'bool', triton: 'TYPE_BOOL' },
  UINT8: { onnx: 'uint8', triton: 'TYPE_UINT8' },
  UINT16: { onnx: 'uint16', triton: 'TYPE_UINT16' },
  UINT32: { onnx: 'uint32', triton: 'TYPE_UINT32' },
  UINT64: { onnx: 'uint64', triton: 'TYPE_UINT64' },
  INT8: { onnx: 'int8', triton: 'TYPE_INT8' },
  INT16: { onnx: 'int16', triton: 'TYPE_INT16' },
  INT32: { onnx: 'int32', triton: 'TYPE_INT32' },
  INT64: { onnx: 'int64', triton: 'TYPE_INT64' },
  FP16: { onnx: 'float16', triton: 'TYPE_FP16' },
  FP32: { onnx: 'float32', triton: 'TYPE_FP32' },
  FP64: { onnx: 'float64', triton: 'TYPE_FP64' },
  BYTES: { onnx: 'string', triton: 'TYPE_STRING' },
} as const;

/** A v2 datatype name. */
export type V2Datatype = keyof typeof V2_TYPES;

/** Every v2 datatype name, for validation. */
export const V2_DATATYPES = Object.keys(V2_TYPES) as readonly V2Datatype[];

/** v2 datatype of an ONNX dtype name (undefined for one v2 has no name for, e.g. bfloat16). */
export const V2_OF_ONNX: Readonly<Partial<Record<string, V2Datatype>>> = Object.fromEntries(
  V2_DATATYPES.map((v) => [V2_TYPES[v].onnx, v]),
);

/** v2 datatype of each edgesplit dtype. */
export const DTYPE_TO_V2 = Object.fromEntries(DTYPES.map((d) => [d, V2_OF_ONNX[d]!])) as Readonly<
  Record<DType, V2Datatype>
>;

/** edgesplit dtype of the v2 datatypes this server can carry (the others have no `DType`). */
export const V2_TO_DTYPE: Readonly<Partial<Record<V2Datatype, DType>>> = Object.fromEntries(
  DTYPES.map((d) => [DTYPE_TO_V2[d], d]),
);

/** Inclusive integer range of the integer dtypes, used to reject out-of-range JSON values. */
export const INT_RANGE: Readonly<Partial<Record<DType, readonly [number, number]>>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  bool: [0, 1],
};

/** Allocates a zeroed typed array of `n` elements for a dtype. */
export function allocArray(dtype: DType, n: number): TensorArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float16':
      return new Uint16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
  }
}

/** Wraps little-endian bytes (copied, so alignment never matters) as a typed array of a dtype. */
export function arrayFromBytes(dtype: DType, bytes: Uint8Array, n: number): TensorArray {
  const out = allocArray(dtype, n);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(0, out.byteLength));
  return out;
}

/** The raw little-endian bytes of a typed array (a view, not a copy). */
export function bytesOfArray(a: TensorArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Converts tensor elements to plain JSON values (booleans for BOOL, numbers otherwise). */
export function arrayToJson(dtype: DType, a: TensorArray): (number | boolean)[] {
  const out: (number | boolean)[] = new Array(a.length);
  if (dtype === 'bool') {
    for (let i = 0; i < a.length; i++) out[i] = a[i] !== 0;
  } else if (a instanceof BigInt64Array) {
    for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  } else {
    for (let i = 0; i < a.length; i++) out[i] = a[i] as number;
  }
  return out;
}
