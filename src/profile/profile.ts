import { convGeometry } from './conv-geometry.js';
import { dimsProduct, dimValue } from '../graph/ops/common.js';
import { liveSets, rangeInputs, rangeOutputs } from '../graph/cuts.js';
import type { Graph } from '../graph/types.js';
import { initializerRole, nodeMacs, nodeOps, storedBits } from './op-cost.js';
import { costUnknownOps, requireStaticShapes } from './unknown.js';
import type { CutProfile, LiveTensor, ModelProfile, NodeProfile, ProfileOptions } from './types.js';

/** Bytes of `elements` values at `bits` bits each, rounded up to whole bytes. */
export function bitsToBytes(elements: number, bits: number): number {
  return Math.ceil((elements * bits) / 8);
}

function elements(graph: Graph, tensor: string): number {
  const v = graph.values.get(tensor);
  return v ? dimsProduct(v.shape) : 0;
}

function shapeOf(graph: Graph, tensor: string): number[] {
  return (graph.values.get(tensor)?.shape ?? []).map(dimValue);
}

/**
 * Profiles every node and every cut of a graph. Pure: reads only the IR.
 * Parameters are initializer elements, each counted at its first reader; BatchNormalization's running
 * mean and variance and quantisation scales / zero points are buffers (counted in weight bytes, not in
 * params), and Clip bounds, Pad and Resize operands are neither, as torchvision counts. Float weights
 * take `weightBits` each, integer ones (int8, QLinearConv's int32 bias) their own width. Nodes of ops
 * edgesplit does not know are listed in `unknownOps` and counted as 0 MACs and 0 ops.
 * @throws ShapeError when a graph input has a symbolic dim other than its batch dim
 */
export function profileGraph(graph: Graph, options: ProfileOptions = {}): ModelProfile {
  const activationBits = options.activationBits ?? 32;
  const weightBits = options.weightBits ?? 32;
  requireStaticShapes(graph);
  const seenInit = new Set<string>();
  const nodes: NodeProfile[] = graph.nodes.map((node) => {
    let params = 0;
    let weightBitsTotal = 0;
    node.inputs.forEach((i, pos) => {
      const init = graph.initializers.get(i);
      if (!init || seenInit.has(i)) return;
      const role = initializerRole(node.opType, pos, init.dtype);
      if (role === 'operand') return;
      seenInit.add(i);
      weightBitsTotal += init.elements * storedBits(init.dtype, weightBits);
      if (role === 'param') params += init.elements;
    });
    const conv = convGeometry(graph, node);
    const outs = node.outputs.filter((o) => o && !graph.staticTensors.has(o));
    const outputElements = outs.reduce((sum, o) => sum + elements(graph, o), 0);
    return {
      index: node.index,
      name: node.name,
      op: node.opType,
      outputShape: shapeOf(graph, node.outputs.find((o) => o) ?? ''),
      outputElements,
      outputBytes: bitsToBytes(outputElements, activationBits),
      macs: nodeMacs(graph, node),
      ops: nodeOps(graph, node),
      params,
      weightBytes: bitsToBytes(weightBitsTotal, 1),
      ...(conv ? { conv } : {}),
    };
  });
  const sets = liveSets(graph);
  let macs = 0;
  let ops = 0;
  let params = 0;
  const cuts: CutProfile[] = sets.map((names, k) => {
    if (k > 0) {
      macs += nodes[k - 1].macs;
      ops += nodes[k - 1].ops;
      params += nodes[k - 1].params;
    }
    const live: LiveTensor[] = names.map((name) => {
      const el = elements(graph, name);
      return { name, shape: shapeOf(graph, name), elements: el, bytes: bitsToBytes(el, activationBits) };
    });
    return {
      index: k,
      after: k === 0 ? '' : nodes[k - 1].name,
      live,
      bytes: live.reduce((s, t) => s + t.bytes, 0),
      cumulativeMacs: macs,
      cumulativeParams: params,
      cumulativeOps: ops,
    };
  });
  return {
    model: graph.name,
    activationBits,
    weightBits,
    nodes,
    cuts,
    unknownOps: costUnknownOps(graph),
    totals: {
      macs,
      ops,
      params,
      weightBytes: nodes.reduce((s, n) => s + n.weightBytes, 0),
    },
  };
}

/**
 * Peak activation memory (bytes at `activationBits`) while running nodes [start, end) in order: the
 * stage's inputs, its outputs and every intermediate alive at once, freed after its last reader in the
 * range. A node's inputs and outputs count together while it runs.
 */
export function peakActivationBytes(graph: Graph, start: number, end: number, activationBits = 32): number {
  const bytes = (t: string) => bitsToBytes(elements(graph, t), activationBits);
  const keep = new Set(rangeOutputs(graph, start, end));
  const lastUse = new Map<string, number>();
  for (let k = start; k < end; k++) for (const i of graph.nodes[k].inputs) if (i) lastUse.set(i, k);
  const live = new Map<string, number>();
  for (const t of rangeInputs(graph, start, end)) live.set(t, bytes(t));
  let current = [...live.values()].reduce((a, b) => a + b, 0);
  let peak = current;
  for (let k = start; k < end; k++) {
    const node = graph.nodes[k];
    for (const o of node.outputs) {
      if (!o || graph.staticTensors.has(o) || live.has(o)) continue;
      live.set(o, bytes(o));
      current += bytes(o);
    }
    peak = Math.max(peak, current);
    for (const t of [...live.keys()]) {
      const last = lastUse.get(t);
      const dead = !keep.has(t) && (last === undefined ? graph.producer.get(t) === k : last <= k);
      if (dead) {
        current -= live.get(t)!;
        live.delete(t);
      }
    }
  }
  return peak;
}
