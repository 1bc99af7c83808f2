import { ShapeError } from '../../core/errors.js';
import type { AttrTensor, Dim } from '../types.js';
import {
  attrInt,
  attrInts,
  broadcast,
  dimsProduct,
  mulDim,
  need,
  needConst,
  normAxis,
  ShapeUnknownError,
  type InferredOutput,
  type ShapeCtx,
  type ShapeFn,
} from './common.js';

const DTYPE_OF_ONNX: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
};

function binary(fold?: (a: number, b: number) => number, outDtype?: string): ShapeFn {
  return (ctx) => {
    const shape = broadcast(need(ctx, 0), need(ctx, 1), ctx.node);
    const dtype = outDtype ?? ctx.dtypes[0] ?? 'float32';
    const a = ctx.consts[0];
    const b = ctx.consts[1];
    if (fold && a && b && a.every((v) => typeof v === 'number') && b.every((v) => typeof v === 'number')) {
      const n = Math.max(a.length, b.length);
      if ((a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
        const value = Array.from({ length: n }, (_, i) =>
          fold(a[a.length === 1 ? 0 : i] as number, b[b.length === 1 ? 0 : i] as number),
        );
        return [{ shape, dtype, value }];
      }
    }
    return [{ shape, dtype }];
  };
}

const flatten: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const axis = attrInt(ctx.node, 'axis', 1);
  const a = axis < 0 ? axis + x.length : axis;
  const left = x.slice(0, a).reduce<Dim>((p, d) => mulDim(p, d), 1);
  const right = x.slice(a).reduce<Dim>((p, d) => mulDim(p, d), 1);
  return [{ shape: [left, right], dtype: ctx.dtypes[0] ?? 'float32' }];
};

/** Resolves a Reshape target (0 = copy, -1 = infer), cancelling symbolic dims shared with the input. */
export function reshapeTarget(input: readonly Dim[], target: readonly Dim[], allowZero: boolean): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (input[i] ?? 0) : d));
  const minus = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new ShapeError('Reshape shape has more than one -1');
  if (minus < 0) return out;
  const syms = input.filter((d): d is string => typeof d === 'string');
  let num = 1;
  for (const d of input) if (typeof d === 'number') num *= d;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    if (i === minus) continue;
    const d = out[i];
    if (typeof d === 'number') known *= d;
    else {
      const k = syms.indexOf(d);
      if (k >= 0) syms.splice(k, 1);
    }
  }
  if (known === 0 || num % known !== 0) {
    throw new ShapeError(`cannot reshape [${input.join(',')}] into [${target.join(',')}]`);
  }
  const q = num / known;
  out[minus] = syms.length === 0 ? q : syms.reduce<Dim>((p, s) => mulDim(p, s), q);
  return out;
}

const reshape: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const target = ctx.consts[1];
  if (!target)
    throw new ShapeUnknownError(
      `Reshape target shape '${ctx.node.inputs[1]}' is not a constant edgesplit can evaluate`,
    );
  const out = reshapeTarget(x, target, attrInt(ctx.node, 'allowzero', 0) === 1);
  if (
    dimsProduct(out) !== dimsProduct(x) &&
    out.every((d) => typeof d === 'number') &&
    x.every((d) => typeof d === 'number')
  ) {
    throw new ShapeError(
      `cannot reshape [${x.join(',')}] (${dimsProduct(x)} elements) into [${out.join(',')}]`,
    );
  }
  return [
    { shape: out, dtype: ctx.dtypes[0] ?? 'float32', value: ctx.consts[0] ? [...ctx.consts[0]] : undefined },
  ];
};

const transpose: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const perm = attrInts(ctx.node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
  if (perm.length !== x.length)
    throw new ShapeError(`Transpose perm has ${perm.length} entries for rank ${x.length}`);
  return [{ shape: perm.map((p) => x[p]), dtype: ctx.dtypes[0] ?? 'float32' }];
};

const concat: ShapeFn = (ctx) => {
  const shapes = ctx.shapes.map((_, i) => need(ctx, i));
  const rank = shapes[0].length;
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), rank, ctx.node);
  const out = [...shapes[0]];
  for (const s of shapes.slice(1)) {
    if (s.length !== rank) throw new ShapeError(`Concat inputs have ranks ${rank} and ${s.length}`);
    out[axis] =
      typeof out[axis] === 'number' && typeof s[axis] === 'number'
        ? (out[axis] as number) + (s[axis] as number)
        : `${out[axis]}+${s[axis]}`;
  }
  const all = ctx.consts.every((c) => c !== undefined) && rank === 1;
  return [
    {
      shape: out,
      dtype: ctx.dtypes[0] ?? 'float32',
      value: all ? ctx.consts.flatMap((c) => [...c!]) : undefined,
    },
  ];
};

const split: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.length, ctx.node);
  const n = ctx.node.outputs.length;
  let sizes = ctx.node.inputs[1] ? needConst(ctx, 1, 'Split sizes') : attrInts(ctx.node, 'split');
  const total = x[axis];
  if (!sizes) {
    if (typeof total !== 'number') throw new ShapeError('Split of a symbolic axis needs explicit sizes');
    const chunk = Math.ceil(total / n);
    sizes = Array.from({ length: n }, (_, i) => Math.min(chunk, total - chunk * i));
  }
  if (sizes.length !== n) throw new ShapeError(`Split has ${n} outputs but ${sizes.length} sizes`);
  return sizes.map((s) => {
    const shape = [...x];
    shape[axis] = s;
    return { shape, dtype: ctx.dtypes[0] ?? 'float32' };
  });
};

const slice: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const opsetInputs = ctx.node.inputs.length > 1;
  const starts = opsetInputs ? needConst(ctx, 1, 'Slice starts') : (attrInts(ctx.node, 'starts') ?? []);
  const ends = opsetInputs ? needConst(ctx, 2, 'Slice ends') : (attrInts(ctx.node, 'ends') ?? []);
  const axes =
    (opsetInputs && ctx.node.inputs[3] ? needConst(ctx, 3, 'Slice axes') : attrInts(ctx.node, 'axes')) ??
    starts.map((_, i) => i);
  const steps = opsetInputs && ctx.node.inputs[4] ? needConst(ctx, 4, 'Slice steps') : starts.map(() => 1);
  const out = [...x];
  const ranges: [number, number, number, number][] = [];
  axes.forEach((ax, i) => {
    const a = normAxis(ax, x.length, ctx.node);
    const dim = x[a];
    if (typeof dim !== 'number') return;
    const step = steps[i];
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    s = step > 0 ? clamp(s, 0, dim) : clamp(s, 0, dim - 1);
    e = step > 0 ? clamp(e, 0, dim) : clamp(e, -1, dim - 1);
    out[a] = Math.max(0, Math.ceil((e - s) / step));
    ranges.push([a, s, e, step]);
  });
  const c = ctx.consts[0];
  let value: Dim[] | undefined;
  if (c && x.length === 1 && ranges.length === 1) {
    const [, s, e, step] = ranges[0];
    value = [];
    for (let i = s; step > 0 ? i < e : i > e; i += step) value.push(c[i]);
  }
  return [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32', value }];
};

function axesOf(ctx: ShapeCtx): number[] | undefined {
  return ctx.node.inputs[1] ? needConst(ctx, 1, `${ctx.node.opType} axes`) : attrInts(ctx.node, 'axes');
}

const squeeze: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const axes = axesOf(ctx)?.map((a) => normAxis(a, x.length, ctx.node));
  const out = x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return [
    { shape: out, dtype: ctx.dtypes[0] ?? 'float32', value: ctx.consts[0] ? [...ctx.consts[0]] : undefined },
  ];
};

const unsqueeze: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const axes = axesOf(ctx);
  if (!axes) throw new ShapeError('Unsqueeze has no axes');
  const rank = x.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, ctx.node)).sort((p, q) => p - q);
  const out: Dim[] = [...x];
  for (const a of norm) out.splice(a, 0, 1);
  return [
    { shape: out, dtype: ctx.dtypes[0] ?? 'float32', value: ctx.consts[0] ? [...ctx.consts[0]] : undefined },
  ];
};

const pad: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const pads = ctx.node.inputs[1] ? needConst(ctx, 1, 'Pad pads') : attrInts(ctx.node, 'pads');
  if (!pads) throw new ShapeError('Pad has no pads');
  const axes = ctx.node.inputs[3] ? needConst(ctx, 3, 'Pad axes') : x.map((_, i) => i);
  const out = [...x];
  axes.forEach((ax, i) => {
    const a = normAxis(ax, x.length, ctx.node);
    const d = out[a];
    if (typeof d === 'number') out[a] = d + pads[i] + pads[i + axes.length];
  });
  return [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32' }];
};

const resize: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const isUpsample = ctx.node.opType === 'Upsample';
  const sizes = !isUpsample && ctx.node.inputs[3] ? ctx.consts[3] : undefined;
  if (sizes && sizes.length) return [{ shape: [...sizes], dtype: ctx.dtypes[0] ?? 'float32' }];
  const scalesIdx = isUpsample ? 1 : 2;
  const attr = ctx.node.attributes.scales;
  const scales = ctx.node.inputs[scalesIdx]
    ? needConst(ctx, scalesIdx, `${ctx.node.opType} scales`)
    : Array.isArray(attr)
      ? (attr as number[])
      : undefined;
  if (!scales || scales.length !== x.length)
    throw new ShapeError(`${ctx.node.opType} needs constant scales or sizes of rank ${x.length}`);
  return [
    {
      shape: x.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : d)),
      dtype: ctx.dtypes[0] ?? 'float32',
    },
  ];
};

const shapeOp: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const start = attrInt(ctx.node, 'start', 0);
  const endAttr = ctx.node.attributes.end;
  const s = start < 0 ? start + x.length : start;
  const e = typeof endAttr === 'number' ? (endAttr < 0 ? endAttr + x.length : endAttr) : x.length;
  const value = x.slice(Math.max(0, s), Math.min(x.length, e));
  return [{ shape: [value.length], dtype: 'int64', value }];
};

const gather: ShapeFn = (ctx) => {
  const data = need(ctx, 0);
  const idx = need(ctx, 1);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), data.length, ctx.node);
  const shape = [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)];
  const c = ctx.consts[0];
  const ic = ctx.consts[1];
  let value: Dim[] | undefined;
  if (c && ic && data.length === 1) {
    value = ic.map((i) => {
      if (typeof i !== 'number') throw new ShapeError('Gather index is symbolic');
      const k = i < 0 ? i + c.length : i;
      if (k < 0 || k >= c.length) throw new ShapeError(`Gather index ${i} out of range ${c.length}`);
      return c[k];
    });
  }
  return [{ shape, dtype: ctx.dtypes[0] ?? 'float32', value }];
};

const cast: ShapeFn = (ctx) => {
  const to = attrInt(ctx.node, 'to', 1);
  return [
    {
      shape: [...need(ctx, 0)],
      dtype: DTYPE_OF_ONNX[to] ?? `onnx-type-${to}`,
      value: ctx.consts[0] ? [...ctx.consts[0]] : undefined,
    },
  ];
};

const constant: ShapeFn = (ctx) => {
  const a = ctx.node.attributes;
  const t = a.value as AttrTensor | undefined;
  if (t && typeof t === 'object' && 'kind' in t)
    return [{ shape: [...t.dims], dtype: t.dtype, value: t.values }];
  if (typeof a.value_float === 'number') return [{ shape: [], dtype: 'float32', value: [a.value_float] }];
  if (typeof a.value_int === 'number') return [{ shape: [], dtype: 'int64', value: [a.value_int] }];
  if (Array.isArray(a.value_floats))
    return [{ shape: [a.value_floats.length], dtype: 'float32', value: [...(a.value_floats as number[])] }];
  if (Array.isArray(a.value_ints))
    return [{ shape: [a.value_ints.length], dtype: 'int64', value: [...(a.value_ints as number[])] }];
  throw new ShapeError('Constant has no value attribute edgesplit understands');
};

const constantOfShape: ShapeFn = (ctx) => {
  const shape = needConst(ctx, 0, 'ConstantOfShape shape');
  const t = ctx.node.attributes.value as AttrTensor | undefined;
  return [{ shape, dtype: t?.dtype ?? 'float32' }];
};

const expand: ShapeFn = (ctx) => {
  const target = ctx.consts[1];
  if (!target) throw new ShapeUnknownError('Expand shape is not a constant edgesplit can evaluate');
  return [{ shape: broadcast(need(ctx, 0), target, ctx.node), dtype: ctx.dtypes[0] ?? 'float32' }];
};

const reduce: ShapeFn = (ctx) => {
  const x = need(ctx, 0);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const axesRaw = ctx.node.inputs[1] ? needConst(ctx, 1, 'reduce axes') : attrInts(ctx.node, 'axes');
  const axes = (axesRaw ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length, ctx.node));
  const out: Dim[] = [];
  x.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return [{ shape: out, dtype: ctx.dtypes[0] ?? 'float32' }];
};

const where: ShapeFn = (ctx) => {
  const s = broadcast(broadcast(need(ctx, 0), need(ctx, 1), ctx.node), need(ctx, 2), ctx.node);
  return [{ shape: s, dtype: ctx.dtypes[1] ?? 'float32' }];
};

/** Tensor-manipulation ops, with constant folding for the shape arithmetic torch exporters emit. */
export const TENSOR_SHAPE_FNS: Readonly<Record<string, ShapeFn>> = {
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b) => (Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b)),
  Pow: binary((a, b) => a ** b),
  Max: binary((a, b) => Math.max(a, b)),
  Min: binary((a, b) => Math.min(a, b)),
  Equal: binary((a, b) => Number(a === b), 'bool'),
  Less: binary((a, b) => Number(a < b), 'bool'),
  Greater: binary((a, b) => Number(a > b), 'bool'),
  Where: where,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  Shape: shapeOp,
  Gather: gather,
  Cast: cast,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Expand: expand,
  ReduceMean: reduce,
  ReduceSum: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
};

/** All ops edgesplit can infer shapes for. */
export type { InferredOutput };
