import { ShapeError } from '../core/errors.js';
import { isKnownOp } from '../graph/build.js';
import { dimsProduct, dimValue } from '../graph/ops/common.js';
import { isRecurrentOp, recurrentDims, RECURRENT_GATES } from '../graph/ops/recurrent.js';
import type { Graph, GraphNode } from '../graph/types.js';
import { ONNX_DTYPE_BYTES } from '../onnx/proto.js';

/** Initializer inputs that are running statistics (buffers): they occupy memory but are not trained. */
const BUFFER_INPUTS: Readonly<Record<string, readonly number[]>> = { BatchNormalization: [3, 4] };
/** Initializer inputs that are operands of the op (bounds, pads, scales), neither weights nor buffers. */
const OPERAND_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Clip: [1, 2],
  Pad: [1, 2, 3],
  Resize: [1, 2, 3],
  Upsample: [1],
};
/** Quantisation scales and zero points: stored with the weights (buffers), not trained parameters. */
const QUANT_PARAM_INPUTS: Readonly<Record<string, readonly number[]>> = {
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  QLinearConv: [1, 2, 4, 5, 6, 7],
  QLinearMatMul: [1, 2, 4, 5, 6, 7],
  ConvInteger: [2, 3],
  MatMulInteger: [2, 3],
};
/** Integer inputs that are weights (QLinearConv's int32 bias included), whatever their dtype. */
const QUANT_WEIGHT_INPUTS: Readonly<Record<string, readonly number[]>> = {
  DequantizeLinear: [0],
  QLinearConv: [3, 8],
  QLinearMatMul: [0, 3],
  ConvInteger: [0, 1],
  MatMulInteger: [0, 1],
};

/** What an initializer read by a node at input `pos` is: a parameter, a buffer, or neither. */
export type InitializerRole = 'param' | 'buffer' | 'operand';

/**
 * Role of an initializer at input `pos` of `op`. Shape tensors (int64 axes, Reshape targets) are
 * operands; float and 8-bit tensors are parameters unless they are statistics or quantisation
 * parameters (buffers).
 */
export function initializerRole(op: string, pos: number, dtype: string): InitializerRole {
  if (OPERAND_INPUTS[op]?.includes(pos)) return 'operand';
  if (BUFFER_INPUTS[op]?.includes(pos) || QUANT_PARAM_INPUTS[op]?.includes(pos)) return 'buffer';
  if (QUANT_WEIGHT_INPUTS[op]?.includes(pos)) return 'param';
  return dtype.startsWith('float') || dtype === 'int8' || dtype === 'uint8' ? 'param' : 'operand';
}

/** Bits a stored tensor of `dtype` takes: floats at the profile's weight width, integers at their own. */
export function storedBits(dtype: string, weightBits: number): number {
  if (dtype.startsWith('float')) return weightBits;
  const bytes = ONNX_DTYPE_BYTES[dtype];
  return bytes ? bytes * 8 : weightBits;
}

function shapeOf(graph: Graph, tensor: string): number[] {
  return (graph.values.get(tensor)?.shape ?? []).map(dimValue);
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Output elements x (Cin/groups) x kernel area; W[1] already is Cin/groups. */
function convMacs(out: readonly number[], w: readonly number[]): number {
  return product(out) * w[1] * product(w.slice(2));
}

/** Output elements x the inner dim of A. */
function matmulMacs(out: readonly number[], a: readonly number[]): number {
  return product(out) * a[a.length - 1];
}

/** Per-time-step, per-direction, per-sample costs of a recurrent node (see docs/cost-and-split.md). */
function recurrentCost(graph: Graph, node: GraphNode): { macs: number; ops: number } {
  const shape = (i: number) => graph.values.get(node.inputs[i] ?? '')?.shape;
  const x = shape(0) ?? [];
  const d = recurrentDims(node, x, shape(1) ?? [], shape(2));
  if (typeof d.seqLength !== 'number')
    throw new ShapeError(
      `${graph.name}: node '${node.name}' (${node.opType}) has a symbolic sequence length '${d.seqLength}'; give it with --input-shape`,
    );
  const inputSize = dimValue((shape(1) ?? [])[2] ?? d.inputSize);
  const h = d.hiddenSize;
  const g = RECURRENT_GATES[d.op];
  const steps = d.seqLength * d.directions * dimValue(d.batch);
  const bias = node.inputs[3] ? 1 : 0;
  const peephole = d.op === 'LSTM' && node.inputs[7] ? 1 : 0;
  // adds of the two products, bias adds, peepholes, activations, state update (Hadamard products and sums)
  const perStepOps = {
    LSTM: 4 * h + 8 * h * bias + 6 * h * peephole + 5 * h + 4 * h,
    GRU: 3 * h + 6 * h * bias + 3 * h + h + 4 * h,
    RNN: h + 2 * h * bias + h,
  }[d.op];
  return { macs: steps * g * h * (inputSize + h), ops: steps * perStepOps };
}

/**
 * MACs of one node: Conv, ConvTranspose, Gemm, MatMul, their quantised forms (QLinearConv,
 * ConvInteger, QLinearMatMul, MatMulInteger) and LSTM/GRU/RNN (the gate matrix products); symbolic
 * batch dims count as 1.
 */
export function nodeMacs(graph: Graph, node: GraphNode): number {
  const s = (i: number) => shapeOf(graph, node.inputs[i] ?? '');
  const out = shapeOf(graph, node.outputs[0] ?? '');
  if (isRecurrentOp(node.opType)) return recurrentCost(graph, node).macs;
  switch (node.opType) {
    case 'Conv':
    case 'ConvInteger':
      return convMacs(out, s(1));
    case 'QLinearConv':
      return convMacs(out, s(3));
    case 'ConvTranspose': {
      const w = s(1);
      // every input element is scattered into (Cout/groups) x kernel outputs; w[1] is Cout/groups
      return product(s(0)) * w[1] * product(w.slice(2));
    }
    case 'Gemm': {
      const a = s(0);
      return out[0] * out[1] * (node.attributes.transA ? a[0] : a[1]);
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul':
      return matmulMacs(out, s(0));
    default:
      return 0;
  }
}

/** Ops without arithmetic (data movement, shape arithmetic) or whose arithmetic is all MACs. */
const NO_OPS = new Set([
  'Conv',
  'ConvInteger',
  'ConvTranspose',
  'Gemm',
  'MatMul',
  'MatMulInteger',
  'Constant',
  'Shape',
  'Identity',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Concat',
  'Split',
  'Slice',
  'Gather',
  'Cast',
  'Dropout',
]);

/** Non-MAC operations: one per output element, times the window for pooling; 0 for unknown ops. */
export function nodeOps(graph: Graph, node: GraphNode): number {
  if (NO_OPS.has(node.opType) || !isKnownOp(node)) return 0;
  if (isRecurrentOp(node.opType)) return recurrentCost(graph, node).ops;
  const elements = (t: string) => {
    const v = graph.values.get(t);
    return v ? dimsProduct(v.shape) : 0;
  };
  const outElems = node.outputs.filter((o) => o).reduce((sum, o) => sum + elements(o), 0);
  if (node.opType === 'MaxPool' || node.opType === 'AveragePool') {
    const k = node.attributes.kernel_shape;
    return outElems * (Array.isArray(k) ? product(k as number[]) : 1);
  }
  if (node.opType === 'GlobalAveragePool' || node.opType === 'GlobalMaxPool') return elements(node.inputs[0]);
  return outElems;
}
