import { ShapeError } from '../../core/errors.js';
import type { AttrValue, Dim, GraphNode } from '../types.js';

/** A shape function lacks information (an unknown shape or a non-constant operand), as opposed to a contradiction. */
export class ShapeUnknownError extends ShapeError {}

/** What a shape function sees of one node. */
export interface ShapeCtx {
  readonly node: GraphNode;
  /** Shapes of the inputs; undefined for an omitted optional input. */
  readonly shapes: readonly (readonly Dim[] | undefined)[];
  readonly dtypes: readonly (string | undefined)[];
  /** Known constant values of the inputs (flattened), for shape computations. */
  readonly consts: readonly (readonly Dim[] | undefined)[];
}

/** One inferred output. `value` is set when the output is a known constant (shape arithmetic). */
export interface InferredOutput {
  readonly shape: Dim[];
  readonly dtype: string;
  readonly value?: Dim[];
}

/** Infers the outputs of one op. */
export type ShapeFn = (ctx: ShapeCtx) => InferredOutput[];

/** Reads an integer attribute. */
export function attrInt(node: GraphNode, name: string, dflt: number): number {
  const v = node.attributes[name];
  return typeof v === 'number' ? v : dflt;
}

/** Reads a float attribute. */
export function attrFloat(node: GraphNode, name: string, dflt: number): number {
  return attrInt(node, name, dflt);
}

/** Reads an int-list attribute. */
export function attrInts(node: GraphNode, name: string): number[] | undefined {
  const v: AttrValue | undefined = node.attributes[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

/** Reads a string attribute. */
export function attrString(node: GraphNode, name: string, dflt: string): string {
  const v = node.attributes[name];
  return typeof v === 'string' ? v : dflt;
}

/** The shape of input `i`, or a ShapeError naming it. */
export function need(ctx: ShapeCtx, i: number): readonly Dim[] {
  const s = ctx.shapes[i];
  if (!s) throw new ShapeUnknownError(`input #${i} ('${ctx.node.inputs[i] ?? ''}') has no known shape`);
  return s;
}

/** The constant numeric value of input `i` (e.g. Reshape's shape), or a ShapeError. */
export function needConst(ctx: ShapeCtx, i: number, what: string): number[] {
  const v = ctx.consts[i];
  if (!v)
    throw new ShapeUnknownError(
      `${what} (input '${ctx.node.inputs[i] ?? ''}') is not a constant edgesplit can evaluate`,
    );
  return v.map((d) => {
    if (typeof d !== 'number') throw new ShapeUnknownError(`${what} depends on the symbolic dim '${d}'`);
    return d;
  });
}

/** Normalises a possibly negative axis. */
export function normAxis(axis: number, rank: number, node: GraphNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw new ShapeError(`axis ${axis} out of range for rank ${rank} in node '${node.name}'`);
  return a;
}

/** Numeric value of a dim for cost purposes: symbolic dims count as 1. */
export function dimValue(d: Dim): number {
  return typeof d === 'number' ? d : 1;
}

/** Product of dims, symbolic dims as 1. */
export function dimsProduct(dims: readonly Dim[]): number {
  let n = 1;
  for (const d of dims) n *= dimValue(d);
  return n;
}

/** Multiplies two dims, keeping symbols readable (`N`, `2*N`). */
export function mulDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  return `${a}*${b}`;
}

/** Numpy-style broadcasting of two shapes. */
export function broadcast(a: readonly Dim[], b: readonly Dim[], node: GraphNode): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'string') out.push(y);
    else if (typeof y === 'string') out.push(x);
    else
      throw new ShapeError(
        `shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast in node '${node.name}'`,
      );
  }
  return out;
}

/** Output of a spatial window op (conv or pool) along one axis. */
export function windowOut(
  input: Dim,
  kernel: number,
  stride: number,
  dilation: number,
  padBegin: number,
  padEnd: number,
  autoPad: string,
  ceilMode = false,
): Dim {
  if (typeof input === 'string') return input;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(input / stride);
  const eff = (kernel - 1) * dilation + 1;
  const span = autoPad === 'VALID' ? input - eff : input + padBegin + padEnd - eff;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // ceil mode must not start a window entirely inside the end padding (PyTorch/ONNX rule)
  if (ceilMode && (out - 1) * stride >= input + padBegin) out -= 1;
  if (out <= 0)
    throw new ShapeError(`window of ${eff} over ${input} (pads ${padBegin}+${padEnd}) leaves no output`);
  return out;
}
