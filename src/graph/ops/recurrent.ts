import { ShapeError } from '../../core/errors.js';
import type { Dim, GraphNode } from '../types.js';
import { attrInt, attrString, need, type ShapeCtx, type ShapeFn } from './common.js';

/** Gates per recurrent op: the rows of W and R are `gates x hidden_size` per direction. */
export const RECURRENT_GATES = { LSTM: 4, GRU: 3, RNN: 1 } as const;

/** A recurrent op type. */
export type RecurrentOp = keyof typeof RECURRENT_GATES;

/** Dimensions of an LSTM, GRU or RNN node, read from its input X and weights W, R. */
export interface RecurrentDims {
  readonly op: RecurrentOp;
  readonly seqLength: Dim;
  readonly batch: Dim;
  readonly inputSize: Dim;
  readonly hiddenSize: number;
  readonly directions: number;
  /** 1 when X is [batch, seq, input] (opset 14 `layout`). */
  readonly layout: number;
}

/** True for LSTM, GRU and RNN. */
export function isRecurrentOp(op: string): op is RecurrentOp {
  return Object.hasOwn(RECURRENT_GATES, op);
}

/**
 * Reads and checks the dims of a recurrent node: W is [directions, gates*hidden, input], R is
 * [directions, gates*hidden, hidden], `hidden_size` and `direction` agree with them.
 */
export function recurrentDims(
  node: GraphNode,
  x: readonly Dim[],
  w: readonly Dim[],
  r: readonly Dim[] | undefined,
): RecurrentDims {
  const op = node.opType as RecurrentOp;
  const gates = RECURRENT_GATES[op];
  if (x.length !== 3) throw new ShapeError(`${op} input X must have rank 3, got [${x.join(',')}]`);
  if (w.length !== 3 || typeof w[1] !== 'number')
    throw new ShapeError(`${op} weight W must be [directions, ${gates}*hidden, input], got [${w.join(',')}]`);
  const direction = attrString(node, 'direction', 'forward');
  const directions = direction === 'bidirectional' ? 2 : 1;
  if (!['forward', 'reverse', 'bidirectional'].includes(direction))
    throw new ShapeError(`${op} direction '${direction}' is not forward, reverse or bidirectional`);
  const hiddenSize = attrInt(node, 'hidden_size', w[1] / gates);
  const layout = attrInt(node, 'layout', 0);
  const [seqLength, batch] = layout === 1 ? [x[1], x[0]] : [x[0], x[1]];
  const inputSize = x[2];
  if (w[1] !== gates * hiddenSize || (typeof w[0] === 'number' && w[0] !== directions))
    throw new ShapeError(
      `${op} weight W is [${w.join(',')}] but hidden_size ${hiddenSize} and direction ${direction} need [${directions},${gates * hiddenSize},${inputSize}]`,
    );
  if (typeof inputSize === 'number' && typeof w[2] === 'number' && w[2] !== inputSize)
    throw new ShapeError(`${op} input has ${inputSize} features but weight W expects ${w[2]}`);
  if (r && (r.length !== 3 || r[1] !== gates * hiddenSize || r[2] !== hiddenSize))
    throw new ShapeError(
      `${op} recurrence weight R is [${r.join(',')}], expected [${directions},${gates * hiddenSize},${hiddenSize}]`,
    );
  return { op, seqLength, batch, inputSize, hiddenSize, directions, layout };
}

const recurrent: ShapeFn = (ctx: ShapeCtx) => {
  const d = recurrentDims(ctx.node, need(ctx, 0), need(ctx, 1), ctx.shapes[2]);
  const dtype = ctx.dtypes[0] ?? 'float32';
  const h = d.hiddenSize;
  const y: Dim[] =
    d.layout === 1 ? [d.batch, d.seqLength, d.directions, h] : [d.seqLength, d.directions, d.batch, h];
  const state: Dim[] = d.layout === 1 ? [d.batch, d.directions, h] : [d.directions, d.batch, h];
  // outputs: Y, Y_h, and for LSTM Y_c; any may be omitted
  return ctx.node.outputs.map((_, i) => ({ shape: i === 0 ? y : [...state], dtype }));
};

/** Recurrent ops (one layer each; a stacked network is several nodes). */
export const RECURRENT_SHAPE_FNS: Readonly<Record<string, ShapeFn>> = {
  LSTM: recurrent,
  GRU: recurrent,
  RNN: recurrent,
};
