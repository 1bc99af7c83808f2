/**
 * One v2 contract both transports of `edgesplit serve` pass (hono's one-suite-many-runtimes habit):
 * the suite talks to the server only through `V2Client` at the URL `pick` returns (REST or gRPC) and
 * checks every call against onnxruntime run directly on the same model files.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from '../../src/backend/backend.js';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { mulberry32 } from '../../src/core/random.js';
import { float32Tensor, type Tensor } from '../../src/core/tensor.js';
import { V2Client, V2HttpError } from '../../src/serve/client.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { writeTestModels } from './fixtures/models.js';

const KEY = 'contract-key-0123456789';

/** Which URL of a running server the suite's client uses. */
export type PickUrl = (s: V2Server) => string;

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof V2HttpError) return err.status;
    throw err;
  }
}

function row(seed: number, n: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 2);
}

/** Registers the contract for one transport. */
export function runV2Contract(name: string, pick: PickUrl): void {
  describe(`v2 contract over ${name}`, () => {
    let server: V2Server;
    let keyed: V2Server;
    let dir: string;
    let client: V2Client;
    let direct: { dense: InferenceSession; spec: InferenceSession };

    beforeAll(async () => {
      const m = writeTestModels();
      dir = m.dir;
      const common = { models: [m.dense, m.spec], backend: onnxruntimeBackend, port: 0, grpcPort: 0 };
      server = await startServer({ ...common, maxDelayMs: 5, limits: { maxBatch: 16 } });
      keyed = await startServer({ ...common, key: KEY });
      client = new V2Client(pick(server));
      direct = {
        dense: await onnxruntimeBackend.load(m.dense),
        spec: await onnxruntimeBackend.load(m.spec),
      };
    });
    afterAll(async () => {
      client.close();
      await direct.dense.release();
      await direct.spec.release();
      await server.close();
      await keyed.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers health, readiness and metadata', async () => {
      expect(await client.live()).toBe(true);
      expect(await client.ready()).toBe(true);
      expect(await client.modelReady('dense')).toBe(true);
      expect(await client.modelReady('nosuch')).toBe(false);
      const meta = await client.serverMetadata();
      expect(meta.name).toBe('edgesplit');
      expect(meta.extensions).toEqual(
        expect.arrayContaining(['binary_tensor_data', 'classification', 'model_configuration']),
      );
      expect(await client.modelMetadata('dense')).toMatchObject({
        name: 'dense',
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
      });
      expect(await status(client.modelMetadata('nosuch'))).toBe(404);
    });

    it("returns Triton's model config: batched dims without the batch, dynamic batching", async () => {
      const dense = await client.modelConfig('dense');
      expect(dense).toMatchObject({
        name: 'dense',
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        max_batch_size: 16,
        input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }],
        output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [3] }],
        dynamic_batching: { preferred_batch_size: [16], max_queue_delay_microseconds: 5000 },
        instance_group: [{ kind: 'KIND_CPU', count: 1 }],
      });
      expect(Number(dense.parameters.edgesplit_macs_per_sample.string_value)).toBe(12);
      const spec = await client.modelConfig('mymodel');
      expect(spec.max_batch_size).toBe(0);
      expect(spec.dynamic_batching).toBeUndefined();
      expect(spec.input.map((i) => [i.name, i.data_type, i.dims])).toEqual([
        ['input0', 'TYPE_INT32', [2, 2]],
        ['input1', 'TYPE_BOOL', [3]],
      ]);
    });

    it('infers bit-identically to onnxruntime, raw and typed inputs, FP32 and INT32/BOOL', async () => {
      const x = float32Tensor([3, 4], row(1, 12));
      const want = (await direct.dense.run({ x })).y;
      for (const binaryInputs of [true, false]) {
        const got = await client.infer('dense', { x }, { binaryInputs, id: 'r1' });
        expect(got.id).toBe('r1');
        expect(got.outputs.y.dims).toEqual([3, 3]);
        expect([...got.outputs.y.data]).toEqual([...want.data]);
      }
      const feeds: Record<string, Tensor> = {
        input0: { dtype: 'int32', dims: [2, 2], data: Int32Array.from([5, -6, 7, 8]) },
        input1: { dtype: 'bool', dims: [3], data: Uint8Array.from([0, 1, 1]) },
      };
      const spec = (await direct.spec.run(feeds)).output0;
      for (const binaryInputs of [true, false]) {
        const got = await client.infer('mymodel', feeds, { binaryInputs });
        expect([...got.outputs.output0.data]).toEqual([...spec.data]);
      }
    });

    it('batches concurrent requests into fewer onnxruntime runs, each answer its own', async () => {
      const before = { ...server.models.get('dense')!.stats };
      const xs = Array.from({ length: 12 }, (_, i) => float32Tensor([1, 4], row(100 + i, 4)));
      const got = await Promise.all(xs.map((x) => client.infer('dense', { x })));
      const after = server.models.get('dense')!.stats;
      expect(after.requests - before.requests).toBe(12);
      expect(after.runs - before.runs).toBeLessThan(12);
      for (const [i, x] of xs.entries())
        expect([...got[i].outputs.y.data]).toEqual([...(await direct.dense.run({ x })).y.data]);
    });

    it('classification: class_count returns the top classes as "value:index" strings', async () => {
      const x = float32Tensor([2, 4], row(7, 8));
      const y = (await direct.dense.run({ x })).y.data as Float32Array;
      const got = await client.infer('dense', { x }, { outputs: ['y'], classCount: 2 });
      const cls = got.strings!.y;
      expect(cls.shape).toEqual([2, 2]);
      for (let r = 0; r < 2; r++) {
        const rowv = [...y.subarray(r * 3, r * 3 + 3)];
        const order = [0, 1, 2].sort((a, b) => rowv[b] - rowv[a]);
        expect(cls.values.slice(r * 2, r * 2 + 2)).toEqual(
          order.slice(0, 2).map((i) => `${rowv[i].toFixed(6)}:${i}`),
        );
      }
    });

    it('maps errors to the same statuses: 400 bad shape, 404 unknown model, 413 over the batch limit', async () => {
      expect(await status(client.infer('dense', { x: float32Tensor([1, 5], row(2, 5)) }))).toBe(400);
      expect(await status(client.infer('nosuch', { x: float32Tensor([1, 4], row(2, 4)) }))).toBe(404);
      expect(await status(client.infer('dense', { x: float32Tensor([17, 4], row(3, 68)) }))).toBe(413);
      expect(
        await status(client.infer('dense', { x: float32Tensor([1, 4], row(2, 4)) }, { outputs: ['nope'] })),
      ).toBe(400);
    });

    it('needs the key (bearer or HMAC) everywhere but the health probes', async () => {
      const anon = new V2Client(pick(keyed));
      const bearer = new V2Client(pick(keyed), { key: KEY });
      const hmac = new V2Client(pick(keyed), { key: KEY, auth: 'hmac' });
      const wrong = new V2Client(pick(keyed), { key: 'wrong-key-0123456789' });
      try {
        expect(await anon.live()).toBe(true);
        expect(await anon.ready()).toBe(true);
        expect(await status(anon.modelMetadata('dense'))).toBe(401);
        expect(await status(wrong.serverMetadata())).toBe(401);
        const x = float32Tensor([1, 4], row(9, 4));
        expect(await status(anon.infer('dense', { x }))).toBe(401);
        const want = [...(await direct.dense.run({ x })).y.data];
        expect([...(await bearer.infer('dense', { x })).outputs.y.data]).toEqual(want);
        expect([...(await hmac.infer('dense', { x })).outputs.y.data]).toEqual(want);
        expect((await hmac.modelConfig('dense')).name).toBe('dense');
      } finally {
        for (const c of [anon, bearer, hmac, wrong]) c.close();
      }
    });
  });
}
