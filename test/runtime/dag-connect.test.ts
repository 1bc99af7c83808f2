/**
 * A DAG run in this process (memory transport, fake backend) in which one branch node fails its
 * first connects to gather replica 0, as a 5 s connect timeout on a loaded machine does: its samples
 * must still meet its sibling branch's at the same gather replica, so the run completes unchanged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/runtime/coordinator.js';
import type { RuntimePlan, RuntimeTensor } from '../../src/runtime/routes.js';
import { createMemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { fakeBackend, fakeModelBytes, type FakeModel } from './fake-backend.js';
import { memoryPool, quiet } from './memory-pool.js';

const t = (name: string): RuntimeTensor => ({ name, dtype: 'float32', shape: ['N', 2], wire: 'fp32' });

/** x -> b1 (+1) and b2 (+2) -> gather g (a1 + a2 + 100, two replicas) -> y = 2x + 103. */
function branchPlan(): RuntimePlan {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-fake-dag-'));
  const stages: [string, string[], string, FakeModel, number][] = [
    ['b1', ['x'], 'a1', { inputs: ['x'], outputs: { a1: { sum: ['x'], add: 1 } } }, 1],
    ['b2', ['x'], 'a2', { inputs: ['x'], outputs: { a2: { sum: ['x'], add: 2 } } }, 1],
    ['g', ['a1', 'a2'], 'y', { inputs: ['a1', 'a2'], outputs: { y: { sum: ['a1', 'a2'], add: 100 } } }, 2],
  ];
  return {
    dir,
    topology: 'dag',
    graphInputs: [t('x')],
    graphOutputs: ['y'],
    stages: stages.map(([id, inputs, output, model, replicas]) => {
      const modelPath = join(dir, `${id}.json`);
      writeFileSync(modelPath, fakeModelBytes(model));
      return {
        id,
        modelPath,
        inputs: inputs.map(t),
        outputs: [t(output)],
        devices: Array.from({ length: replicas }, (_, r) => ({ name: `${id}-${r}` })),
      };
    }),
  };
}

describe('DAG run with a transient connect failure (memory transport, fake backend)', () => {
  it('a branch whose first connects to gather replica 0 fail still pins its samples there: nothing lost', async () => {
    const transport = createMemoryTransport();
    const backend = fakeBackend();
    let failures = 2;
    const pool = memoryPool(transport, backend, true, (device) =>
      device !== 'b1-0'
        ? transport
        : ({
            ...transport,
            connect: (o) =>
              `${o.host}:${o.port}` === pool.nodes.get('g-0')?.peerAddress && failures-- > 0
                ? Promise.reject(new Error('connect timed out'))
                : transport.connect(o),
          } satisfies Transport),
    );
    const n = 24;
    const run = await runPipeline({
      plan: branchPlan(),
      samples: {
        count: n,
        input: (i) => ({ x: { dtype: 'float32', dims: [1, 2], data: new Float32Array([i, -i]) } }),
      },
      pool,
      transport,
      connection: quiet,
      window: 6,
      // a split sample is never completed: the run would fail after 3 x this with no sample delivered
      stallTimeoutMs: 2000,
    });
    expect(failures).toBeLessThan(0);
    expect(run.lost).toBe(0);
    expect(run.duplicates).toBe(0);
    expect(run.failovers).toEqual([]);
    expect(run.outputs.map((o) => Array.from(o.y.data as Float32Array))).toEqual(
      Array.from({ length: n }, (_, i) => [2 * i + 103, -2 * i + 103]),
    );
    // both gather replicas took samples: each sample's branches met at the replica it is pinned to
    expect(new Set(run.nodes.filter((r) => r.stageIndex === 2).map((r) => r.device))).toEqual(
      new Set(['g-0', 'g-1']),
    );
  }, 60_000);
});
