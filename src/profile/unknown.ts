import { ShapeError, UnsupportedOpError } from '../core/errors.js';
import { isKnownOp } from '../graph/build.js';
import { isRecurrentOp } from '../graph/ops/recurrent.js';
import type { Graph } from '../graph/types.js';
import type { ModelProfile, UnknownOp } from './types.js';

/** Nodes whose op edgesplit has no cost for, grouped by (domain-qualified) op, in graph order. */
export function costUnknownOps(graph: Graph): UnknownOp[] {
  const byOp = new Map<string, string[]>();
  for (const node of graph.nodes) {
    if (isKnownOp(node)) continue;
    const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
    byOp.set(op, [...(byOp.get(op) ?? []), node.name]);
  }
  return [...byOp].map(([op, nodes]) => ({ op, count: nodes.length, nodes }));
}

/** `LSTM x2, com.acme.Foo x1`. */
export function describeUnknownOps(unknown: readonly UnknownOp[]): string {
  return unknown.map((u) => `${u.op} x${u.count}`).join(', ');
}

/** The dim of a graph input that is its batch: 1 when a recurrent op reads it as [seq, batch, features]. */
function batchAxis(graph: Graph, input: string): number {
  for (const k of graph.consumers.get(input) ?? []) {
    const n = graph.nodes[k];
    if (isRecurrentOp(n.opType) && n.inputs[0] === input && n.attributes.layout !== 1) return 1;
  }
  return 0;
}

/**
 * Refuses graph inputs with symbolic dims other than the batch: their costs would silently count
 * such a dim as 1 (a LeNet on [N,1,H,W] would profile with 1x1 feature maps).
 * @throws ShapeError naming the input and the way to fix it
 */
export function requireStaticShapes(graph: Graph): void {
  for (const name of graph.inputs) {
    const shape = graph.values.get(name)?.shape ?? [];
    const batch = batchAxis(graph, name);
    const dynamic = shape.filter((d, i) => typeof d === 'string' && i !== batch);
    if (dynamic.length === 0) continue;
    const example = shape.map((d, i) => (typeof d === 'number' ? d : i === batch ? 1 : `<${d}>`)).join('x');
    throw new ShapeError(
      `${graph.name}: input '${name}' [${shape.join(',')}] has dynamic dims ${dynamic.join(', ')}, so its costs are unknown; give its shape with --input-shape ${name}=${example}`,
    );
  }
}

/**
 * Refuses a profile with cost-unknown nodes, for strategies whose answer depends on every node's cost.
 * @param what the strategy, for the message (`split`, `plan`)
 * @throws UnsupportedOpError listing the ops
 */
export function requireKnownCosts(profile: ModelProfile, what: string): void {
  const u = profile.unknownOps;
  if (u.length === 0) return;
  const n = u.reduce((s, x) => s + x.count, 0);
  throw new UnsupportedOpError(
    `${profile.model}: ${n} node(s) have cost unknown (${describeUnknownOps(u)}), so ${what} would count them as 0 MACs; pass --allow-unknown-ops to accept that`,
  );
}
