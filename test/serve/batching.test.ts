import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { float32Tensor, type Tensor } from '../../src/core/tensor.js';
import { DynamicBatcher, concatBatch, sliceBatch } from '../../src/serve/batcher.js';
import { V2Client, V2HttpError } from '../../src/serve/client.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { denseReference, writeTestModels } from './fixtures/models.js';

let server: V2Server;
let dir: string;
const KEY = 'test-key-0123456789';

function sample(i: number): number[] {
  return [0, 1, 2, 3].map((k) => Math.cos(i * 7 + k) * 2);
}

beforeAll(async () => {
  const m = writeTestModels();
  dir = m.dir;
  server = await startServer({
    models: [m.dense],
    backend: onnxruntimeBackend,
    port: 0,
    maxDelayMs: 20,
    limits: { maxBatch: 64 },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('batch tensor helpers', () => {
  it('concatenates along dimension 0 and slices back', () => {
    const a = float32Tensor([1, 2], new Float32Array([1, 2]));
    const b = float32Tensor([2, 2], new Float32Array([3, 4, 5, 6]));
    const c = concatBatch([a, b]);
    expect(c.dims).toEqual([3, 2]);
    expect([...sliceBatch(c, 1, 2).data]).toEqual([3, 4, 5, 6]);
  });
});

describe('DynamicBatcher with a counting fake run', () => {
  it('merges a burst into runs of at most maxBatch and splits results by row', async () => {
    const sizes: number[] = [];
    const run = async (feeds: Record<string, Tensor>) => {
      sizes.push(feeds.x.dims[0]);
      const d = Float32Array.from(feeds.x.data as Float32Array, (v) => v * 10);
      return { y: { dtype: 'float32' as const, dims: feeds.x.dims, data: d } };
    };
    const b = new DynamicBatcher(run, { maxBatch: 8, maxDelayMs: 50 });
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => b.infer({ x: float32Tensor([1, 1], new Float32Array([i])) }, 1)),
    );
    expect(outs.map((o) => o.y.data[0])).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    expect(sizes.reduce((s, n) => s + n, 0)).toBe(20);
    expect(b.stats.runs).toBe(sizes.length);
    expect(b.stats.runs).toBeLessThan(20);
  });

  it('never stacks requests whose trailing dims differ', async () => {
    const seen: number[][] = [];
    const run = async (feeds: Record<string, Tensor>) => {
      seen.push([...feeds.x.dims]);
      return { y: feeds.x };
    };
    const b = new DynamicBatcher(run, { maxBatch: 8, maxDelayMs: 20 });
    await Promise.all([
      b.infer({ x: float32Tensor([1, 2], new Float32Array(2)) }, 1),
      b.infer({ x: float32Tensor([1, 3], new Float32Array(3)) }, 1),
      b.infer({ x: float32Tensor([1, 2], new Float32Array(2)) }, 1),
    ]);
    expect(seen).toContainEqual([2, 2]);
    expect(seen).toContainEqual([1, 3]);
  });
});

describe('server dynamic batching over HTTP', () => {
  it('runs a burst of N concurrent requests in fewer than N onnxruntime runs, each answer equal to the unbatched one', async () => {
    const client = new V2Client(server.url);
    const stats = server.models.get('dense')!.stats;
    const N = 40;
    const single: Float32Array[] = [];
    for (let i = 0; i < N; i++) {
      const r = await client.infer('dense', { x: float32Tensor([1, 4], Float32Array.from(sample(i))) });
      single.push(r.outputs.y.data as Float32Array);
    }
    const runsBefore = stats.runs;
    expect(runsBefore).toBeGreaterThanOrEqual(N);
    const burst = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        client.infer('dense', { x: float32Tensor([1, 4], Float32Array.from(sample(i))) }),
      ),
    );
    const burstRuns = stats.runs - runsBefore;
    expect(burstRuns).toBeLessThan(N);
    expect(stats.maxRunBatch).toBeGreaterThan(1);
    burst.forEach((r, i) => {
      expect(r.outputs.y.dims).toEqual([1, 3]);
      expect([...(r.outputs.y.data as Float32Array)]).toEqual([...single[i]]);
      denseReference(sample(i)).forEach((v, j) => expect(r.outputs.y.data[j]).toBeCloseTo(v, 5));
    });
  });

  it('client: JSON and binary transfers give identical tensors; metadata and health work', async () => {
    const client = new V2Client(server.url);
    expect(await client.live()).toBe(true);
    expect(await client.modelReady('dense')).toBe(true);
    expect(await client.modelReady('nope')).toBe(false);
    expect((await client.modelMetadata('dense')).outputs[0]).toEqual({
      name: 'y',
      datatype: 'FP32',
      shape: [-1, 3],
    });
    const x = float32Tensor([3, 4], Float32Array.from([...sample(1), ...sample(2), ...sample(3)]));
    const bin = await client.infer('dense', { x }, { id: 'b' });
    const js = await client.infer('dense', { x }, { binaryInputs: false, binaryOutputs: false, id: 'j' });
    expect(bin.id).toBe('b');
    expect(js.id).toBe('j');
    expect([...bin.outputs.y.data]).toEqual([...js.outputs.y.data]);
    await expect(client.infer('dense', { x: float32Tensor([1, 5], new Float32Array(5)) })).rejects.toThrow(
      V2HttpError,
    );
  });
});

describe('pre-shared key', () => {
  it('refuses requests without the key and accepts bearer and HMAC clients', async () => {
    const m = writeTestModels();
    const s = await startServer({ models: [m.dense], backend: onnxruntimeBackend, port: 0, key: KEY });
    try {
      const x = { x: float32Tensor([1, 4], Float32Array.from(sample(0))) };
      expect(await new V2Client(s.url).live()).toBe(true);
      await expect(new V2Client(s.url).infer('dense', x)).rejects.toMatchObject({ status: 401 });
      await expect(new V2Client(s.url, { key: 'wrong' }).infer('dense', x)).rejects.toMatchObject({
        status: 401,
      });
      await expect(
        new V2Client(s.url, { key: 'wrong', auth: 'hmac' }).infer('dense', x),
      ).rejects.toMatchObject({ status: 401 });
      expect((await new V2Client(s.url, { key: KEY }).infer('dense', x)).outputs.y.dims).toEqual([1, 3]);
      expect(
        (await new V2Client(s.url, { key: KEY, auth: 'hmac' }).infer('dense', x)).outputs.y.dims,
      ).toEqual([1, 3]);
    } finally {
      await s.close();
      rmSync(m.dir, { recursive: true, force: true });
    }
  });
});
