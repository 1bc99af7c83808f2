import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { buildGraph } from '../../src/graph/build.js';
import { convAutoencoder, lenet5, resnet, vggSmall } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { seededInput } from '../helpers/models.js';

const cases: [string, ModelProto, number[]][] = [
  ['LeNet-5', lenet5(), [2, 1, 32, 32]],
  ['VGG-small', vggSmall(), [2, 1, 28, 28]],
  ['ResNet-8', resnet(), [2, 1, 28, 28]],
  ['autoencoder', convAutoencoder(), [2, 1, 28, 28]],
];

describe('builder models run in onnxruntime-node', () => {
  for (const [name, model, dims] of cases) {
    it(`${name}: runs, shapes agree with inference, two runs match bit for bit`, async () => {
      const session = await onnxruntimeBackend.load(encodeModel(model));
      const data = seededInput(dims.reduce((a, b) => a * b, 1));
      const feeds = { input: { dtype: 'float32' as const, dims, data } };
      const a = await session.run(feeds);
      const b = await session.run(feeds);
      await session.release();
      const g = buildGraph(model);
      for (const out of g.outputs) {
        const inferred = g.values.get(out)!.shape.map((d) => (typeof d === 'number' ? d : dims[0]));
        expect(a[out].dims).toEqual(inferred);
        expect(Buffer.from(a[out].data.buffer).equals(Buffer.from(b[out].data.buffer))).toBe(true);
        expect([...a[out].data].every((v) => Number.isFinite(Number(v)))).toBe(true);
      }
    });
  }
});
