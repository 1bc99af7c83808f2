/**
 * Issue 10 row 4: a logging TCP relay in front of each of two real node processes records every byte
 * the coordinator and the nodes exchange, node to node too (upstream nodes dial the hosts-file
 * address, which is the relay). Keyed, none of the test images, stage activations, stage ONNX bytes
 * or control JSON may appear; keyless (loopback, --insecure) they do, so the search can find them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { buildGraph } from '../../src/graph/build.js';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import { runPipeline } from '../../src/runtime/coordinator.js';
import { hostsPool } from '../../src/runtime/node-pool.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples } from '../../src/runtime/run.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { TransportLogEvent } from '../../src/transport/transport.js';
import { writePlanDir } from './plan-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

/** Forwards 127.0.0.1:<port> to `target`, keeping a copy of every byte in both directions. */
interface Relay {
  readonly port: number;
  readonly bytes: Buffer[];
  readonly server: Server;
  readonly connections: () => number;
}

async function relay(target: number): Promise<Relay> {
  const bytes: Buffer[] = [];
  let connections = 0;
  const server = createServer((down) => {
    connections += 1;
    const up = connect({ host: '127.0.0.1', port: target });
    const pipe = (from: typeof down, to: typeof down) => {
      from.on('data', (d: Buffer) => {
        bytes.push(Buffer.from(d));
        to.write(d);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
    };
    pipe(down, up);
    pipe(up, down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    bytes,
    server,
    connections: () => connections,
  };
}

describe('bytes on the wire between coordinator and real node processes', () => {
  const model = vggSmall({ seed: 12 });
  const n = buildGraph(model).nodes.length;
  const fx = writePlanDir(model, { cuts: [Math.floor(n / 2)] });
  const plan = loadRuntimePlan(fx.dir);
  const samples = datasetSamples(plan, 'fashion-mnist-test', 12);
  const key = randomBytes(32);
  const keyFile = join(fx.dir, 'psk.hex');
  writeFileSync(keyFile, key.toString('hex'));
  const nodes: SpawnedNode[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((x) => x.stop()));
    for (const s of servers) s.close();
  });

  // what an eavesdropper would look for: an image's pixels, a stage model's weights, control JSON
  const image = samples.input(0)[plan.graphInputs[0].name].data as Float32Array;
  const stage0 = readFileSync(plan.stages[0].modelPath);
  const needles: Record<string, Buffer> = {
    'image pixels (fp32, 64 B of row 14)': Buffer.from(image.buffer, image.byteOffset + 14 * 28 * 4, 64),
    'stage-0.onnx bytes (64 B mid-file)': stage0.subarray(stage0.length >> 1, (stage0.length >> 1) + 64),
    'control JSON "op":"assign"': Buffer.from('"op":"assign"'),
    'control JSON "downstream"': Buffer.from('"downstream"'),
  };

  /** 64 bytes of stage 0's fp32 output for sample 0 (16 non-zero floats): what crosses node to node. */
  async function activationNeedle(): Promise<Buffer> {
    const session = await onnxruntimeBackend.load(stage0);
    const out = await session.run(samples.input(0));
    await session.release();
    const sent = out[plan.stages[0].outputs[0].name].data as Float32Array;
    let at = 0;
    while (at + 16 <= sent.length && !sent.subarray(at, at + 16).every((x) => x !== 0)) at += 1;
    expect(at + 16).toBeLessThanOrEqual(sent.length);
    return Buffer.from(sent.buffer, sent.byteOffset + at * 4, 64);
  }

  async function capturedRun(keyed: boolean): Promise<{ wire: Buffer; hits: string[]; conns: number }> {
    needles['stage 0 -> stage 1 activations (fp32, 64 B)'] ??= await activationNeedle();
    const args = keyed ? ['--key', keyFile] : ['--insecure'];
    const started = await Promise.all(fx.devices.map(() => spawnNode(args)));
    nodes.push(...started);
    const relays = await Promise.all(started.map((s) => relay(s.port)));
    servers.push(...relays.map((r) => r.server));
    const hosts = new Map(fx.devices.map((d, i) => [d[0], `127.0.0.1:${relays[i].port}`]));
    const run = await runPipeline({
      plan,
      samples,
      pool: hostsPool(hosts),
      transport: tcpTransport,
      connection: { ...(keyed ? { key } : {}), log: (_e: TransportLogEvent) => undefined },
    });
    expect(run.lost).toBe(0);
    expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBeLessThanOrEqual(1e-5);
    await Promise.all(started.map((s) => s.stop()));
    const wire = Buffer.concat(relays.flatMap((r) => r.bytes));
    const hits = Object.entries(needles)
      .filter(([, needle]) => wire.includes(needle))
      .map(([what]) => what);
    process.stderr.write(
      `wire capture ${keyed ? 'keyed' : 'keyless'}: ${wire.length} bytes, plaintext hits: ${hits.length}/${Object.keys(needles).length}${hits.length ? ` (${hits.join('; ')})` : ''}\n`,
    );
    return { wire, hits, conns: relays.reduce((a, r) => a + r.connections(), 0) };
  }

  it('without a key the relay sees images, stage models and control JSON in plaintext', async () => {
    const { wire, hits } = await capturedRun(false);
    expect(wire.length).toBeGreaterThan(stage0.length);
    expect(hits).toEqual(Object.keys(needles));
  }, 120_000);

  it('with a key the relay sees none of them', async () => {
    const { wire, hits, conns } = await capturedRun(true);
    expect(wire.length).toBeGreaterThan(stage0.length);
    expect(hits).toEqual([]);
    // frame headers are visible only in the handshake (hello, challenge, two proofs per connection)
    let magics = 0;
    for (let i = wire.indexOf('ESPF'); i >= 0; i = wire.indexOf('ESPF', i + 1)) magics += 1;
    expect(conns).toBeGreaterThanOrEqual(2);
    expect(magics).toBe(4 * conns);
  }, 120_000);
});
