import { lifetimes } from '../../graph/cuts.js';
import { dimsProduct } from '../../graph/ops/common.js';
import type { Graph } from '../../graph/types.js';
import { bitsToBytes } from '../../profile/profile.js';
import type { ModelProfile } from '../../profile/types.js';
import type { PartitionNode, PartitionProblem } from './types.js';

/**
 * Reduces a graph and its profile to the planner's problem: per-node MACs, ops, weight bytes and the
 * activation bytes alive while each node runs (at the profile's activation bit width), plus the bytes
 * of every cut. Pure.
 */
export function partitionProblem(graph: Graph, profile: ModelProfile): PartitionProblem {
  const n = graph.nodes.length;
  if (profile.nodes.length !== n) {
    throw new RangeError(
      `profile of '${profile.model}' has ${profile.nodes.length} nodes, graph '${graph.name}' has ${n}`,
    );
  }
  // difference array: a tensor adds its bytes to every node from its producer to its last reader
  const diff = new Float64Array(n + 1);
  for (const t of lifetimes(graph)) {
    const v = graph.values.get(t.name);
    const bytes = v ? bitsToBytes(dimsProduct(v.shape), profile.activationBits) : 0;
    const from = Math.max(0, t.from);
    const to = Math.min(n - 1, Math.max(t.lastUse, from));
    diff[from] += bytes;
    diff[to + 1] -= bytes;
  }
  let running = 0;
  const nodes: PartitionNode[] = profile.nodes.map((p, k) => {
    running += diff[k];
    return {
      name: p.name,
      op: p.op,
      macs: p.macs,
      ops: p.ops,
      weightBytes: p.weightBytes,
      liveBytes: running,
      ...(p.conv ? { conv: p.conv } : {}),
    };
  });
  return {
    model: profile.model,
    activationBits: profile.activationBits,
    weightBits: profile.weightBits,
    nodes,
    cutBytes: profile.cuts.map((c) => c.bytes),
  };
}
