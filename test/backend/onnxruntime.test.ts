import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from '../../src/backend/backend.js';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import type { Tensor } from '../../src/core/tensor.js';
import { seededInput } from '../helpers/models.js';
import { backendContract } from './backend.contract.js';

const opened: InferenceSession[] = [];
async function load(model: string | Uint8Array): Promise<InferenceSession> {
  const s = await onnxruntimeBackend.load(model);
  opened.push(s);
  return s;
}
afterAll(async () => {
  for (const s of opened) await s.release();
});

const image = (batch: number): Tensor => ({
  dtype: 'float32',
  dims: [batch, 1, 28, 28],
  data: seededInput(batch * 784),
});

describe('onnxruntime backend', () => {
  it('runs every output, or a requested subset, with its dims; a batch gives each sample its single-sample outputs', async () => {
    const s = await load(new Uint8Array(readFileSync('models/ee-full.onnx')));
    expect(s.outputNames).toEqual(['exit1', 'exit2', 'final']);
    const three = image(3);
    const all = await s.run({ input: three });
    expect(Object.keys(all).sort()).toEqual(['exit1', 'exit2', 'final']);
    for (const t of Object.values(all)) {
      expect(t.dtype).toBe('float32');
      expect([...t.dims]).toEqual([3, 10]);
    }
    const second: Tensor = { dtype: 'float32', dims: [1, 1, 28, 28], data: three.data.subarray(784, 1568) };
    const one = await s.run({ input: second }, ['final']);
    expect(Object.keys(one)).toEqual(['final']);
    const want = Array.from(all.final.data.subarray(10, 20) as Float32Array);
    Array.from(one.final.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('loads from a path too', async () => {
    const s = await load('models/local.onnx');
    const out = await s.run({ input: image(2) });
    expect([...out.logits.dims]).toEqual([2, 10]);
  });

  it('rejects bad input and unknown outputs with clear errors', async () => {
    const s = await load('models/local.onnx');
    const wrongShape: Tensor = { dtype: 'float32', dims: [1, 3, 5], data: new Float32Array(15) };
    await expect(s.run({ input: wrongShape })).rejects.toMatchObject({ code: 'E_BACKEND' });
    await expect(s.run({ input: image(1) }, ['nope'])).rejects.toThrow(/nope/);
    const unsupported: Tensor = { dtype: 'float16', dims: [1], data: new Uint16Array(1) };
    await expect(s.run({ input: unsupported })).rejects.toMatchObject({
      code: 'E_BACKEND',
      message: expect.stringMatching(/input 'input': dtype float16/),
    });
  });

  it('refuses a model it cannot load with a one-line E_BACKEND error', async () => {
    await expect(onnxruntimeBackend.load(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'E_BACKEND',
      message: expect.stringMatching(/could not load 3-byte model/),
    });
  });
});

backendContract('onnxruntime-node', () => ({
  backend: onnxruntimeBackend,
  model: new Uint8Array(readFileSync('models/ee-full.onnx')),
  feeds: (batch, seed) => ({
    input: { dtype: 'float32', dims: [batch, 1, 28, 28], data: seededInput(batch * 784, seed) },
  }),
}));
