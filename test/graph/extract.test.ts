import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import type { Tensor } from '../../src/core/tensor.js';
import { buildGraph } from '../../src/graph/build.js';
import { extractSubModel } from '../../src/graph/extract.js';
import { convAutoencoder, resnet } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { seededInput } from '../helpers/models.js';

async function runStages(model: ModelProto, cuts: number[], input: Tensor): Promise<Record<string, Tensor>> {
  const graph = buildGraph(model);
  const bounds = [0, ...cuts, graph.nodes.length];
  let env: Record<string, Tensor> = { input };
  for (let s = 0; s + 1 < bounds.length; s++) {
    const sub = extractSubModel(model, graph, bounds[s], bounds[s + 1]);
    const session = await onnxruntimeBackend.load(encodeModel(sub.model));
    const feeds = Object.fromEntries(sub.inputs.map((i) => [i, env[i]]));
    expect(Object.values(feeds).every((t) => t !== undefined)).toBe(true);
    env = { ...env, ...(await session.run(feeds)) };
    await session.release();
  }
  return env;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

describe('sub-model extraction', () => {
  it('stages of a residual net cut inside blocks (two live tensors) reproduce the whole model', async () => {
    const model = resnet({ seed: 5 });
    const graph = buildGraph(model);
    const n = graph.nodes.length;
    const input: Tensor = { dtype: 'float32', dims: [4, 1, 28, 28], data: seededInput(4 * 784) };
    const whole = await onnxruntimeBackend.load(encodeModel(model));
    const ref = (await whole.run({ input })).logits;
    for (const cuts of [[5], [4, 11], [Math.floor(n / 3), Math.floor((2 * n) / 3)], [1, 2, 3, n - 1]]) {
      const staged = await runStages(model, cuts, input);
      expect(staged.logits.dims).toEqual(ref.dims);
      expect(maxAbsDiff(staged.logits, ref)).toBeLessThan(1e-5);
    }
    const sub = extractSubModel(model, graph, 4, 11);
    expect(sub.inputs.length).toBeGreaterThanOrEqual(1);
    // only the initializers the range reads
    const used = new Set(graph.nodes.slice(4, 11).flatMap((x) => x.inputs));
    expect(sub.model.graph!.initializer!.every((t) => used.has(t.name!))).toBe(true);
  });

  it('recomputes the constant Reshape target inside the stage that needs it', async () => {
    const model = convAutoencoder({ seed: 2 });
    const graph = buildGraph(model);
    const reshape = graph.nodes.findIndex((x) => x.opType === 'Reshape');
    const input: Tensor = { dtype: 'float32', dims: [2, 1, 28, 28], data: seededInput(2 * 784) };
    const whole = await onnxruntimeBackend.load(encodeModel(model));
    const ref = (await whole.run({ input })).reconstruction;
    const staged = await runStages(model, [reshape, reshape + 1], input);
    expect(maxAbsDiff(staged.reconstruction, ref)).toBeLessThan(1e-6);
  });

  it('rejects an empty or out-of-range node range', () => {
    const model = resnet();
    const graph = buildGraph(model);
    expect(() => extractSubModel(model, graph, 3, 3)).toThrow(/node range \[3, 3\)/);
    expect(() => extractSubModel(model, graph, 0, 999)).toThrow(/not within/);
  });
});
