/**
 * Model parallelism of the original model at a given device count, as communication accounting for
 * comparing with LCP (seed Table I, Figs. 4 and 11). Two extremes:
 * - pipeline: the layers cut into `devices` consecutive stages (cuts from the profiler), each stage
 *   sending the tensors live across its cut to the next;
 * - intra-layer output splitting (seed Fig. 4): every conv / fully connected layer's outputs divided
 *   among the devices, so before each such layer every device needs the whole input: an all-gather
 *   of that layer's input, (devices - 1) x its bytes, since each device's part goes to the others.
 * Both start from the input at one source and end with the logits back at it. Pure.
 */
import { EdgesplitError } from '../../core/errors.js';
import { dimsProduct } from '../../graph/ops/common.js';
import type { Graph } from '../../graph/types.js';
import { bitsToBytes } from '../../profile/profile.js';
import type { ModelProfile } from '../../profile/types.js';
import { WIDTH_OPS } from './template.js';

/** One stage of a pipeline: nodes [start, end). */
export interface PipelineStage {
  readonly start: number;
  readonly end: number;
  readonly macs: number;
  readonly ops: number;
  readonly weightBytes: number;
  /** Bytes it receives (the input for stage 0). */
  readonly recvBytes: number;
  /** Bytes it sends (the outputs for the last stage). */
  readonly sendBytes: number;
}

/**
 * Cuts the model into `stages` consecutive non-empty stages minimising the largest stage's cost
 * (`stageCost(start, end)`, default its MACs), ties broken by the fewest bytes across the cuts.
 */
export function balancedPipeline(
  profile: ModelProfile,
  stages: number,
  stageCost?: (start: number, end: number) => number,
): PipelineStage[] {
  const n = profile.nodes.length;
  if (stages < 1 || stages > n)
    throw new EdgesplitError(
      'E_USAGE',
      `${profile.model}: cannot cut ${n} nodes into ${stages} pipeline stages`,
    );
  const cum = profile.cuts.map((c) => c.cumulativeMacs);
  const cost = stageCost ?? ((s: number, e: number) => cum[e] - cum[s]);
  type Best = { max: number; bytes: number; prev: number };
  // best[j][e]: the first j stages cover nodes [0, e)
  const best: (Best | undefined)[][] = Array.from({ length: stages + 1 }, () => new Array(n + 1));
  best[0][0] = { max: 0, bytes: 0, prev: -1 };
  for (let j = 1; j <= stages; j++) {
    for (let e = j; e <= n - (stages - j); e++) {
      let pick: Best | undefined;
      for (let s = j - 1; s < e; s++) {
        const b = best[j - 1][s];
        if (!b) continue;
        const cand = {
          max: Math.max(b.max, cost(s, e)),
          bytes: b.bytes + (e < n ? profile.cuts[e].bytes : 0),
          prev: s,
        };
        if (!pick || cand.max < pick.max || (cand.max === pick.max && cand.bytes < pick.bytes)) pick = cand;
      }
      best[j][e] = pick;
    }
  }
  const ends: number[] = [];
  for (let j = stages, e = n; j > 0; j--) {
    ends.unshift(e);
    e = best[j][e]!.prev;
  }
  return ends.map((end, j) => {
    const start = j === 0 ? 0 : ends[j - 1];
    const ns = profile.nodes.slice(start, end);
    return {
      start,
      end,
      macs: cum[end] - cum[start],
      ops: ns.reduce((s, x) => s + x.ops, 0),
      weightBytes: ns.reduce((s, x) => s + x.weightBytes, 0),
      recvBytes: profile.cuts[start].bytes,
      sendBytes: profile.cuts[end].bytes,
    };
  });
}

/** One all-gather of intra-layer output splitting: before layer `node`, its input is exchanged. */
export interface IntraLayerExchange {
  readonly node: string;
  readonly tensor: string;
  /** Bytes of the whole tensor. */
  readonly tensorBytes: number;
  /** Bytes sent in all: (devices - 1) x tensorBytes. */
  readonly bytes: number;
}

/** Communication of intra-layer output splitting (seed Fig. 4) on `devices` devices. */
export interface IntraLayerAccount {
  /** The input sent to every device: devices x input bytes. */
  readonly inputBroadcastBytes: number;
  readonly exchanges: readonly IntraLayerExchange[];
  /** The classifier's output parts gathered at the source: the output bytes. */
  readonly outputBytes: number;
  readonly totalBytes: number;
}

/** Accounts intra-layer output splitting of every conv / fully connected layer over `devices` devices. */
export function intraLayerAccount(graph: Graph, profile: ModelProfile, devices: number): IntraLayerAccount {
  const bytesOf = (t: string) =>
    bitsToBytes(dimsProduct(graph.values.get(t)?.shape ?? []), profile.activationBits);
  const inputBytes = graph.inputs.reduce((s, t) => s + bytesOf(t), 0);
  const exchanges = graph.nodes
    .filter((n) => WIDTH_OPS.includes(n.opType) && !graph.staticTensors.has(n.outputs[0]))
    .filter((n) => !graph.inputs.includes(n.inputs[0]))
    .map((n) => {
      const tensorBytes = bytesOf(n.inputs[0]);
      return { node: n.name, tensor: n.inputs[0], tensorBytes, bytes: (devices - 1) * tensorBytes };
    });
  const outputBytes = graph.outputs.reduce((s, t) => s + bytesOf(t), 0);
  const inputBroadcastBytes = devices * inputBytes;
  return {
    inputBroadcastBytes,
    exchanges,
    outputBytes,
    totalBytes: inputBroadcastBytes + exchanges.reduce((s, e) => s + e.bytes, 0) + outputBytes,
  };
}

/** Bytes per inference of a pipeline: the input to stage 0, every inner cut, and the outputs back. */
export function pipelineBytes(stages: readonly PipelineStage[]): number {
  return stages[0].recvBytes + stages.reduce((s, st) => s + st.sendBytes, 0);
}
