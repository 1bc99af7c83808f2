/**
 * A node's backpressure with several upstream connections (a DAG gather, more so with hedged
 * branches): every connection that completed a sample while the ready queue was full stops reading,
 * and each must read again once there is room, or the samples behind it never arrive (the
 * hedged-run stall of issue 13). The worker is held busy (a gated backend in process, device pacing
 * in a real node process) so the interleaving is exact:
 * seq 0 occupies the worker; 1 and 2 fill the ready queue, so c1 stops reading; c2 and c3 each
 * complete one more sample and stop reading too; seq 6 waits unread behind c2.
 */
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { InferenceBackend } from '../../src/backend/backend.js';
import { loadDeviceCatalog, loadLinkCatalog } from '../../src/catalog/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import { planLcpModel } from '../../src/plan/lcp-plan.js';
import { startStageNode, type StageNodeHandle } from '../../src/runtime/node.js';
import { MODEL_TENSOR_NAME, controlFrame } from '../../src/runtime/protocol.js';
import { parseDeviceSpec } from '../../src/strategy/plan/devices.js';
import type { TensorFrame } from '../../src/transport/codec/frame.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { Connection, ConnectionOptions, TransportLogEvent } from '../../src/transport/transport.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

const quiet = { log: (_e: TransportLogEvent) => undefined };
const settle = () => new Promise((r) => setTimeout(r, 60));

interface Scenario {
  readonly port: number;
  readonly connection: ConnectionOptions;
  readonly model: Uint8Array;
  readonly input: string;
  readonly output: string;
  readonly frame: (seq: number) => TensorFrame;
  readonly assign?: Record<string, unknown>;
  /** Lets the busy worker go on (the paced node needs nothing). */
  readonly release?: () => void;
}

const conns: Connection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
});

/** Runs the interleaving against a node; returns the seqs it sent back. */
async function blockedReaders(s: Scenario): Promise<number[]> {
  const connect = async () => {
    const c = await tcpTransport.connect({ ...s.connection, host: '127.0.0.1', port: s.port });
    conns.push(c);
    return c;
  };
  const coordinator = await connect();
  const results: number[] = [];
  const replies: { ok?: boolean; error?: string }[] = [];
  void (async () => {
    for await (const f of coordinator)
      if (f.type === 'tensor') results.push(f.seq);
      else replies.push(f.body as (typeof replies)[number]);
  })();
  await coordinator.send({
    type: 'tensor',
    streamId: 0,
    seq: 0,
    name: MODEL_TENSOR_NAME,
    tensor: { dtype: 'uint8', dims: [s.model.byteLength], data: s.model },
    wire: 'native',
  });
  await coordinator.send(
    controlFrame({
      op: 'assign',
      id: 1,
      runId: 'r',
      epoch: 1,
      stageId: 'g',
      stageIndex: 0,
      expects: [s.input],
      modelInputs: [s.input],
      sends: [{ name: s.output, wire: 'fp32' }],
      downstream: ['coordinator'],
      policy: 'round-robin',
      timelineBatch: 1000,
      ...s.assign,
    }),
  );
  await expect.poll(() => replies.length, { timeout: 20_000 }).toBe(1);
  expect(replies[0]).toMatchObject({ ok: true });
  const [c1, c2, c3] = [await connect(), await connect(), await connect()];
  await c1.send(s.frame(0));
  await settle();
  for (const [c, seq] of [
    [c1, 1],
    [c1, 2],
    [c2, 3],
    [c3, 4],
    [c2, 6],
  ] as const) {
    await c.send(s.frame(seq));
    await settle();
  }
  s.release?.();
  // generous: six paced samples; the bug leaves seq 6 unread for good
  for (const until = Date.now() + 15_000; results.length < 6 && Date.now() < until;) await settle();
  return [...results].sort((a, b) => a - b);
}

/** Copies `x` to `y`; each run waits until the gate opens. */
function gatedBackend() {
  let open = false;
  const waiting: (() => void)[] = [];
  const backend: InferenceBackend = {
    name: 'gated',
    async load() {
      return {
        inputNames: ['x'],
        outputNames: ['y'],
        async run(feeds: Readonly<Record<string, Tensor>>) {
          if (!open) await new Promise<void>((r) => waiting.push(r));
          return { y: feeds.x };
        },
        async release() {},
      };
    },
  };
  const openGate = () => {
    open = true;
    for (const w of waiting.splice(0)) w();
  };
  return { backend, openGate };
}

const tensorFrame = (name: string, dims: number[], seq: number): TensorFrame => ({
  type: 'tensor',
  streamId: 1,
  seq,
  name,
  tensor: { dtype: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(seq) },
  wire: 'fp32',
});

describe('stage node backpressure with several upstream connections', () => {
  let inProcess: StageNodeHandle | undefined;
  let spawned: SpawnedNode | undefined;
  const dirs: string[] = [];
  afterAll(async () => {
    await inProcess?.close();
    await spawned?.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('in process: every blocked reader reads again once the ready queue drains', async () => {
    const { backend, openGate } = gatedBackend();
    const connection = { ...quiet, key: Buffer.alloc(32, 3) };
    inProcess = await startStageNode({
      transport: tcpTransport,
      backend,
      host: '127.0.0.1',
      port: 0,
      connection,
      log: () => undefined,
    });
    const got = await blockedReaders({
      port: Number(inProcess.address.split(':')[1]),
      connection,
      model: new Uint8Array([0]),
      input: 'x',
      output: 'y',
      frame: (seq) => tensorFrame('x', [1, 1], seq),
      release: openGate,
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 6]);
  }, 60_000);

  it('a real node process (an LCP branch model, paced to 600 ms a sample) reads every connection again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edgesplit-backpressure-'));
    dirs.push(out);
    const { plan } = await planLcpModel('models/lcp-split4.onnx', {
      devices: parseDeviceSpec('rpi3bplusx4', loadDeviceCatalog([])),
      link: loadLinkCatalog([]).get('wifi-rpi3bplus'),
      out,
    });
    const st = plan.stages[0];
    spawned = await spawnNode(['--insecure']);
    const got = await blockedReaders({
      port: spawned.port,
      connection: quiet,
      model: await readFile(join(out, st.model)),
      input: st.inputs[0].name,
      output: st.outputs[0].name,
      frame: (seq) => tensorFrame(st.inputs[0].name, [1, 1, 28, 28], seq),
      assign: { pacing: { computeMs: 600, timeScale: 1, serial: true, device: 'rpi3bplus' } },
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 6]);
  }, 60_000);
});
