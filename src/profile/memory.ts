/**
 * Activation memory per node under three accountings a firmware engineer can check: `inplace` (an
 * element-wise op whose input dies at that op writes its output over the input, as the memory
 * planners of TFLite Micro and ESP-DL allow), `strict` (every op holds its inputs and outputs apart)
 * and `seed` (the largest single intermediate a node reads or writes, as the TinyML seed Sec. II-C
 * counts). Pure.
 */
import { lifetimes } from '../graph/cuts.js';
import { dimsProduct } from '../graph/ops/common.js';
import type { Graph } from '../graph/types.js';
import { bitsToBytes } from './profile.js';

/** Memory accountings (`edgesplit plan --memory-model`, plan.json `memoryModel`): the plan.json vocabulary. */
export { MEMORY_MODELS, type MemoryModel } from '../core/plan-file.js';
import type { MemoryModel } from '../core/plan-file.js';

/**
 * Ops whose output may overwrite an input of the same size that dies at the op: element-wise maps,
 * element-wise binaries, and views (Reshape, Flatten, ...) that only relabel the buffer.
 */
export const IN_PLACE_OPS: ReadonlySet<string> = new Set([
  'Relu',
  'Relu6',
  'LeakyRelu',
  'PRelu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Softplus',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sqrt',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'BatchNormalization',
  'Dropout',
  'Identity',
  'Cast',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
]);

/**
 * Activation bytes that must be held while each node runs, at `activationBits`:
 * `strict` and `inplace` count every activation produced before the node (or a graph input) and
 * still needed at or after it, plus the node's outputs; `inplace` then drops an output that reuses
 * a dying input's buffer. `seed` is the largest single activation the node reads or writes.
 */
export function nodeActivationBytes(graph: Graph, activationBits: number, model: MemoryModel): number[] {
  const n = graph.nodes.length;
  const bytesOf = (t: string) => {
    const v = graph.values.get(t);
    return v ? bitsToBytes(dimsProduct(v.shape), activationBits) : 0;
  };
  if (model === 'seed') {
    return graph.nodes.map((node) =>
      Math.max(
        0,
        ...[...node.inputs, ...node.outputs].filter((t) => t && !graph.staticTensors.has(t)).map(bytesOf),
      ),
    );
  }
  // difference array: a tensor adds its bytes to every node from its producer to its last reader
  const diff = new Float64Array(n + 1);
  const lastUse = new Map<string, number>();
  for (const t of lifetimes(graph)) {
    const bytes = bytesOf(t.name);
    const from = Math.max(0, t.from);
    const to = Math.min(n - 1, Math.max(t.lastUse, from));
    diff[from] += bytes;
    diff[to + 1] -= bytes;
    lastUse.set(t.name, t.lastUse);
  }
  const out: number[] = [];
  let running = 0;
  for (let k = 0; k < n; k++) {
    running += diff[k];
    let live = running;
    const node = graph.nodes[k];
    if (model === 'inplace' && IN_PLACE_OPS.has(node.opType)) {
      const o = node.outputs[0];
      const ob = o && !graph.staticTensors.has(o) ? bytesOf(o) : 0;
      // one dying input of at least the output's size can take the output
      const host = node.inputs.some(
        (i) => i && !graph.staticTensors.has(i) && lastUse.get(i) === k && bytesOf(i) >= ob,
      );
      if (host) live -= ob;
    }
    out.push(live);
  }
  return out;
}
