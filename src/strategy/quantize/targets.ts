/**
 * Which tensors a quantisation touches: the weights of MAC ops (Conv, ConvTranspose, Gemm, MatMul) on
 * the node side, the feature maps those ops read, and the tensors crossing the cut (they go over the
 * wire in the activation format). Biases stay in float: they are added in the wide accumulator. Pure.
 */
import { EdgesplitError } from '../../core/errors.js';
import { liveSets } from '../../graph/cuts.js';
import type { Graph, GraphNode } from '../../graph/types.js';

/** Ops computed by MAC units. */
export const MAC_OPS = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'] as const;

/** A weight tensor read by node-side MAC ops. */
export interface WeightTarget {
  readonly tensor: string;
  readonly dims: readonly number[];
  /** Output-channel axis of the weight (per-channel scales run along it). */
  readonly axis: number;
  /** Proto indices of the node-side nodes reading it as a weight. */
  readonly readers: readonly number[];
}

/** The tensors to quantise for nodes [0, end). */
export interface QuantTargets {
  readonly end: number;
  readonly weights: readonly WeightTarget[];
  /** Feature maps read by node-side MAC ops, then the tensors live at the cut (deduplicated). */
  readonly activations: readonly string[];
}

function weightInput(node: GraphNode, graph: Graph): { index: number; axis: number } | undefined {
  const w = node.inputs[1];
  if (!w || !graph.initializers.has(w)) return undefined;
  const rank = graph.initializers.get(w)!.dims.length;
  switch (node.opType) {
    case 'Conv':
      return { index: 1, axis: 0 };
    case 'ConvTranspose':
      return { index: 1, axis: 1 };
    case 'Gemm':
      return { index: 1, axis: node.attributes.transB === 1 ? 0 : 1 };
    case 'MatMul':
      return { index: 1, axis: rank - 1 };
    default:
      return undefined;
  }
}

/**
 * The quantisation targets of nodes [0, end) of `graph` (end = number of nodes: the whole model, and
 * then nothing crosses a cut).
 */
export function quantTargets(graph: Graph, end = graph.nodes.length): QuantTargets {
  const n = graph.nodes.length;
  if (!Number.isInteger(end) || end < 0 || end > n)
    throw new EdgesplitError('E_USAGE', `${graph.name}: node cut ${end} is out of range 0..${n}`);
  const weights = new Map<string, { dims: readonly number[]; axis: number; readers: number[] }>();
  const acts: string[] = [];
  const seen = new Set<string>();
  const addAct = (t: string) => {
    if (!t || seen.has(t) || graph.staticTensors.has(t)) return;
    seen.add(t);
    acts.push(t);
  };
  for (let i = 0; i < end; i++) {
    const nd = graph.nodes[i];
    if (!(MAC_OPS as readonly string[]).includes(nd.opType)) continue;
    const w = weightInput(nd, graph);
    nd.inputs.forEach((t, j) => {
      if (w && j === w.index) return;
      if (nd.opType === 'Conv' || nd.opType === 'ConvTranspose' || nd.opType === 'Gemm') {
        if (j === 0) addAct(t);
      } else addAct(t);
    });
    if (w) {
      const name = nd.inputs[w.index];
      const entry = weights.get(name) ?? {
        dims: graph.initializers.get(name)!.dims,
        axis: w.axis,
        readers: [],
      };
      entry.readers.push(nd.protoIndex ?? nd.index);
      weights.set(name, entry);
    }
  }
  if (end < n) for (const t of liveSets(graph)[end]) addAct(t);
  return {
    end,
    weights: [...weights].map(([tensor, e]) => ({ tensor, ...e })),
    activations: acts,
  };
}
