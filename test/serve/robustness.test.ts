import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { float32Tensor } from '../../src/core/tensor.js';
import { V2Client } from '../../src/serve/client.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { denseReference, writeTestModels } from './fixtures/models.js';
import { mulberry32 } from '../../src/core/random.js';

let server: V2Server;
let dir: string;

beforeAll(async () => {
  const m = writeTestModels();
  dir = m.dir;
  server = await startServer({
    models: [m.dense, m.spec],
    backend: onnxruntimeBackend,
    port: 0,
    maxDelayMs: 1,
    limits: { maxBodyBytes: 1 << 20, maxBatch: 64, maxElements: 65536 },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Deterministic PRNG so a failure can be replayed. */
const rng = mulberry32;

interface Hostile {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  what: string;
}

const good = { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const j = (v: unknown) => Buffer.from(JSON.stringify(v));
const infer = '/v2/models/dense/infer';
const jsonHeaders = { 'Content-Type': 'application/json' };

function binaryReq(header: unknown, binary: Buffer, headerLen?: string): Hostile {
  const h = j(header);
  return {
    method: 'POST',
    path: infer,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': headerLen ?? String(h.length),
    },
    body: Buffer.concat([h, binary]),
    what: `binary ${JSON.stringify(header).slice(0, 80)} + ${binary.length} B (header length ${headerLen ?? h.length})`,
  };
}

function makeHostile(r: () => number, i: number): Hostile {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const post = (
    body: Buffer,
    what: string,
    path = infer,
    headers: Record<string, string> = jsonHeaders,
  ): Hostile => ({ method: 'POST', path, headers, body, what });
  const text = JSON.stringify(good);
  switch (i % 12) {
    case 0:
      return post(Buffer.from(text.slice(0, Math.floor(r() * (text.length - 1)))), 'truncated JSON');
    case 1:
      return post(
        Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256))),
        'random bytes',
      );
    case 2:
      return post(
        j(
          pick([
            null,
            42,
            'x',
            [],
            [good],
            {},
            { inputs: {} },
            { inputs: [] },
            { inputs: [null] },
            { inputs: [{}] },
          ]),
        ),
        'wrong structure',
      );
    case 3: {
      const shape = pick([[4], [1, 5], [2, 4], [1, 4, 1], [], [-1, 4], [1.5, 4], ['1', 4], null, [1, 2, 2]]);
      return post(j({ inputs: [{ ...good.inputs[0], shape }] }), `wrong shape ${JSON.stringify(shape)}`);
    }
    case 4: {
      const datatype = pick(['FP64', 'INT32', 'fp32', 'FLOAT', '', 7, null, 'BYTES', 'UINT32', 'BOOL']);
      return post(
        j({ inputs: [{ ...good.inputs[0], datatype }] }),
        `wrong datatype ${JSON.stringify(datatype)}`,
      );
    }
    case 5: {
      const shape = pick([
        [1e9, 4],
        [64, 1e6],
        [2 ** 53, 4],
        [65, 4],
        [1000, 4],
      ]);
      return post(j({ inputs: [{ ...good.inputs[0], shape }] }), `huge shape ${JSON.stringify(shape)}`);
    }
    case 6: {
      const size = pick([1e15, 2 ** 62, 15, 17, 0, -16, 16.5, '16']);
      return binaryReq(
        { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: size } }] },
        Buffer.alloc(16),
        undefined,
      );
    }
    case 7: {
      const extra = Math.floor(r() * 40) - 20;
      const bin = Buffer.alloc(Math.max(0, 16 + (extra === 0 ? 1 : extra)));
      const hdr = {
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
      };
      const len = pick([undefined, '-1', 'abc', '99999', '1e3', '']);
      return binaryReq(hdr, bin, len);
    }
    case 8:
      return post(
        j(good),
        'unknown model',
        pick([
          '/v2/models/nosuch/infer',
          '/v2/models/%E0%A4%A/infer',
          '/v2/models/dense/versions/7/infer',
          '/v2/modelz/dense/infer',
          '/v3',
        ]),
      );
    case 9: {
      const method = pick(['GET', 'PUT', 'DELETE', 'PATCH']);
      const path = method === 'GET' ? infer : pick([infer, '/v2/models/dense', '/v2', '/v2/health/live']);
      return {
        method,
        path,
        headers: {},
        body: method === 'GET' ? undefined : j(good),
        what: `wrong method ${method}`,
      };
    }
    case 10: {
      const data = pick([
        [1, 2, 3],
        [1, 2, 3, 'x'],
        [
          [1, 2],
          [3, 4],
        ],
        [[[1, 2, 3, 4]]],
        [1, 2, 3, null],
        'AAAA',
        { a: 1 },
        [1, 2, 3, 4, 5],
        [true, 1, 2, 3],
      ]);
      return post(j({ inputs: [{ ...good.inputs[0], data }] }), `bad data ${JSON.stringify(data)}`);
    }
    default: {
      const variants: [Buffer, Record<string, string>, string][] = [
        [j(good), { 'Content-Type': 'text/plain' }, 'wrong content type'],
        [j({ ...good, outputs: [{ name: 'nope' }] }), jsonHeaders, 'unknown output'],
        [j({ ...good, outputs: [{ name: 'y' }, { name: 'y' }] }), jsonHeaders, 'duplicate output'],
        [j({ inputs: [good.inputs[0], good.inputs[0]] }), jsonHeaders, 'duplicate input'],
        [j({ inputs: [{ ...good.inputs[0], name: 'z' }] }), jsonHeaders, 'unknown input'],
        [j({ ...good, id: 5 }), jsonHeaders, 'numeric id'],
        [
          j({ ...good, outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }] }),
          jsonHeaders,
          'bad binary_data',
        ],
        [Buffer.from('['.repeat(5000) + ']'.repeat(5000)), jsonHeaders, 'deep nesting'],
      ];
      const [body, headers, what] = pick(variants);
      return post(body, what, pick([infer, '/v2/models/mymodel/infer']), headers);
    }
  }
}

function send(h: Hostile): Promise<number> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method: h.method, path: h.path, headers: h.headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(h.body);
  });
}

function oversized(): Promise<number> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: infer,
        headers: { 'Content-Length': String(10 * 1024 ** 3), 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.write('{"inputs": [');
  });
}

describe('server robustness', () => {
  it('answers 1,000 malformed or hostile requests with a 4xx each and keeps serving correct ones', async () => {
    const client = new V2Client(server.url);
    const x = [0.5, -1, 2, 0.25];
    const r = rng(12345);
    const failures: string[] = [];
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 50 }, (_, k) => makeHostile(r, round * 50 + k));
      const statuses = await Promise.all(batch.map((h) => send(h)));
      statuses.forEach((s, k) => {
        if (s < 400 || s >= 500) failures.push(`${s} for ${batch[k].what}`);
      });
      const ok = await client.infer('dense', { x: float32Tensor([1, 4], Float32Array.from(x)) });
      denseReference(x).forEach((v, i) => expect(ok.outputs.y.data[i]).toBeCloseTo(v, 5));
    }
    expect(failures).toEqual([]);
    expect(await oversized()).toBe(413);
    expect(await client.ready()).toBe(true);
  });
});
