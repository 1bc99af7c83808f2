import { connect } from 'node:net';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import { hostsPool } from '../../src/runtime/node-pool.js';
import { runPipeline } from '../../src/runtime/coordinator.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { MODEL_TENSOR_NAME } from '../../src/runtime/protocol.js';
import { datasetSamples } from '../../src/runtime/run.js';
import { encodeFrame, type Frame, type JsonValue } from '../../src/transport/codec/frame.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { TransportLogEvent } from '../../src/transport/transport.js';
import { writePlanDir } from './plan-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const quiet = { log: (_e: TransportLogEvent) => undefined };

/** Well-formed frames with hostile content: they pass the codec and reach the node's own logic. */
function hostileFrame(r: () => number, i: number): Frame {
  const ops: JsonValue[] = [
    { op: 'assign', id: i },
    {
      op: 'assign',
      id: i,
      runId: 'x',
      epoch: 1,
      stageId: 's',
      stageIndex: 0,
      expects: ['a'],
      modelInputs: ['b'],
      sends: [{ name: 'c', wire: 'fp32' }],
      downstream: ['coordinator'],
      policy: 'round-robin',
      timelineBatch: 1,
    },
    {
      op: 'assign',
      id: i,
      runId: 'x',
      epoch: 1,
      stageId: 's',
      stageIndex: 0,
      expects: ['a'],
      modelInputs: ['a'],
      sends: [{ name: 'c', wire: 'fp32' }],
      downstream: ['coordinator'],
      policy: 'round-robin',
      timelineBatch: 1,
    },
    { op: 'peers', id: i, epoch: -3, downstream: [] },
    { op: 'peers', id: i, epoch: 1, downstream: ['not-an-address'] },
    { op: 'nope', id: i },
    { op: 'clock' },
    null,
    [1, 2, 3],
    'x'.repeat(Math.floor(r() * 500)),
    { op: 'health', id: 'seven' },
  ];
  const kind = Math.floor(r() * 4);
  if (kind === 0) return { type: 'control', streamId: 0, seq: i, body: ops[Math.floor(r() * ops.length)] };
  if (kind === 1) {
    const bytes = new Uint8Array(Math.floor(r() * 64)).map(() => Math.floor(r() * 256));
    return {
      type: 'tensor',
      streamId: 0,
      seq: 0,
      name: MODEL_TENSOR_NAME,
      tensor: { dtype: 'uint8', dims: [bytes.length], data: bytes },
      wire: 'native',
    };
  }
  if (kind === 2)
    return {
      type: 'tensor',
      streamId: Math.floor(r() * 2 ** 32),
      seq: Math.floor(r() * 2 ** 32),
      name: r() < 0.5 ? 'input' : 'zzz',
      tensor: { dtype: 'float32', dims: [1, 3], data: new Float32Array([r(), NaN, Infinity]) },
    };
  return { type: 'health', streamId: 0, seq: i, body: { op: 'health', id: i } };
}

/** Random or bit-flipped raw frames that the codec must reject without harming the node. */
function rawMutant(r: () => number, i: number): Buffer {
  const b = encodeFrame({ type: 'control', streamId: 0, seq: i, body: { op: 'clock', id: i } });
  const pick = Math.floor(r() * 4);
  if (pick === 0)
    return Buffer.from(Array.from({ length: 1 + Math.floor(r() * 100) }, () => Math.floor(r() * 256)));
  if (pick === 1) b[20 + Math.floor(r() * (b.length - 24))] ^= 0xff;
  else if (pick === 2) b.writeUInt32BE(b.length + 1 + Math.floor(r() * 50), 4);
  else {
    b[8] = Math.floor(r() * 256);
    b.writeUInt32BE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
  }
  return b;
}

async function rawBurst(port: number, frames: Buffer[]): Promise<void> {
  await new Promise<void>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      for (const f of frames) s.write(f);
      s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve());
    // the node's error frames must be read, or the socket never sees the end of the stream
    s.resume();
    s.setTimeout(3000, () => s.destroy());
  });
}

describe('a running edgesplit node under 1,000 random and mutated frames', () => {
  let node: SpawnedNode;
  beforeAll(async () => {
    node = await spawnNode(['--insecure']);
  });
  afterAll(async () => node?.stop());

  it('stays up and then serves a run correctly', async () => {
    const r = rng(99);
    let sent = 0;
    for (let c = 0; c < 10; c++) {
      await rawBurst(
        node.port,
        Array.from({ length: 50 }, (_, j) => rawMutant(r, c * 50 + j)),
      );
      sent += 50;
    }
    for (let c = 0; c < 5; c++) {
      const conn = await tcpTransport.connect({ host: '127.0.0.1', port: node.port, ...quiet });
      const drain = (async () => {
        for await (const _f of conn) void _f;
      })();
      for (let j = 0; j < 100; j++) await conn.send(hostileFrame(r, j)).catch(() => undefined);
      sent += 100;
      await conn.close();
      await drain;
    }
    expect(sent).toBe(1000);
    expect(node.child.exitCode).toBeNull();

    const model = vggSmall({ seed: 8 });
    const fx = writePlanDir(model, { cuts: [] });
    const plan = loadRuntimePlan(fx.dir);
    const samples = datasetSamples(plan, 'fashion-mnist-test', 20);
    const run = await runPipeline({
      plan,
      samples,
      pool: hostsPool(new Map([['dev-0-0', node.address]])),
      transport: tcpTransport,
      connection: quiet,
    });
    expect(run.lost).toBe(0);
    expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBeLessThanOrEqual(1e-5);
    expect(node.child.exitCode).toBeNull();
  });
});
