/**
 * A stage node with more samples waiting holds its outputs and writes them together (see
 * `Connection.cork`); a node with none waiting writes each at once. Batch 1, a 3-stage chain of
 * 3x3 convs (one 3,136-byte fp32 tensor per hop, issue 11's case), real onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { ModelBuilder } from '../../src/graph/builder/builder.js';
import { runPipeline } from '../../src/runtime/coordinator.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { ByteDuplex, Transport } from '../../src/transport/transport.js';
import { memoryPool, quiet } from './memory-pool.js';
import { writePlanDir } from './plan-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';

function chainModel() {
  const b = new ModelBuilder({ name: 'chain-3k', seed: 3 });
  let x = b.input('input', ['N', 1, 28, 28]);
  for (let s = 0; s < 3; s++) x = b.relu(b.conv(x, { out: 1, kernel: 3 }));
  b.output(x, 'output');
  return b.build();
}

/** TCP whose outgoing connections count their writes (what a node sends to the next stage). */
function countingTcp(writes: { n: number }): Transport {
  const count = (raw: ByteDuplex): ByteDuplex => ({
    ...raw,
    remote: raw.remote,
    write: (chunk) => ((writes.n += 1), raw.write(chunk)),
    ...(raw.writev ? { writev: (chunks: readonly Buffer[]) => ((writes.n += 1), raw.writev!(chunks)) } : {}),
  });
  return {
    ...tcpTransport,
    // the pool's nodes listen on host "mem"
    listen: (o) => tcpTransport.listen({ ...o, host: '127.0.0.1' }),
    connect: (o) => tcpTransport.connect({ ...o, wrap: count }),
  };
}

const model = chainModel();
const plan = loadRuntimePlan(writePlanDir(model, { cuts: [2, 4] }).dir);

describe('output hold at batch 1', () => {
  it('node processes with many samples waiting deliver every sample once, in order, bit-identical to one process', async () => {
    const samples = datasetSamples(plan, 'fashion-mnist-test', 600);
    const { run, report } = await runPlan({ plan, samples, batch: 1, emulate: 'none' });
    expect(report.batch).toBe(1);
    expect(report.lost).toBe(0);
    expect(run.duplicates).toBe(0);
    expect(report.stages.map((s) => s.processed)).toEqual([600, 600, 600]);
    // index by index: in order, none missing or duplicated, and not one bit changed on the way
    expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBe(0);
  }, 120_000);

  // in-process nodes over real sockets, so the writes of their connections to the next stage can be counted
  for (const window of [1, 32])
    it(`a node ${window === 1 ? 'with one sample in flight writes each output at once' : 'with samples waiting writes several outputs per write'} (window ${window})`, async () => {
      const N = 200;
      const writes = { n: 0 };
      const transport = countingTcp(writes);
      const samples = datasetSamples(plan, 'fashion-mnist-test', N);
      const run = await runPipeline({
        plan,
        samples,
        pool: memoryPool(transport, onnxruntimeBackend),
        transport: tcpTransport,
        connection: quiet,
        window,
        timelineBatch: 1000,
      });
      expect(run.lost).toBe(0);
      expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBe(0);
      // the two node-to-node hops carry 2N outputs (and a handshake and a close each)
      if (window === 1) expect(writes.n).toBeGreaterThanOrEqual(2 * N);
      else expect(writes.n).toBeLessThan(N);
    }, 120_000);
});
