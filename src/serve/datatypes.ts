import type { DType, TensorArray } from '../core/tensor.js';

/** Tensor element types of the Open Inference Protocol v2 (KServe / Triton). */
export type V2Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** Every v2 datatype name, for validation. */
export const V2_DATATYPES: readonly V2Datatype[] = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
];

/** v2 datatype of each edgesplit dtype. */
export const DTYPE_TO_V2: Readonly<Record<DType, V2Datatype>> = {
  float32: 'FP32',
  float16: 'FP16',
  int8: 'INT8',
  uint8: 'UINT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
};

/** edgesplit dtype of the v2 datatypes this server can carry (the others have no `DType`). */
export const V2_TO_DTYPE: Readonly<Partial<Record<V2Datatype, DType>>> = {
  FP32: 'float32',
  FP16: 'float16',
  INT8: 'int8',
  UINT8: 'uint8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  BOOL: 'bool',
};

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
