import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from '../../src/backend/backend.js';
import {
  onnxruntimeBackend,
  onnxruntimePublicBackend,
} from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import type { Tensor } from '../../src/core/tensor.js';
import { seededInput } from '../helpers/models.js';

const opened: InferenceSession[] = [];
async function load(direct: boolean, model: string | Uint8Array): Promise<InferenceSession> {
  const s = await (direct ? onnxruntimeBackend : onnxruntimePublicBackend).load(model);
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

describe('onnxruntime backend: native binding path', () => {
  it('gives the public API outputs exactly, for every output and for a requested subset', async () => {
    for (const model of ['models/ee-full.onnx', 'models/local.onnx']) {
      const bytes = new Uint8Array(readFileSync(model));
      const direct = await load(true, bytes);
      const plain = await load(false, bytes);
      expect(direct.inputNames).toEqual(plain.inputNames);
      expect(direct.outputNames).toEqual(plain.outputNames);
      for (const batch of [1, 3]) {
        const feeds = { [plain.inputNames[0]]: image(batch) };
        const a = await direct.run(feeds);
        const b = await plain.run(feeds);
        expect(Object.keys(a).sort()).toEqual([...plain.outputNames].sort());
        for (const name of plain.outputNames) {
          expect(a[name].dtype).toBe(b[name].dtype);
          expect([...a[name].dims]).toEqual([...b[name].dims]);
          expect(Array.from(a[name].data as Float32Array)).toEqual(Array.from(b[name].data as Float32Array));
        }
      }
      const last = plain.outputNames[plain.outputNames.length - 1];
      const some = await direct.run({ [plain.inputNames[0]]: image(1) }, [last]);
      expect(Object.keys(some)).toEqual([last]);
    }
  });

  it('loads from a path too', async () => {
    const s = await load(true, 'models/local.onnx');
    const out = await s.run({ input: image(2) });
    expect([...out.logits.dims]).toEqual([2, 10]);
  });

  it('settles without waiting for another event-loop turn (the public API defers each run)', async () => {
    const bytes = new Uint8Array(readFileSync('models/local.onnx'));
    const turned = async (s: InferenceSession): Promise<boolean> => {
      let immediate = false;
      setImmediate(() => (immediate = true));
      await s.run({ input: image(1) });
      return immediate;
    };
    expect(await turned(await load(true, bytes))).toBe(false);
    expect(await turned(await load(false, bytes))).toBe(true);
  });

  it('rejects bad input and unknown outputs with E_BACKEND, on both paths', async () => {
    const bytes = new Uint8Array(readFileSync('models/local.onnx'));
    for (const direct of [true, false]) {
      const s = await load(direct, bytes);
      const wrongShape: Tensor = { dtype: 'float32', dims: [1, 3, 5], data: new Float32Array(15) };
      await expect(s.run({ input: wrongShape })).rejects.toMatchObject({ code: 'E_BACKEND' });
      await expect(s.run({ input: image(1) }, ['nope'])).rejects.toThrow(/nope/);
      const unsupported: Tensor = { dtype: 'float16', dims: [1], data: new Uint16Array(1) };
      await expect(s.run({ input: unsupported })).rejects.toMatchObject({ code: 'E_BACKEND' });
    }
  });

  it('refuses a model it cannot load with a one-line E_BACKEND error', async () => {
    await expect(onnxruntimeBackend.load(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'E_BACKEND',
      message: expect.stringMatching(/could not load 3-byte model/),
    });
  });
});
