/**
 * Recognises the branches of an LCP model (any ONNX graph of that shape, whether edgesplit wrote it or
 * the zoo's PyTorch recipe did): the classifier's input is a Concat whose inputs are computed by
 * disjoint sets of nodes that share only the graph input. Per-branch costs come from the profiler.
 */
import { EdgesplitError } from '../../core/errors.js';
import type { Graph, GraphNode } from '../../graph/types.js';
import { bitsToBytes, peakActivationBytes } from '../../profile/profile.js';
import type { ModelProfile } from '../../profile/types.js';
import { dimsProduct } from '../../graph/ops/common.js';
import { WIDTH_OPS } from './template.js';

/** Costs of a contiguous node range [start, end) of an LCP model. */
export interface LcpPart {
  readonly start: number;
  readonly end: number;
  readonly params: number;
  readonly macs: number;
  readonly ops: number;
  readonly weightBytes: number;
  readonly peakActivationBytes: number;
  /** The tensor the part hands on (a branch's pre-final activation, the classifier's output). */
  readonly output: string;
  readonly outputBytes: number;
}

/** An LCP model's branches, gather and classifier. */
export interface LcpStructure {
  readonly model: string;
  readonly input: string;
  readonly inputBytes: number;
  readonly branches: readonly LcpPart[];
  /** The Concat node and everything after it (classifier, head). */
  readonly classifier: LcpPart & { readonly gather: string; readonly gatherBytes: number };
  readonly totals: { readonly params: number; readonly macs: number; readonly ops: number };
}

function tensorBytes(graph: Graph, t: string, bits: number): number {
  return bitsToBytes(dimsProduct(graph.values.get(t)?.shape ?? []), bits);
}

function part(graph: Graph, profile: ModelProfile, start: number, end: number, output: string): LcpPart {
  const ns = profile.nodes.slice(start, end);
  const sum = (f: (n: (typeof ns)[number]) => number) => ns.reduce((s, n) => s + f(n), 0);
  return {
    start,
    end,
    params: sum((n) => n.params),
    macs: sum((n) => n.macs),
    ops: sum((n) => n.ops),
    weightBytes: sum((n) => n.weightBytes),
    peakActivationBytes: peakActivationBytes(graph, start, end, profile.activationBits),
    output,
    outputBytes: tensorBytes(graph, output, profile.activationBits),
  };
}

/** Finds the branches of an LCP model; throws `E_GRAPH` naming the node that breaks the structure. */
export function lcpStructure(graph: Graph, profile: ModelProfile): LcpStructure {
  const fail = (n: GraphNode | undefined, why: string): never => {
    const where = n ? `node '${n.name}' (${n.opType})` : 'the graph';
    throw new EdgesplitError('E_GRAPH', `${graph.name}: not an LCP model at ${where}: ${why}`);
  };
  if (graph.inputs.length !== 1)
    fail(undefined, `it has ${graph.inputs.length} inputs; LCP branches share one`);
  const input = graph.inputs[0];
  const width = graph.nodes.filter(
    (n) => WIDTH_OPS.includes(n.opType) && !graph.staticTensors.has(n.outputs[0]),
  );
  const classifier = width[width.length - 1];
  if (!classifier) return fail(undefined, 'it has no conv or fully connected layer');
  const gatherIdx = graph.producer.get(classifier.inputs[0]);
  const gather = gatherIdx === undefined ? undefined : graph.nodes[gatherIdx];
  if (!gather || gather.opType !== 'Concat' || gather.attributes.axis !== 1)
    fail(classifier, `its input '${classifier.inputs[0]}' is not a Concat on axis 1 of branch outputs`);
  const owner = new Map<number, number>();
  const branches = gather!.inputs.map((out, b) => {
    const stack = [out];
    const mine: number[] = [];
    while (stack.length) {
      const p = graph.producer.get(stack.pop()!);
      if (p === undefined || mine.includes(p) || graph.staticTensors.has(graph.nodes[p].outputs[0])) continue;
      const other = owner.get(p);
      if (other !== undefined)
        fail(graph.nodes[p], `it is shared by branches ${other} and ${b}; branches must be independent`);
      owner.set(p, b);
      mine.push(p);
      stack.push(...graph.nodes[p].inputs.filter((x) => x && x !== input));
    }
    if (mine.length === 0) fail(gather, `its input #${b} '${out}' is not computed by a branch`);
    const start = Math.min(...mine);
    const end = Math.max(...mine) + 1;
    if (end - start !== mine.length)
      fail(graph.nodes[start], `branch ${b}'s nodes are interleaved with other nodes in topological order`);
    return part(graph, profile, start, end, out);
  });
  for (const n of graph.nodes.slice(0, gatherIdx)) {
    if (!owner.has(n.index) && !graph.staticTensors.has(n.outputs[0]))
      fail(n, 'it belongs to no branch but runs before the gather');
  }
  const n = graph.nodes.length;
  const last = graph.outputs[0];
  const cls = part(graph, profile, gatherIdx!, n, last);
  return {
    model: graph.name,
    input,
    inputBytes: tensorBytes(graph, input, profile.activationBits),
    branches,
    classifier: {
      ...cls,
      gather: gather!.outputs[0],
      gatherBytes: tensorBytes(graph, gather!.outputs[0], profile.activationBits),
    },
    totals: profile.totals,
  };
}
