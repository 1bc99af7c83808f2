/** No request can stall the server: hostile JSON, partial bodies (408) and oversized headers (431). */
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { writeTestModels } from './fixtures/models.js';

let server: V2Server;
let impatient: V2Server;
let dir: string;
const MB16 = 16 * 1024 * 1024;

beforeAll(async () => {
  const m = writeTestModels();
  dir = m.dir;
  server = await startServer({ models: [m.dense], backend: onnxruntimeBackend, port: 0 });
  impatient = await startServer({
    models: [m.dense],
    backend: onnxruntimeBackend,
    port: 0,
    bodyTimeoutMs: 300,
  });
});
afterAll(async () => {
  await server.close();
  await impatient.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(body: Buffer): Promise<{ status: number; error: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/v2/models/dense/infer',
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, error: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on a fresh socket and resolves with the status line of the answer. */
function raw(text: string, to: V2Server = server): Promise<string> {
  const u = new URL(to.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(text));
    let got = '';
    s.on('data', (c) => (got += c.toString()));
    s.on('end', () => resolve(got.split('\r\n')[0]));
    s.on('error', reject);
  });
}

describe('no request can stall the server', () => {
  it('answers health probes while eight 16 MB deeply nested bodies are processed, and refuses each', async () => {
    const half = MB16 / 2;
    const deep = Buffer.concat([Buffer.alloc(half, '['), Buffer.alloc(half, ']')]);
    const hostile = Array.from({ length: 8 }, () => post(deep));
    const probes: number[] = [];
    let pending = true;
    void Promise.allSettled(hostile).then(() => (pending = false));
    do {
      probes.push((await fetch(`${server.url}/v2/health/ready`)).status);
    } while (pending && probes.length < 1000);
    const answers = await Promise.all(hostile);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((s) => s === 200)).toBe(true);
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.error).toMatch(/nests deeper than 32/);
    }
  });

  it('refuses a body with millions of JSON values with 413 before parsing it', async () => {
    const many = Buffer.from(
      `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[${'0,'.repeat(5_000_000)}0]}]}`,
    );
    const a = await post(many);
    expect(a.status).toBe(413);
    expect(a.error).toMatch(/JSON values/);
  });

  it('answers a body shorter than its Content-Length with 408 after --body-timeout', async () => {
    const line = await raw(
      'POST /v2/models/dense/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inputs":',
      impatient,
    );
    expect(line).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('answers oversized headers with 431', async () => {
    const line = await raw(
      `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`,
    );
    expect(line).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });
});
