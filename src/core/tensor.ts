import type { DType } from './vocabulary.js';

export type { DType } from './vocabulary.js';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
};

/** Typed array holding a tensor's elements. */
export type TensorArray =
  Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

/** A dense tensor: dtype, dims and its elements in row-major order. */
export interface Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorArray;
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Builds a float32 tensor, checking that data length matches dims. */
export function float32Tensor(dims: readonly number[], data: Float32Array): Tensor {
  if (shapeSize(dims) !== data.length) {
    throw new RangeError(
      `tensor data has ${data.length} elements but dims [${dims.join(',')}] need ${shapeSize(dims)}`,
    );
  }
  return { dtype: 'float32', dims: [...dims], data };
}
