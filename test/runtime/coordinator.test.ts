import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/core/tensor.js';
import { runPipeline, type SampleSource } from '../../src/runtime/coordinator.js';
import type { RuntimePlan, RuntimeTensor } from '../../src/runtime/routes.js';
import { createMemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { fakeBackend, fakeModelBytes, type FakeModel } from './fake-backend.js';
import { memoryPool, quiet } from './memory-pool.js';

const t = (name: string): RuntimeTensor => ({ name, dtype: 'float32', shape: ['N', 2], wire: 'fp32' });

/** x -> [+1] -> a ; a -> [+10] -> b (slow, replicated) ; b -> [+100] -> y: y = x + 111. */
function chainPlan(replicas: number[]): RuntimePlan {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-fake-plan-'));
  const models: FakeModel[] = [
    { inputs: ['x'], outputs: { a: { sum: ['x'], add: 1 } } },
    { inputs: ['a'], outputs: { b: { sum: ['a'], add: 10 } }, delayMod: 4 },
    { inputs: ['b'], outputs: { y: { sum: ['b'], add: 100 } } },
  ];
  const io = [
    ['x', 'a'],
    ['a', 'b'],
    ['b', 'y'],
  ];
  return {
    dir,
    graphInputs: [t('x')],
    graphOutputs: ['y'],
    stages: models.map((m, k) => {
      const modelPath = join(dir, `stage-${k}.json`);
      writeFileSync(modelPath, fakeModelBytes(m));
      return {
        id: String(k),
        modelPath,
        inputs: [t(io[k][0])],
        outputs: [t(io[k][1])],
        devices: Array.from({ length: replicas[k] }, (_, r) => ({ name: `d${k}-${r}` })),
      };
    }),
  };
}

const samples = (n: number): SampleSource => ({
  count: n,
  input: (i) => ({ x: { dtype: 'float32', dims: [1, 2], data: new Float32Array([i, -i]) } }),
});

function expectChainOutputs(outputs: Record<string, Tensor>[], n: number): void {
  expect(outputs).toHaveLength(n);
  outputs.forEach((o, i) => expect(Array.from(o.y.data as Float32Array)).toEqual([i + 111, -i + 111]));
}

describe('coordinator and nodes over the memory transport (fake backend)', () => {
  it('streams through replicated stages and releases results in order', async () => {
    const transport = createMemoryTransport();
    const backend = fakeBackend();
    const pool = memoryPool(transport, backend);
    const run = await runPipeline({
      plan: chainPlan([1, 3, 1]),
      samples: samples(60),
      pool,
      transport,
      connection: quiet,
      window: 12,
      timelineBatch: 5,
    });
    expectChainOutputs(run.outputs, 60);
    expect(run.lost).toBe(0);
    expect(run.duplicates).toBe(0);
    expect(backend.runs).toBe(180);
    const middle = run.nodes.filter((r) => r.stageIndex === 1);
    expect(new Set(middle.map((r) => r.device))).toEqual(new Set(['d1-0', 'd1-1', 'd1-2']));
    // results arrive out of order behind the slow replicated stage, yet come out in order
    const arrivalOrder = run.arrivals.map((a) => a.seq);
    expect(arrivalOrder).not.toEqual([...arrivalOrder].sort((a, b) => a - b));
  });

  it('keeps at most the window in flight, and fills it at once', async () => {
    const transport = createMemoryTransport();
    const pool = memoryPool(transport, fakeBackend());
    const window = 3;
    const n = 40;
    const run = await runPipeline({
      plan: chainPlan([1, 1, 1]),
      samples: samples(n),
      pool,
      transport,
      connection: quiet,
      window,
    });
    expectChainOutputs(run.outputs, n);
    // one replica per stage, so results complete in order: seq s may start only once s - window is done
    for (let s = window; s < n; s++)
      expect(run.firstSendMs[s]).toBeGreaterThanOrEqual(run.doneMs[s - window]);
    // the first window's samples all start before the first result
    expect(run.firstSendMs[window - 1]).toBeLessThan(run.doneMs[0]);
  });

  it('admits samples in pairs with admit 2: a pair starts once the window has room for both', async () => {
    const transport = createMemoryTransport();
    const pool = memoryPool(transport, fakeBackend());
    const window = 4;
    const n = 41; // odd: the last sample is admitted alone
    const run = await runPipeline({
      plan: chainPlan([1, 1, 1]),
      samples: samples(n),
      pool,
      transport,
      connection: quiet,
      window,
      admit: 2,
    });
    expectChainOutputs(run.outputs, n);
    expect([run.lost, run.duplicates]).toEqual([0, 0]);
    // results complete in order (one replica per stage): samples 4 and 5 wait for 1, 6 and 7 for 3, ...
    for (let s = window; s < n - 1; s++) {
      const pairStart = s - ((s - window) % 2);
      expect(run.firstSendMs[s]).toBeGreaterThanOrEqual(run.doneMs[pairStart - window + 1]);
    }
    // the first window is admitted at once
    expect(run.firstSendMs[window - 1]).toBeLessThan(run.doneMs[0]);
  });

  it('replaces a node that goes away mid-run: every sample once, in order', async () => {
    const transport = createMemoryTransport();
    const backend = fakeBackend();
    const pool = memoryPool(transport, backend);
    let closed = false;
    const run = await runPipeline({
      plan: chainPlan([1, 1, 1]),
      samples: samples(80),
      pool,
      transport,
      connection: quiet,
      window: 10,
      onProgress: (done) => {
        if (done === 20 && !closed) {
          closed = true;
          void pool.nodes.get('d1-0')!.close();
        }
      },
    });
    expect(closed).toBe(true);
    expectChainOutputs(run.outputs, 80);
    expect(run.failovers).toHaveLength(1);
    expect(run.failovers[0]).toMatchObject({ device: 'd1-0', stageIndex: 1 });
    expect(run.failovers[0].replacedBy).toMatch(/^mem:\d+$/);
    expect(backend.runs).toBeGreaterThanOrEqual(240);
  });

  it('fails with a clear error when the only node of a stage dies and the pool cannot restart it', async () => {
    const transport = createMemoryTransport();
    const pool = memoryPool(transport, fakeBackend(), false);
    let closed = false;
    await expect(
      runPipeline({
        plan: chainPlan([1, 1, 1]),
        samples: samples(60),
        pool,
        transport,
        connection: quiet,
        stallTimeoutMs: 5000,
        onProgress: (done) => {
          if (done === 10 && !closed) {
            closed = true;
            void pool.nodes.get('d2-0')!.close();
          }
        },
      }),
    ).rejects.toThrow(/stage 2 lost its only node d2-0 .*cannot be restarted/);
  });
});
