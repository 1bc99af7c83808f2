import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { buildGraph } from '../../src/graph/build.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { seededInput } from '../helpers/models.js';

const dir = (f: string) => fileURLToPath(new URL(`../fixtures/torch/${f}`, import.meta.url));
const bytes = readFileSync(dir('torch-patterns.onnx'));
const reference = JSON.parse(readFileSync(dir('torch-patterns.shapes.json'), 'utf8')) as {
  shapes: Record<string, (number | string | null)[]>;
};

describe('a real torch.onnx.export model (test/fixtures/torch/make_fixture.py)', () => {
  it("infers every tensor's shape as ONNX's own shape inference does, without the model's value_info", () => {
    const model = decodeModel(bytes, 'torch-patterns.onnx');
    model.graph!.valueInfo = [];
    const g = buildGraph(model, 'torch-patterns.onnx');
    // ONNX leaves some shapes unknown (Slice with computed bounds); edgesplit infers those too
    const names = Object.keys(reference.shapes).filter((n) => reference.shapes[n].length > 0);
    expect(names.length).toBeGreaterThan(20);
    expect(g.values.get('/Slice_output_0')!.shape).toEqual(['N', 4, 14, 14]);
    // the dynamic batch stays symbolic through the view(size(0), -1) pattern
    expect(g.values.get('/Reshape_output_0')!.shape).toEqual(['N', 16]);
    expect(g.values.get('out')!.shape).toEqual(['N', 10]);
    for (const name of names) {
      const ours = g.values.get(name)?.shape;
      expect(ours, name).toBeDefined();
      const ref = reference.shapes[name];
      expect(ours!.length, name).toBe(ref.length);
      ref.forEach((d, i) => {
        // a symbolic reference dim may be ONNX not knowing (edgesplit can know more), so only numbers must agree
        if (typeof d === 'number') expect(ours![i], `${name}[${i}]`).toBe(d);
      });
    }
  });

  it('matches what onnxruntime computes at two batch sizes', async () => {
    const model = decodeModel(bytes, 'torch-patterns.onnx');
    const g = buildGraph(model);
    const session = await onnxruntimeBackend.load(encodeModel(model));
    for (const n of [1, 3]) {
      const out = await session.run({
        input: { dtype: 'float32', dims: [n, 1, 28, 28], data: seededInput(n * 784) },
      });
      expect(out.out.dims).toEqual(g.values.get('out')!.shape.map((d) => (typeof d === 'number' ? d : n)));
    }
    await session.release();
  });
});
