import type { Graph } from '../../graph/types.js';
import { bitsToBytes } from '../../profile/profile.js';
import { nodeActivationBytes, type MemoryModel } from '../../profile/memory.js';
import type { ModelProfile } from '../../profile/types.js';
import type { PartitionNode, PartitionProblem, SharedWeight } from './types.js';

const WEIGHT_DTYPES = new Set(['float32', 'float16', 'float64', 'bfloat16', 'int8', 'uint8']);
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/**
 * Initializers each node's stage model must carry: those it reads, and those behind the static
 * tensors it reads (a Transpose or Identity of a weight is recomputed inside every stage that needs
 * it, see `extractSubModel`), so aliases of one weight are charged to every stage holding a copy.
 */
function weightClosures(graph: Graph): Set<string>[] {
  const memo = new Map<number, Set<string>>();
  const of = (k: number): Set<string> => {
    const hit = memo.get(k);
    if (hit) return hit;
    const s = new Set<string>();
    memo.set(k, s);
    for (const i of graph.nodes[k].inputs) {
      if (!i) continue;
      if (graph.initializers.has(i)) s.add(i);
      else if (graph.staticTensors.has(i)) {
        const p = graph.producer.get(i);
        if (p !== undefined) for (const x of of(p)) s.add(x);
      }
    }
    return s;
  };
  return graph.nodes.map((_, k) => of(k));
}

/** Bytes an initializer takes in a stage model: weights at `weightBits`, integer tensors (shapes, indices) at their own width. */
function initializerBytes(graph: Graph, name: string, weightBits: number): number {
  const init = graph.initializers.get(name)!;
  const elements = init.elements;
  const dtype = String(init.dtype);
  return WEIGHT_DTYPES.has(dtype) ? bitsToBytes(elements, weightBits) : elements * (DTYPE_BYTES[dtype] ?? 4);
}

/**
 * Reduces a graph and its profile to the planner's problem: per-node MACs, ops, the weights each
 * node's stage must hold (shared initializers listed apart, so every stage reading one is charged
 * for it) and the activation bytes held while each node runs under `memoryModel` (default
 * `inplace`), plus the bytes of every cut. Pure.
 */
export function partitionProblem(
  graph: Graph,
  profile: ModelProfile,
  memoryModel: MemoryModel = 'inplace',
): PartitionProblem {
  const n = graph.nodes.length;
  if (profile.nodes.length !== n) {
    throw new RangeError(
      `profile of '${profile.model}' has ${profile.nodes.length} nodes, graph '${graph.name}' has ${n}`,
    );
  }
  const closures = weightClosures(graph);
  const readers = new Map<string, number[]>();
  closures.forEach((s, k) => {
    for (const name of s) readers.set(name, [...(readers.get(name) ?? []), k]);
  });
  const own = new Float64Array(n);
  const sharedWeights: SharedWeight[] = [];
  for (const [name, ks] of readers) {
    const bytes = initializerBytes(graph, name, profile.weightBits);
    if (ks.length === 1) own[ks[0]] += bytes;
    else sharedWeights.push({ name, bytes, readers: ks });
  }
  const live = nodeActivationBytes(graph, profile.activationBits, memoryModel);
  const nodes: PartitionNode[] = profile.nodes.map((p, k) => ({
    name: p.name,
    op: p.op,
    macs: p.macs,
    ops: p.ops,
    weightBytes: own[k],
    liveBytes: live[k],
    ...(p.conv ? { conv: p.conv } : {}),
  }));
  return {
    model: profile.model,
    activationBits: profile.activationBits,
    weightBits: profile.weightBits,
    memoryModel,
    nodes,
    sharedWeights,
    cutBytes: profile.cuts.map((c) => c.bytes),
  };
}
