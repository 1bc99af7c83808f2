import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { writeTestModels } from './fixtures/models.js';
import {
  KSERVE_JSON_REQUEST,
  KSERVE_JSON_REQUEST_FIXED,
  KSERVE_JSON_RESPONSE_SHAPE,
  TENSOR_DATA_FLAT,
  TENSOR_DATA_NESTED,
  TRITON_BINARY_REQUEST,
  TRITON_BINARY_REQUEST_BYTES,
  TRITON_BINARY_RESPONSE,
} from './fixtures/v2-spec-examples.js';

/** output0[i][j] = input1[i] + column sum j of input0 (the fixture model's definition). */
function expected(input0: number[], input1: boolean[]): number[] {
  const col = [input0[0] + input0[2], input0[1] + input0[3]];
  return input1.flatMap((b) => col.map((c) => (b ? 1 : 0) + c));
}

let server: V2Server;
let dir: string;

beforeAll(async () => {
  const m = writeTestModels();
  dir = m.dir;
  server = await startServer({ models: [m.spec, m.dense], backend: onnxruntimeBackend, port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (body: BodyInit, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fetch(`${server.url}/v2/models/mymodel/infer`, { method: 'POST', body, headers });

describe('v2 spec examples (KServe required_api.md, Triton extension_binary_data.md)', () => {
  it('answers health, server and model metadata as the spec describes', async () => {
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/models/mymodel/ready`)).status).toBe(200);
    const meta = (await (await fetch(`${server.url}/v2`)).json()) as { extensions: string[] };
    expect(meta.extensions).toContain('binary_tensor_data');
    const model = await (await fetch(`${server.url}/v2/models/mymodel`)).json();
    expect(model).toMatchObject({
      name: 'mymodel',
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'input0', datatype: 'INT32', shape: [2, 2] },
        { name: 'input1', datatype: 'BOOL', shape: [3] },
      ],
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [3, 2] }],
    });
    const dense = await (await fetch(`${server.url}/v2/models/dense`)).json();
    expect(dense).toMatchObject({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }] });
  });

  it("rejects the spec's JSON example verbatim: its BOOL input has 1 element for shape [3]", async () => {
    const res = await post(JSON.stringify(KSERVE_JSON_REQUEST));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/input1.*shape \[3\]/);
  });

  it('serves the JSON example with the BOOL input completed', async () => {
    const res = await post(JSON.stringify(KSERVE_JSON_REQUEST_FIXED));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { id: string; model_name: string; outputs: { data: number[] }[] };
    expect(body).toMatchObject({ ...KSERVE_JSON_RESPONSE_SHAPE, model_name: 'mymodel' });
    expect(body.outputs[0].data).toEqual(expected([1, 2, 3, 4], [true, false, true]));
  });

  it('accepts tensor data nested as the shape or flattened, with equal results', async () => {
    const make = (data: unknown) =>
      JSON.stringify({
        inputs: [{ ...KSERVE_JSON_REQUEST.inputs[0], data }, KSERVE_JSON_REQUEST_FIXED.inputs[1]],
      });
    const nested = (await (await post(make(TENSOR_DATA_NESTED))).json()) as { outputs: { data: number[] }[] };
    const flat = (await (await post(make(TENSOR_DATA_FLAT))).json()) as { outputs: { data: number[] }[] };
    expect(nested.outputs[0].data).toEqual(flat.outputs[0].data);
    expect(flat.outputs[0].data).toEqual(expected(TENSOR_DATA_FLAT, [true, false, true]));
  });

  it('serves the binary-extension example and answers with a binary output', async () => {
    const header = Buffer.from(JSON.stringify(TRITON_BINARY_REQUEST));
    const input0 = Buffer.from(new Int32Array([5, 6, 7, 8]).buffer);
    const input1 = Buffer.from([0, 1, 1]);
    expect(input0.length + input1.length).toBe(TRITON_BINARY_REQUEST_BYTES);
    const res = await post(Buffer.concat([header, input0, input1]), {
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(header.length),
    });
    expect(res.status).toBe(200);
    const yy = Number(res.headers.get('inference-header-content-length'));
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(yy + 24);
    expect(JSON.parse(body.subarray(0, yy).toString())).toMatchObject(TRITON_BINARY_RESPONSE);
    const out = new Float32Array(body.buffer.slice(body.byteOffset + yy, body.byteOffset + yy + 24));
    expect([...out]).toEqual(expected([5, 6, 7, 8], [false, true, true]));
  });

  it('answers errors with {"error": string} and a 4xx status', async () => {
    const res = await fetch(`${server.url}/v2/models/nosuch/infer`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(Object.keys((await res.json()) as object)).toEqual(['error']);
  });
});
