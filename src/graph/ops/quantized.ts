import { conv, matmul } from './nn.js';
import { need, type ShapeCtx, type ShapeFn } from './common.js';

/** The same node seen through the inputs at `positions` (QLinearConv's x and w are inputs 0 and 3). */
function pick(ctx: ShapeCtx, positions: readonly number[]): ShapeCtx {
  return {
    node: ctx.node,
    shapes: positions.map((p) => ctx.shapes[p]),
    dtypes: positions.map((p) => ctx.dtypes[p]),
    consts: positions.map((p) => ctx.consts[p]),
  };
}

/** Runs `fn` on the picked inputs and gives its output `dtype`. */
function retyped(fn: ShapeFn, positions: readonly number[], dtype: (ctx: ShapeCtx) => string): ShapeFn {
  return (ctx) => fn(pick(ctx, positions)).map((o) => ({ shape: o.shape, dtype: dtype(ctx) }));
}

/** Output dtype of an op quantising to its zero point's type (uint8 when the zero point is omitted). */
const zeroPointType = (i: number) => (ctx: ShapeCtx) => ctx.dtypes[i] ?? 'uint8';

const quantizeLinear: ShapeFn = (ctx) => [{ shape: [...need(ctx, 0)], dtype: zeroPointType(2)(ctx) }];
const dequantizeLinear: ShapeFn = (ctx) => [{ shape: [...need(ctx, 0)], dtype: ctx.dtypes[1] ?? 'float32' }];

/**
 * Quantised ops as `quantize` and onnxruntime's quantiser emit them: QDQ pairs around float ops,
 * and integer convolutions / matrix products.
 */
export const QUANTIZED_SHAPE_FNS: Readonly<Record<string, ShapeFn>> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B
  QLinearConv: retyped(conv, [0, 3], zeroPointType(7)),
  // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
  QLinearMatMul: retyped(matmul, [0, 3], zeroPointType(7)),
  ConvInteger: retyped(conv, [0, 1], () => 'int32'),
  MatMulInteger: retyped(matmul, [0, 1], () => 'int32'),
};
