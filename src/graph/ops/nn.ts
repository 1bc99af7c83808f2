import { ShapeError } from '../../core/errors.js';
import type { Dim } from '../types.js';
import {
  attrInt,
  attrInts,
  attrString,
  broadcast,
  need,
  windowOut,
  type InferredOutput,
  type ShapeCtx,
  type ShapeFn,
} from './common.js';

function spatialAttrs(ctx: ShapeCtx, spatial: number, kernel: number[]) {
  const { node } = ctx;
  const strides = attrInts(node, 'strides') ?? new Array(spatial).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array(spatial).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array(spatial * 2).fill(0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (kernel.length !== spatial || strides.length !== spatial || pads.length !== spatial * 2) {
    throw new ShapeError(`kernel/strides/pads ranks do not match ${spatial} spatial dims`);
  }
  return { strides, dilations, pads, autoPad };
}

/** Conv: output [N, M, spatial...] from X [N, C, ...] and W [M, C/group, k...]. */
export const conv: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  if (x.length < 3) throw new ShapeError(`Conv input must have rank >= 3, got [${x.join(',')}]`);
  const spatial = x.length - 2;
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? (w.slice(2) as number[]);
  const group = attrInt(ctx.node, 'group', 1);
  if (typeof x[1] === 'number' && typeof w[1] === 'number' && x[1] !== w[1] * group) {
    throw new ShapeError(`Conv input has ${x[1]} channels but weight expects ${w[1]} x group ${group}`);
  }
  const { strides, dilations, pads, autoPad } = spatialAttrs(ctx, spatial, kernel);
  const out: Dim[] = [x[0], w[0]];
  for (let i = 0; i < spatial; i++) {
    out.push(windowOut(x[2 + i], kernel[i], strides[i], dilations[i], pads[i], pads[i + spatial], autoPad));
  }
  return [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32' }];
};

const convTranspose: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const spatial = x.length - 2;
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? (w.slice(2) as number[]);
  const group = attrInt(ctx.node, 'group', 1);
  const { strides, dilations, pads, autoPad } = spatialAttrs(ctx, spatial, kernel);
  const outPad = attrInts(ctx.node, 'output_padding') ?? new Array(spatial).fill(0);
  const outputShape = attrInts(ctx.node, 'output_shape');
  const cout = typeof w[1] === 'number' ? w[1] * group : w[1];
  const out: Dim[] = [x[0], cout];
  for (let i = 0; i < spatial; i++) {
    const xin = x[2 + i];
    if (outputShape) out.push(outputShape[outputShape.length - spatial + i]);
    else if (typeof xin === 'string') out.push(xin);
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(xin * strides[i]);
    else {
      out.push(
        strides[i] * (xin - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + spatial],
      );
    }
  }
  return [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32' }];
};

function pool(global: boolean): ShapeFn {
  return (ctx) => {
    const x = need(ctx, 0);
    const spatial = x.length - 2;
    if (global)
      return [{ shape: [x[0], x[1], ...new Array(spatial).fill(1)], dtype: ctx.dtypes[0] ?? 'float32' }];
    const kernel = attrInts(ctx.node, 'kernel_shape');
    if (!kernel) throw new ShapeError('pooling node has no kernel_shape');
    const { strides, dilations, pads, autoPad } = spatialAttrs(ctx, spatial, kernel);
    const ceil = attrInt(ctx.node, 'ceil_mode', 0) === 1;
    const out: Dim[] = [x[0], x[1]];
    for (let i = 0; i < spatial; i++) {
      out.push(
        windowOut(x[2 + i], kernel[i], strides[i], dilations[i], pads[i], pads[i + spatial], autoPad, ceil),
      );
    }
    const outputs: InferredOutput[] = [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32' }];
    if (ctx.node.outputs.length > 1) outputs.push({ shape: out, dtype: 'int64' });
    return outputs;
  };
}

const gemm: ShapeFn = (ctx) => {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  if (a.length !== 2 || b.length !== 2)
    throw new ShapeError(`Gemm needs 2-D inputs, got [${a.join(',')}] and [${b.join(',')}]`);
  const m = attrInt(ctx.node, 'transA', 0) ? a[1] : a[0];
  const ka = attrInt(ctx.node, 'transA', 0) ? a[0] : a[1];
  const kb = attrInt(ctx.node, 'transB', 0) ? b[1] : b[0];
  const n = attrInt(ctx.node, 'transB', 0) ? b[0] : b[1];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    throw new ShapeError(`Gemm inner dims differ: ${ka} vs ${kb}`);
  }
  return [{ shape: [m, n], dtype: ctx.dtypes[0] ?? 'float32' }];
};

/** MatMul with numpy broadcasting of the batch dims. */
export const matmul: ShapeFn = (ctx) => {
  const a = [...need(ctx, 0)];
  const b = [...need(ctx, 1)];
  const aVec = a.length === 1;
  const bVec = b.length === 1;
  if (aVec) a.unshift(1);
  if (bVec) b.push(1);
  const ka = a[a.length - 1];
  const kb = b[b.length - 2];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    throw new ShapeError(`MatMul inner dims differ: ${ka} vs ${kb}`);
  }
  const batch = broadcast(a.slice(0, -2), b.slice(0, -2), ctx.node);
  const out: Dim[] = [...batch];
  if (!aVec) out.push(a[a.length - 2]);
  if (!bVec) out.push(b[b.length - 1]);
  return [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32' }];
};

/** Same shape and dtype as the first input; extra outputs (Dropout mask, BN stats) shaped alike. */
export const sameAsInput: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  return ctx.node.outputs.map((_, i) => ({
    shape: [...x],
    dtype: i === 0 || ctx.node.opType !== 'Dropout' ? (ctx.dtypes[0] ?? 'float32') : 'bool',
  }));
};

const batchNorm: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  return ctx.node.outputs.map((_, i) => ({
    shape: i === 0 ? [...x] : [x[1]],
    dtype: ctx.dtypes[0] ?? 'float32',
  }));
};

/** Neural-network ops: convolutions, pooling, dense layers, activations, normalisation. */
export const NN_SHAPE_FNS: Readonly<Record<string, ShapeFn>> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool(false),
  AveragePool: pool(false),
  LpPool: pool(false),
  GlobalAveragePool: pool(true),
  GlobalMaxPool: pool(true),
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
  InstanceNormalization: sameAsInput,
  LayerNormalization: sameAsInput,
  LRN: sameAsInput,
  Relu: sameAsInput,
  LeakyRelu: sameAsInput,
  PRelu: sameAsInput,
  Elu: sameAsInput,
  Selu: sameAsInput,
  Clip: sameAsInput,
  Sigmoid: sameAsInput,
  Tanh: sameAsInput,
  HardSigmoid: sameAsInput,
  HardSwish: sameAsInput,
  Softmax: sameAsInput,
  LogSoftmax: sameAsInput,
  Softplus: sameAsInput,
  Gelu: sameAsInput,
  Erf: sameAsInput,
  Sqrt: sameAsInput,
  Exp: sameAsInput,
  Log: sameAsInput,
  Neg: sameAsInput,
  Abs: sameAsInput,
  Reciprocal: sameAsInput,
  Floor: sameAsInput,
  Ceil: sameAsInput,
  Round: sameAsInput,
  Dropout: sameAsInput,
  Identity: sameAsInput,
};
