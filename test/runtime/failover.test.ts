import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import type { LocalPool } from '../../src/runtime/local-nodes.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { writePlanDir } from './plan-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';

const N = 240;

async function killMidRun(replicas: number[], victim: string) {
  const model = vggSmall({ seed: 21 });
  const n = buildGraph(model).nodes.length;
  const fx = writePlanDir(model, { cuts: [Math.floor(n / 3), Math.floor((2 * n) / 3)], replicas });
  const plan = loadRuntimePlan(fx.dir);
  const samples = datasetSamples(plan, 'fashion-mnist-test', N);
  let pool: LocalPool | undefined;
  let killedPid: number | undefined;
  let doneAtKill = -1;
  const { run, report } = await runPlan({
    plan,
    samples,
    window: 12,
    // per-sample records, so the replica killed early has flushed some (micro-batches: micro-batch.test.ts)
    batch: 1,
    timelineBatch: 4,
    onPool: (p) => (pool = p as LocalPool),
    onProgress: (done) => {
      if (done === 40 && killedPid === undefined) {
        killedPid = pool!.pid(victim);
        doneAtKill = done;
        process.kill(killedPid!, 'SIGKILL');
        // hold the coordinator's event loop so the kernel has reset the socket before more results are read:
        // the kill then lands mid-run even on a fast machine
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      }
    },
  });
  return { model, samples, run, report, killedPid, doneAtKill };
}

describe('kill -9 of a node mid-run', () => {
  it('a restarted node takes over: every sample delivered exactly once, in order, outputs unchanged', async () => {
    const { model, samples, run, report, killedPid, doneAtKill } = await killMidRun([1, 1, 1], 'dev-1-0');
    expect(killedPid).toBeGreaterThan(0);
    expect(doneAtKill).toBe(40);
    expect(report.failovers).toHaveLength(1);
    expect(report.failovers[0]).toMatchObject({ device: 'dev-1-0', stageIndex: 1 });
    expect(report.failovers[0].replacedBy).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(report.failovers[0].resent).toBeGreaterThan(0);
    expect(report.lost).toBe(0);
    expect(run.outputs).toHaveLength(N);
    // index-by-index equality with the reference proves order and no duplicate in the output
    expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBeLessThanOrEqual(1e-5);
  });

  it('with a replica, the surviving replica takes over without a restart', async () => {
    const { model, samples, run, report, killedPid } = await killMidRun([1, 2, 1], 'dev-1-1');
    expect(killedPid).toBeGreaterThan(0);
    expect(report.failovers).toHaveLength(1);
    expect(report.failovers[0]).toMatchObject({ device: 'dev-1-1', replacedBy: 'replica' });
    expect(report.lost).toBe(0);
    expect(run.outputs).toHaveLength(N);
    expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBeLessThanOrEqual(1e-5);
    // records the killed replica flushed before dying show both replicas were fed
    const stage1 = run.nodes.filter((r) => r.stageIndex === 1);
    expect(new Set(stage1.map((r) => r.device))).toEqual(new Set(['dev-1-0', 'dev-1-1']));
  });
});
