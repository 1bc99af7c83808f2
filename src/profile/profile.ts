import { convGeometry } from './conv-geometry.js';
import { dimsProduct, dimValue } from '../graph/ops/common.js';
import { liveSets, rangeInputs, rangeOutputs } from '../graph/cuts.js';
import type { Graph, GraphNode } from '../graph/types.js';
import type { CutProfile, LiveTensor, ModelProfile, NodeProfile, ProfileOptions } from './types.js';

/** Initializer inputs that are running statistics (buffers): they occupy memory but are not trained. */
const BUFFER_INPUTS: Readonly<Record<string, readonly number[]>> = { BatchNormalization: [3, 4] };
/** Initializer inputs that are operands of the op (bounds, pads, scales), neither weights nor buffers. */
const OPERAND_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Clip: [1, 2],
  Pad: [1, 2, 3],
  Resize: [1, 2, 3],
  Upsample: [1],
};

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

/** MACs of one node per the formulas; symbolic dims count as 1. */
export function nodeMacs(graph: Graph, node: GraphNode): number {
  const s = (i: number) => shapeOf(graph, node.inputs[i] ?? '');
  const out = shapeOf(graph, node.outputs[0] ?? '');
  switch (node.opType) {
    case 'Conv': {
      const w = s(1);
      const kernel = w.slice(2).reduce((a, b) => a * b, 1);
      // output elements x (Cin/groups) x kernel area; w[1] already is Cin/groups
      return out.reduce((a, b) => a * b, 1) * w[1] * kernel;
    }
    case 'ConvTranspose': {
      const x = s(0);
      const w = s(1);
      const kernel = w.slice(2).reduce((a, b) => a * b, 1);
      // every input element is scattered into (Cout/groups) x kernel outputs; w[1] is Cout/groups
      return x.reduce((a, b) => a * b, 1) * w[1] * kernel;
    }
    case 'Gemm': {
      const a = s(0);
      const k = node.attributes.transA ? a[0] : a[1];
      return out[0] * out[1] * k;
    }
    case 'MatMul': {
      const a = s(0);
      const k = a[a.length - 1];
      return out.reduce((p, q) => p * q, 1) * k;
    }
    default:
      return 0;
  }
}

/** Non-MAC operations: one per output element, times the window for pooling. */
export function nodeOps(graph: Graph, node: GraphNode): number {
  if (
    [
      'Conv',
      'ConvTranspose',
      'Gemm',
      'MatMul',
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
    ].includes(node.opType)
  ) {
    return 0;
  }
  const outElems = node.outputs.filter((o) => o).reduce((sum, o) => sum + elements(graph, o), 0);
  if (node.opType === 'MaxPool' || node.opType === 'AveragePool') {
    const k = node.attributes.kernel_shape;
    return outElems * (Array.isArray(k) ? (k as number[]).reduce((a, b) => a * b, 1) : 1);
  }
  if (node.opType === 'GlobalAveragePool' || node.opType === 'GlobalMaxPool')
    return elements(graph, node.inputs[0]);
  return outElems;
}

/**
 * Profiles every node and every cut of a graph. Pure: reads only the IR.
 * Parameters are initializer elements, each counted at its first reader; BatchNormalization's running
 * mean and variance are buffers (counted in weight bytes, not in params), and Clip bounds, Pad and
 * Resize operands are neither, as torchvision counts.
 */
export function profileGraph(graph: Graph, options: ProfileOptions = {}): ModelProfile {
  const activationBits = options.activationBits ?? 32;
  const weightBits = options.weightBits ?? 32;
  const seenInit = new Set<string>();
  const nodes: NodeProfile[] = graph.nodes.map((node) => {
    let params = 0;
    let weightElems = 0;
    node.inputs.forEach((i, pos) => {
      const init = graph.initializers.get(i);
      if (!init || seenInit.has(i) || OPERAND_INPUTS[node.opType]?.includes(pos)) return;
      seenInit.add(i);
      // shape tensors (int64 axes, Reshape targets) are not weights
      if (!init.dtype.startsWith('float') && init.dtype !== 'int8' && init.dtype !== 'uint8') return;
      weightElems += init.elements;
      if (!BUFFER_INPUTS[node.opType]?.includes(pos)) params += init.elements;
    });
    const conv = convGeometry(graph, node);
    const outs = node.outputs.filter((o) => o && !graph.staticTensors.has(o));
    const outputElements = outs.reduce((sum, o) => sum + elements(graph, o), 0);
    return {
      index: node.index,
      name: node.name,
      op: node.opType,
      outputShape: shapeOf(graph, node.outputs[0] ?? ''),
      outputElements,
      outputBytes: bitsToBytes(outputElements, activationBits),
      macs: nodeMacs(graph, node),
      ops: nodeOps(graph, node),
      params,
      weightBytes: bitsToBytes(weightElems, weightBits),
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
