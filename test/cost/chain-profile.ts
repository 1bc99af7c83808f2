import type { ModelProfile } from '../../src/profile/types.js';

/** One layer of a hand-made chain network. */
export interface ChainLayer {
  readonly name: string;
  readonly macs: number;
  readonly outElements: number;
  readonly params?: number;
  readonly ops?: number;
}

/** A ModelProfile of a simple chain (each node feeds only the next), for tests without ONNX files. */
export function chainProfile(
  model: string,
  inputElements: number,
  layers: readonly ChainLayer[],
  bits = 32,
): ModelProfile {
  const bytes = (el: number) => Math.ceil((el * bits) / 8);
  const nodes = layers.map((l, index) => ({
    index,
    name: l.name,
    op: 'Conv',
    outputShape: [l.outElements],
    outputElements: l.outElements,
    outputBytes: bytes(l.outElements),
    macs: l.macs,
    ops: l.ops ?? 0,
    params: l.params ?? 0,
    weightBytes: bytes(l.params ?? 0),
  }));
  let macs = 0;
  let ops = 0;
  let params = 0;
  const cuts = [0, ...layers.map((_, i) => i + 1)].map((k) => {
    if (k > 0) {
      macs += nodes[k - 1].macs;
      ops += nodes[k - 1].ops;
      params += nodes[k - 1].params;
    }
    const el = k === 0 ? inputElements : nodes[k - 1].outputElements;
    const name = k === 0 ? 'input' : `${nodes[k - 1].name}_out`;
    return {
      index: k,
      after: k === 0 ? '' : nodes[k - 1].name,
      live: [{ name, shape: [el], elements: el, bytes: bytes(el) }],
      bytes: bytes(el),
      cumulativeMacs: macs,
      cumulativeParams: params,
      cumulativeOps: ops,
    };
  });
  return {
    model,
    activationBits: bits,
    weightBits: bits,
    nodes,
    cuts,
    unknownOps: [],
    totals: { macs, ops, params, weightBytes: nodes.reduce((s, n) => s + n.weightBytes, 0) },
  };
}
