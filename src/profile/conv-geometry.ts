/** The geometry of a square-kernel 2-D convolution, as DistNN's hardware MAC model needs it. Pure. */
import type { Graph, GraphNode } from '../graph/types.js';

/** A Conv / ConvTranspose with a square kernel, in HWC terms (symbolic dims as 1). */
export interface ConvGeometry {
  /** Input height, width, channels. */
  readonly input: readonly [number, number, number];
  readonly kernel: number;
  /** Output channels. */
  readonly kernels: number;
  readonly stride: number;
  /** Output height and width. */
  readonly outputHw: readonly [number, number];
}

function dims(graph: Graph, t: string): number[] | undefined {
  const s = graph.values.get(t)?.shape;
  return s?.map((d) => (typeof d === 'number' ? d : 1));
}

/** Geometry of a 2-D Conv or ConvTranspose with a square kernel; undefined for anything else. */
export function convGeometry(graph: Graph, node: GraphNode): ConvGeometry | undefined {
  if (node.opType !== 'Conv' && node.opType !== 'ConvTranspose') return undefined;
  const x = dims(graph, node.inputs[0]);
  const w = dims(graph, node.inputs[1]);
  const y = dims(graph, node.outputs[0]);
  if (!x || !w || !y || x.length !== 4 || w.length !== 4 || y.length !== 4) return undefined;
  if (w[2] !== w[3]) return undefined;
  const strides = node.attributes.strides;
  const stride = Array.isArray(strides) && typeof strides[0] === 'number' ? strides[0] : 1;
  return { input: [x[2], x[3], x[1]], kernel: w[2], kernels: y[1], stride, outputHw: [y[2], y[3]] };
}
