/**
 * A node's backpressure with several upstream connections (a DAG gather, or a hedged branch's
 * replicas): every connection that completed a sample while the ready queue was full stops reading;
 * each must read again once there is room, or the samples behind it never arrive (the hedged-run
 * stall of issue 13). The backend is gated so the interleaving is exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceBackend } from '../../src/backend/backend.js';
import type { Tensor } from '../../src/core/tensor.js';
import { startStageNode, type StageNodeHandle } from '../../src/runtime/node.js';
import { MODEL_TENSOR_NAME, controlFrame } from '../../src/runtime/protocol.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { Connection, TransportLogEvent } from '../../src/transport/transport.js';

const opts = { log: (_e: TransportLogEvent) => undefined, key: Buffer.alloc(32, 3) };

/** Copies `x` to `y`; each run waits until the test opens the gate. */
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
  return {
    backend,
    openGate: () => {
      open = true;
      for (const w of waiting.splice(0)) w();
    },
  };
}

const x = (seq: number) =>
  ({
    type: 'tensor',
    streamId: 1,
    seq,
    name: 'x',
    tensor: { dtype: 'float32', dims: [1, 1], data: new Float32Array([seq]) },
    wire: 'fp32',
  }) as const;
const settle = () => new Promise((r) => setTimeout(r, 50));

let node: StageNodeHandle | undefined;
const conns: Connection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
  await node?.close();
});

describe('stage node backpressure with several upstream connections', () => {
  it('every blocked upstream connection reads again once the ready queue drains', async () => {
    const { backend, openGate } = gatedBackend();
    const transport = tcpTransport;
    node = await startStageNode({
      transport,
      backend,
      host: '127.0.0.1',
      port: 0,
      connection: opts,
      log: () => undefined,
    });
    const port = Number(node.address.split(':')[1]);
    const connect = async () => {
      const c = await transport.connect({ ...opts, host: '127.0.0.1', port });
      conns.push(c);
      return c;
    };
    const coordinator = await connect();
    const results: number[] = [];
    const replies: unknown[] = [];
    void (async () => {
      for await (const f of coordinator)
        if (f.type === 'tensor') results.push(f.seq);
        else replies.push(f.body);
    })();
    await coordinator.send({
      type: 'tensor',
      streamId: 0,
      seq: 0,
      name: MODEL_TENSOR_NAME,
      tensor: { dtype: 'uint8', dims: [1], data: new Uint8Array([0]) },
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
        expects: ['x'],
        modelInputs: ['x'],
        sends: [{ name: 'y', wire: 'fp32' }],
        downstream: ['coordinator'],
        policy: 'round-robin',
        timelineBatch: 1000,
      }),
    );
    await expect.poll(() => replies.length).toBe(1);
    const [c1, c2, c3] = [await connect(), await connect(), await connect()];
    // seq 0 occupies the (gated) worker; 1 and 2 fill the ready queue, so c1 stops reading; c2 and c3
    // each complete one more sample and stop reading too; 6 waits behind c2
    await c1.send(x(0));
    await settle();
    for (const [c, seq] of [
      [c1, 1],
      [c1, 2],
      [c2, 3],
      [c3, 4],
      [c2, 6],
    ] as const) {
      await c.send(x(seq));
      await settle();
    }
    openGate();
    await expect
      .poll(() => [...results].sort((a, b) => a - b), { timeout: 10_000 })
      .toEqual([0, 1, 2, 3, 4, 6]);
  }, 30_000);
});
