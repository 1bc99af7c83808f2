/**
 * The README's two profiling examples (docs/examples/custom-lstm.onnx and lenet-dyn.onnx), built
 * here so tests and `scripts/write-example-models.ts` make the same bytes.
 */
import { lenet5 } from '../../src/graph/builder/architectures.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { f32, int, model, node, vi } from './onnx-graph.js';

/** LeNet-5 as exported with dynamic axes: input [N,1,H,W]. */
export function dynamicLenet(): ModelProto {
  const m = lenet5();
  const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
  dims[2] = { dimParam: 'H' };
  dims[3] = { dimParam: 'W' };
  return m;
}

/** x [1,4] -> com.acme.Mystery (shape from value_info) -> LSTM over a 3-step sequence -> y. */
export function customOpModel(): ModelProto {
  return model(
    [
      node('Mystery', ['x'], ['m'], [], 'mystery', 'com.acme'),
      node('Reshape', ['m', 'seq'], ['s']),
      node('LSTM', ['s', 'W', 'R'], ['', 'h'], [int('hidden_size', 5)], 'lstm'),
    ],
    [vi('x', [3, 4])],
    [vi('h', [1, 1, 5])],
    [
      { name: 'seq', dims: [3], dataType: 7, int64Data: [3, 1, 4] },
      f32('W', [1, 20, 4]),
      f32('R', [1, 20, 5]),
    ],
    [vi('m', [3, 4])],
  );
}

/** The files in docs/examples/ these builders make. */
export const EXAMPLE_MODELS: Readonly<Record<string, () => ModelProto>> = {
  'custom-lstm.onnx': customOpModel,
  'lenet-dyn.onnx': dynamicLenet,
};
