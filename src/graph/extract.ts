import { EdgesplitError } from '../core/errors.js';
import { onnx, type ModelProto, type OnnxTypes } from '../onnx/proto.js';
import { rangeInputs, rangeOutputs } from './cuts.js';
import type { Dim, Graph } from './types.js';

const ELEM_TYPE: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

function valueInfo(graph: Graph, name: string): OnnxTypes.IValueInfoProto {
  const v = graph.values.get(name);
  if (!v) throw new EdgesplitError('E_GRAPH', `${graph.name}: tensor '${name}' has no known shape`);
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.dtype] ?? 1,
        shape: { dim: v.shape.map((d: Dim) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A stage model and the tensors it exchanges with the rest of the graph. */
export interface SubModel {
  readonly model: ModelProto;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * Extracts nodes [start, end) (topological order) as a standalone ONNX model: its inputs are the
 * activations entering the range, its outputs those leaving it (read later or graph outputs), and it
 * carries only the initializers it reads. Weights-like tensors computed outside the range (Constant
 * chains) are recomputed inside it; a Shape of a tensor the range does not have becomes a Constant.
 */
export function extractSubModel(
  model: ModelProto,
  graph: Graph,
  start: number,
  end: number,
  name?: string,
): SubModel {
  const n = graph.nodes.length;
  if (!(start >= 0 && start < end && end <= n)) {
    throw new EdgesplitError(
      'E_GRAPH',
      `${graph.name}: node range [${start}, ${end}) is not within [0, ${n})`,
    );
  }
  const protoNodes = model.graph?.node ?? [];
  const initProtos = new Map((model.graph?.initializer ?? []).map((t) => [t.name!, t]));
  const inputs = rangeInputs(graph, start, end);
  const outputs = rangeOutputs(graph, start, end);
  const have = new Set(inputs);
  for (let k = start; k < end; k++) for (const o of graph.nodes[k].outputs) if (o) have.add(o);

  const prelude: OnnxTypes.INodeProto[] = [];
  const preludeDone = new Set<string>();
  const initializers = new Map<string, OnnxTypes.ITensorProto>();
  const need = (tensor: string): void => {
    if (!tensor || have.has(tensor) || preludeDone.has(tensor)) return;
    const init = initProtos.get(tensor);
    if (init) {
      initializers.set(tensor, init);
      return;
    }
    const p = graph.producer.get(tensor);
    if (p === undefined || !graph.staticTensors.has(tensor)) {
      throw new EdgesplitError(
        'E_GRAPH',
        `${graph.name}: range [${start}, ${end}) needs '${tensor}', which is neither an input nor static`,
      );
    }
    const node = graph.nodes[p];
    const value = graph.constants.get(tensor);
    if (node.opType === 'Shape' && value && !have.has(node.inputs[0])) {
      prelude.push({
        name: `${node.name}_const`,
        opType: 'Constant',
        input: [],
        output: [tensor],
        attribute: [
          { name: 'value', type: 4, t: { dims: [value.length], dataType: 7, int64Data: value.map(Number) } },
        ],
      });
      preludeDone.add(tensor);
      return;
    }
    for (const i of node.inputs) need(i);
    prelude.push(protoNodes[node.protoIndex ?? p]);
    for (const o of node.outputs) if (o) preludeDone.add(o);
  };
  const body: OnnxTypes.INodeProto[] = [];
  for (let k = start; k < end; k++) {
    const node = graph.nodes[k];
    for (const i of node.inputs) need(i);
    body.push(protoNodes[node.protoIndex ?? k]);
  }
  const sub = onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: 'edgesplit',
    opsetImport: model.opsetImport,
    graph: {
      name: name ?? `${graph.name}[${start},${end})`,
      node: [...prelude, ...body],
      initializer: [...initializers.values()],
      input: inputs.map((i) => valueInfo(graph, i)),
      output: outputs.map((o) => valueInfo(graph, o)),
    },
  });
  return { model: sub, inputs, outputs };
}
