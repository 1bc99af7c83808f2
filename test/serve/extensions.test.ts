/** Triton extensions and request encodings over REST: health bodies, model config, classification, gzip/deflate. */
import { rmSync } from 'node:fs';
import { gzipSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { denseReference, writeTestModels } from './fixtures/models.js';

let server: V2Server;
let dir: string;
const LIMIT = 1 << 20;

beforeAll(async () => {
  const m = writeTestModels();
  dir = m.dir;
  server = await startServer({
    models: [m.dense, m.spec],
    backend: onnxruntimeBackend,
    port: 0,
    limits: { maxBodyBytes: LIMIT },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const x = [0.5, -1, 2, 0.25];
const request = { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: x }] };
const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v2/models/dense/infer`, {
    method: 'POST',
    body: body as unknown as BodyInit,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

describe('Triton extensions over REST', () => {
  it('health probes answer {"live":true} / {"ready":true}, model ready {"name","ready"}', async () => {
    expect(await (await fetch(`${server.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect(await (await fetch(`${server.url}/v2/health/ready`)).json()).toEqual({ ready: true });
    expect(await (await fetch(`${server.url}/v2/models/dense/ready`)).json()).toEqual({
      name: 'dense',
      ready: true,
    });
  });

  it('GET /v2/models/{m}/config has the fields Triton returns for an ONNX model with dynamic batching', async () => {
    const res = await fetch(`${server.url}/v2/models/dense/config`);
    expect(res.status).toBe(200);
    const c = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(c).sort()).toEqual(
      [
        'backend',
        'default_model_filename',
        'dynamic_batching',
        'input',
        'instance_group',
        'max_batch_size',
        'name',
        'output',
        'parameters',
        'platform',
      ].sort(),
    );
    expect(c).toMatchObject({
      max_batch_size: 64,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }],
    });
    expect((await fetch(`${server.url}/v2/models/dense/versions/1/config`)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/models/nosuch/config`)).status).toBe(404);
  });

  it('classification: JSON output data are "value:index" strings of the top classes', async () => {
    const res = await post(
      JSON.stringify({ ...request, outputs: [{ name: 'y', parameters: { classification: 3 } }] }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { datatype: string; shape: number[]; data: string[] }[] };
    const ref = denseReference(x);
    const order = [0, 1, 2].sort((a, b) => ref[b] - ref[a]);
    expect(body.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [1, 3] });
    expect(body.outputs[0].data.map((s) => Number(s.split(':')[1]))).toEqual(order);
    body.outputs[0].data.forEach((s, k) => expect(Number(s.split(':')[0])).toBeCloseTo(ref[order[k]], 5));
  });

  it('classification on a non-numeric output or with a bad count is a clear 400', async () => {
    const bad = await post(
      JSON.stringify({ ...request, outputs: [{ name: 'y', parameters: { classification: -2 } }] }),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/classification/);
  });

  it('decodes Content-Encoding gzip and deflate; refuses a decompression bomb with 413', async () => {
    const plain = JSON.stringify(request);
    for (const [enc, body] of [
      ['gzip', gzipSync(plain)],
      ['deflate', deflateSync(plain)],
    ] as const) {
      const res = await post(body, { 'Content-Encoding': enc });
      expect(res.status).toBe(200);
      const out = (await res.json()) as { outputs: { data: number[] }[] };
      denseReference(x).forEach((v, i) => expect(out.outputs[0].data[i]).toBeCloseTo(v, 5));
    }
    const bomb = gzipSync(Buffer.alloc(64 * LIMIT, 0x20)); // 64 MiB of spaces in ~64 KiB
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await post(bomb, { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await post(gzipSync(plain).subarray(0, 20), { 'Content-Encoding': 'gzip' })).status).toBe(400);
    expect((await post(plain, { 'Content-Encoding': 'br' })).status).toBe(415);
  });
});
