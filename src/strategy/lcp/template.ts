/**
 * Reads a CNN as the splitter needs it: the feature extractor (every node the pre-final activation
 * depends on), the classifier (the last conv or fully connected layer, which reads the pre-final
 * activation) and the head after it. Anything that does not fit this shape is refused naming the node.
 */
import { EdgesplitError } from '../../core/errors.js';
import type { Graph, GraphNode } from '../../graph/types.js';

/** Ops whose output width the splitter divides. */
export const WIDTH_OPS: readonly string[] = ['Conv', 'Gemm', 'MatMul'];

/** Ops the splitter refuses inside the feature extractor, with the reason. */
const REFUSED: Readonly<Record<string, string>> = {
  ConvTranspose: 'transposed convolutions are not divided',
  LSTM: 'recurrent layers are not divided',
  GRU: 'recurrent layers are not divided',
  RNN: 'recurrent layers are not divided',
  Split: 'a Split ties widths across channels',
  Slice: 'a Slice ties widths to fixed channel indices',
  Gather: 'a Gather ties widths to fixed indices',
  Transpose: 'a Transpose moves the channel axis',
  Softmax: 'a Softmax inside the feature extractor mixes channels',
  LayerNormalization: 'a LayerNormalization mixes channels',
};

/** The parts of a CNN the splitter rewrites. */
export interface CnnTemplate {
  readonly graph: Graph;
  /** The one graph input every branch reads. */
  readonly input: string;
  /** Feature-extractor nodes in topological order (static nodes excluded). */
  readonly trunk: readonly GraphNode[];
  /** Nodes computing weights-like tensors (Constant chains), shared by every branch. */
  readonly staticNodes: readonly GraphNode[];
  /** The pre-final activation [N, F]: what each branch outputs and the gather concatenates. */
  readonly preFinal: string;
  /** The classifier layer (its width, the class count, is kept). */
  readonly classifier: GraphNode;
  /** Nodes after the classifier (e.g. Softmax), copied unchanged. */
  readonly head: readonly GraphNode[];
}

function fail(graph: Graph, node: GraphNode | undefined, why: string): never {
  const where = node ? `node '${node.name}' (${node.opType})` : 'graph';
  throw new EdgesplitError('E_GRAPH', `${graph.name}: cannot branch ${where}: ${why}`);
}

/** Finds the feature extractor, classifier and head of `graph`, or throws naming the node that does not fit. */
export function cnnTemplate(graph: Graph): CnnTemplate {
  if (graph.inputs.length !== 1)
    fail(
      graph,
      undefined,
      `LCP branches share one input; the model has ${graph.inputs.length} (${graph.inputs.join(', ')})`,
    );
  const input = graph.inputs[0];
  const isStatic = (n: GraphNode) => n.outputs.every((o) => !o || graph.staticTensors.has(o));
  const widthNodes = graph.nodes.filter((n) => WIDTH_OPS.includes(n.opType) && !isStatic(n));
  if (widthNodes.length < 2)
    fail(graph, widthNodes[0], 'need at least one conv or fully connected layer before the classifier');
  const classifier = widthNodes[widthNodes.length - 1];
  if (classifier.opType === 'Conv')
    fail(
      graph,
      classifier,
      'the classifier must be a fully connected layer (Gemm or MatMul) on [N, features]',
    );
  const preFinal = classifier.inputs[0];
  const shape = graph.values.get(preFinal)?.shape ?? [];
  if (shape.length !== 2)
    fail(graph, classifier, `its input '${preFinal}' must be [N, features], got [${shape.join(',')}]`);
  const trunkSet = new Set<number>();
  const visit = (tensor: string) => {
    const p = graph.producer.get(tensor);
    if (p === undefined || trunkSet.has(p) || graph.staticTensors.has(tensor)) return;
    trunkSet.add(p);
    for (const i of graph.nodes[p].inputs) if (i) visit(i);
  };
  visit(preFinal);
  const trunk: GraphNode[] = [];
  const staticNodes: GraphNode[] = [];
  const head: GraphNode[] = [];
  for (const n of graph.nodes) {
    if (isStatic(n)) staticNodes.push(n);
    else if (trunkSet.has(n.index)) trunk.push(n);
    else if (n.index === classifier.index) continue;
    else if (n.index < classifier.index)
      fail(graph, n, `it is neither part of the feature extractor feeding '${classifier.name}' nor after it`);
    else head.push(n);
  }
  if (trunk.length === 0) fail(graph, classifier, 'no feature extractor feeds it');
  const trunkTensors = new Set(trunk.flatMap((n) => n.outputs));
  trunkTensors.add(input);
  for (const n of head) {
    const leak = n.inputs.find((i) => i && trunkTensors.has(i));
    if (leak)
      fail(
        graph,
        n,
        `it reads '${leak}' from the feature extractor, so the branches would not be independent`,
      );
  }
  for (const n of trunk) {
    if (REFUSED[n.opType]) fail(graph, n, REFUSED[n.opType]);
    if (n.opType === 'Gemm' && n.attributes.transA) fail(graph, n, 'Gemm with transA is not divided');
    if (WIDTH_OPS.includes(n.opType) && !graph.initializers.has(n.inputs[1]))
      fail(graph, n, `its weight '${n.inputs[1]}' is not an initializer`);
  }
  return { graph, input, trunk, staticNodes, preFinal, classifier, head };
}
