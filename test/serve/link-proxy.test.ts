import { createHash } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { getLink } from '../../src/catalog/index.js';
import { float32Tensor } from '../../src/core/tensor.js';
import { V2Client } from '../../src/serve/client.js';
import {
  MUX_HEADER_BYTES,
  MuxDecoder,
  muxFrame,
  startLinkProxy,
  type LinkProxy,
} from '../../src/serve/link-proxy.js';
import { startServer } from '../../src/serve/server.js';
import { writeTestModels } from './fixtures/models.js';

/** Answers every POST with the body's SHA-256 followed by the body reversed, after reading all of it. */
let target: Server;
let targetPort: number;
const BLE = getLink('ble-esp32s3');

function answer(body: Buffer): Buffer {
  return Buffer.concat([createHash('sha256').update(body).digest(), Buffer.from(body).reverse()]);
}

beforeAll(async () => {
  target = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => res.end(answer(Buffer.concat(parts))));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const a = target.address();
  targetPort = typeof a === 'object' && a ? a.port : 0;
});
afterAll(() => new Promise<void>((r) => target.close(() => r())));

function post(port: number, body: Buffer, agent?: Agent): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function payload(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff));
}

/** Least real time (ms) to carry these link bytes one way after the other, plus one latency each way. */
function lowerBoundMs(p: LinkProxy, bytesOneWay: number, bytesBack: number): number {
  const ms = ((bytesOneWay + bytesBack) * 8 * 1000) / p.params.throughputBps + 2 * p.params.latencyMs;
  return ms * p.timeScale;
}

describe('link proxy: HTTP through one emulated link', () => {
  it('a request over slow BLE takes at least its bytes / link throughput and returns what a direct request returns', async () => {
    const proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: targetPort }, link: BLE });
    try {
      const body = payload(3136, 1);
      const direct = await post(targetPort, body);
      const t0 = performance.now();
      const via = await post(proxy.port, body);
      const elapsed = performance.now() - t0;
      expect(via.equals(direct)).toBe(true);
      expect(via.equals(answer(body))).toBe(true);
      const s = proxy.stats();
      expect(s.up.payloadBytes).toBeGreaterThan(body.length);
      expect(s.down.payloadBytes).toBeGreaterThan(via.length);
      expect(s.up.deliveredBytes).toBe(s.up.linkBytes);
      expect(s.down.deliveredBytes).toBe(s.down.linkBytes);
      expect(s.up.linkBytes).toBeGreaterThanOrEqual(s.up.payloadBytes + 2 * MUX_HEADER_BYTES);
      const maxPayload = proxy.params.packetBytes - proxy.params.headerBytes - 4;
      expect(s.up.packetsSent).toBeGreaterThanOrEqual(Math.ceil(s.up.linkBytes / maxPayload));
      expect(elapsed).toBeGreaterThanOrEqual(lowerBoundMs(proxy, s.up.linkBytes, s.down.linkBytes));
      expect(s).toMatchObject({ connections: 1, failed: 0, refused: 0 });
    } finally {
      await proxy.close();
    }
  });

  it('keeps one connection alive for sequential requests and shares the link among concurrent ones', async () => {
    const proxy = await startLinkProxy({
      target: { host: '127.0.0.1', port: targetPort },
      link: BLE,
      timeScale: 0.25,
    });
    const one = new Agent({ keepAlive: true, maxSockets: 1 });
    const six = new Agent({ keepAlive: true, maxSockets: 6 });
    try {
      for (let i = 0; i < 3; i++) {
        const b = payload(500 + i, i);
        expect((await post(proxy.port, b, one)).equals(answer(b))).toBe(true);
      }
      expect(proxy.stats().connections).toBe(1);
      const before = proxy.stats();
      const bodies = Array.from({ length: 6 }, (_, i) => payload(2000 + 10 * i, 10 + i));
      const t0 = performance.now();
      const got = await Promise.all(bodies.map((b) => post(proxy.port, b, six)));
      const elapsed = performance.now() - t0;
      got.forEach((g, i) => expect(g.equals(answer(bodies[i])), `response ${i}`).toBe(true));
      const s = proxy.stats();
      expect(s.connections).toBe(1 + 6);
      expect(s.failed).toBe(0);
      // one shared radio: the six responses had to pass through it one after the other
      const down = s.down.linkBytes - before.down.linkBytes;
      expect(elapsed).toBeGreaterThanOrEqual(
        lowerBoundMs(proxy, 0, down) - 2 * proxy.params.latencyMs * proxy.timeScale,
      );
    } finally {
      one.destroy();
      six.destroy();
      await proxy.close();
    }
  });

  it('carries v2 inference requests: same outputs as a direct V2Client call', async () => {
    const m = writeTestModels();
    const server = await startServer({
      models: [m.dense],
      backend: onnxruntimeBackend,
      port: 0,
      maxDelayMs: 0,
    });
    const port = Number(new URL(server.url).port);
    const proxy = await startLinkProxy({ target: { host: '127.0.0.1', port }, link: 'wifi', timeScale: 0.5 });
    try {
      const x = float32Tensor([2, 4], new Float32Array([1, 2, 3, 4, -1, 0.5, 0, 2]));
      const direct = await new V2Client(server.url).infer('dense', { x });
      const via = await new V2Client(proxy.url).infer('dense', { x });
      expect(Object.keys(via.outputs)).toEqual(Object.keys(direct.outputs));
      for (const k of Object.keys(direct.outputs))
        expect(Array.from(via.outputs[k].data as Float32Array)).toEqual(
          Array.from(direct.outputs[k].data as Float32Array),
        );
      expect(proxy.stats().up.payloadBytes).toBeGreaterThan(32);
    } finally {
      await proxy.close();
      await server.close();
      rmSync(m.dir, { recursive: true, force: true });
    }
  });

  it('survives hostile bytes, aborted clients and a dead target; failures are counted and reported', async () => {
    const errors: string[] = [];
    const proxy = await startLinkProxy({
      target: { host: '127.0.0.1', port: targetPort },
      link: 'wifi',
      timeScale: 0.2,
    });
    try {
      const reply = await rawExchange(proxy.port, Buffer.from('NOT HTTP AT ALL\r\n\r\n'));
      expect(reply.toString('latin1')).toMatch(/^HTTP\/1\.1 400/);
      // a client that half-closes after its request still gets the whole response (FIN is carried)
      const hb = payload(700, 8);
      const head = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${hb.length}\r\nConnection: close\r\n\r\n`;
      const full = await rawExchange(proxy.port, Buffer.concat([Buffer.from(head), hb]), true);
      expect(full.subarray(full.indexOf('\r\n\r\n') + 4).equals(answer(hb))).toBe(true);
      const aborted = connect({ host: '127.0.0.1', port: proxy.port });
      await new Promise((r) => aborted.once('connect', r));
      aborted.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial');
      aborted.destroy();
      const b = payload(1000, 3);
      expect((await post(proxy.port, b)).equals(answer(b))).toBe(true);
    } finally {
      await proxy.close();
    }
    const closedPort = await freePort();
    const dead = await startLinkProxy({
      target: { host: '127.0.0.1', port: closedPort },
      link: 'wifi',
      timeScale: 0.2,
      onError: (m) => errors.push(m),
    });
    try {
      await expect(post(dead.port, payload(10, 1))).rejects.toThrow();
      await until(() => dead.stats().failed === 1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`target 127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`));
      expect(dead.stats().recentErrors).toEqual(errors);
      expect(dead.stats().linkDown).toBeUndefined();
    } finally {
      await dead.close();
    }
  });

  it('refuses connections over maxConnections', async () => {
    const proxy = await startLinkProxy({
      target: { host: '127.0.0.1', port: targetPort },
      link: 'wifi',
      timeScale: 0.2,
      maxConnections: 1,
    });
    try {
      const first = connect({ host: '127.0.0.1', port: proxy.port });
      await new Promise((r) => first.once('connect', r));
      await until(() => proxy.stats().open === 1);
      await expect(post(proxy.port, payload(10, 2))).rejects.toThrow();
      expect(proxy.stats()).toMatchObject({ refused: 1, connections: 1 });
      first.destroy();
      await until(() => proxy.stats().open === 0);
      const b = payload(50, 4);
      expect((await post(proxy.port, b)).equals(answer(b))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('resets a connection whose reader falls behind by more than maxBufferedBytes', async () => {
    const big = createServer((_req, res) => res.end(Buffer.alloc(24 * 1024 * 1024, 1)));
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    const a = big.address();
    const errors: string[] = [];
    const proxy = await startLinkProxy({
      target: { host: '127.0.0.1', port: typeof a === 'object' && a ? a.port : 0 },
      link: 'wifi-jetson-orin-nano-15w',
      timeScale: 0.02,
      maxBufferedBytes: 256 * 1024,
      onError: (m) => errors.push(m),
    });
    try {
      const lazy = connect({ host: '127.0.0.1', port: proxy.port });
      lazy.pause();
      const closed = new Promise((r) => lazy.once('close', r));
      lazy.on('error', () => undefined);
      lazy.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => proxy.stats().failed === 1, 20_000);
      expect(errors[0]).toMatch(/more than 262144 bytes waiting for a slow reader/);
      lazy.destroy();
      await closed;
      await until(() => proxy.stats().open === 0);
      expect(proxy.stats().linkDown).toBeUndefined();
    } finally {
      await proxy.close();
      big.closeAllConnections();
      await new Promise((r) => big.close(r));
    }
  });

  it('close() tears down open connections and frees the port', async () => {
    const proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: targetPort }, link: BLE });
    const open = connect({ host: '127.0.0.1', port: proxy.port });
    await new Promise((r) => open.once('connect', r));
    const ended = new Promise((r) => open.once('close', r));
    await until(() => proxy.stats().open === 1);
    await proxy.close();
    await ended;
    await expect(
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: proxy.port });
        s.once('connect', () => resolve(s.destroy()));
        s.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    const again = createTcpServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(proxy.port, '127.0.0.1', () => resolve());
    });
    await new Promise((r) => again.close(r));
    expect(proxy.stats().linkDown).toBe('proxy closed');
  });

  it('rejects links that cannot be emulated and bad targets, naming the field', async () => {
    await expect(
      startLinkProxy({ target: { host: '127.0.0.1', port: 80 }, link: 'loopback' }),
    ).rejects.toThrow(/link loopback: packetBytes/);
    await expect(startLinkProxy({ target: { host: '127.0.0.1', port: 0 }, link: 'wifi' })).rejects.toThrow(
      /target port must be 1-65535, got 0/,
    );
    await expect(
      startLinkProxy({ target: { host: '127.0.0.1', port: 80 }, link: 'wifi', timeScale: -1 }),
    ).rejects.toThrow(/timeScale must be a finite number > 0/);
  });

  it('multiplexing frames decode from any chunking; a corrupt frame is refused', () => {
    const frames = [muxFrame(1, 7), muxFrame(2, 7, payload(65536, 9)), muxFrame(3, 9)];
    const bytes = Buffer.concat(frames);
    const d = new MuxDecoder();
    const got = [];
    for (let o = 0; o < bytes.length; o += 1000) got.push(...d.push(bytes.subarray(o, o + 1000)));
    expect(got.map((f) => [f.kind, f.id, f.payload.length])).toEqual([
      [1, 7, 0],
      [2, 7, 65536],
      [3, 9, 0],
    ]);
    expect(got[1].payload.equals(payload(65536, 9))).toBe(true);
    expect(() => new MuxDecoder().push(muxFrame(9, 1))).toThrow(/kind 9/);
  });
});

function rawExchange(port: number, bytes: Buffer, halfClose = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(parts)));
    if (halfClose) s.end(bytes);
    else s.write(bytes);
  });
}

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  await new Promise((r) => s.close(r));
  return typeof a === 'object' && a ? a.port : 0;
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
