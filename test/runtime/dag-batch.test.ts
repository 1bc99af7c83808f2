/**
 * LCP DAG plans on the micro-batched runtime (real node processes): the coordinator scatters stacked
 * images to every branch, the gather stacks the branches' pre-final activations of one micro-batch;
 * outputs equal the unbatched run's, sample for sample, and a kill -9 of a branch replica during a
 * batched run loses and duplicates nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../../src/onnx/io.js';
import type { LocalPool } from '../../src/runtime/local-nodes.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { LCP_MODEL, lcpPlan, removeLcpPlans } from './lcp-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';

const MODEL = LCP_MODEL;
afterAll(removeLcpPlans);

describe('LCP DAG plan with micro-batching on real processes', () => {
  it('--batch 4 and auto batching give the unbatched outputs within 1e-6, in order', async () => {
    const plan = await lcpPlan(1);
    const N = 128;
    const samples = datasetSamples(plan, 'fashion-mnist-test', N);
    const common = { plan, samples, emulate: 'none' as const };
    const one = await runPlan({ ...common, batch: 1 });
    expect(one.report.batch).toBe(1);
    expect(one.run.outputs).toHaveLength(N);
    for (const batch of [4, undefined]) {
      const { run, report } = await runPlan({ ...common, ...(batch ? { batch } : {}) });
      // auto: min(32, 128 / (4 x 4 nodes)) = 8
      expect(report.batch).toBe(batch ?? 8);
      expect(report.lost).toBe(0);
      expect(run.outputs).toHaveLength(N);
      expect(maxAbsDiff(run.outputs, one.run.outputs)).toBeLessThanOrEqual(1e-6);
      expect(report.accuracy).toBe(one.report.accuracy);
    }
  }, 180_000);

  it('kill -9 of a branch replica during a batched run loses and duplicates nothing', async () => {
    const plan = await lcpPlan(2);
    const N = 240;
    const samples = datasetSamples(plan, 'fashion-mnist-test', N);
    let pool: LocalPool | undefined;
    let killed: number | undefined;
    const victim = plan.stages[1].devices[1].name;
    const released: number[] = [];
    const { run, report } = await runPlan({
      plan,
      samples,
      emulate: 'none',
      batch: 4,
      window: 24,
      timelineBatch: 4,
      onPool: (p) => (pool = p as LocalPool),
      onResult: (seq) => released.push(seq),
      onProgress: (done) => {
        if (done >= 40 && killed === undefined) {
          killed = pool!.pid(victim);
          process.kill(killed!, 'SIGKILL');
          // let the kernel reset the socket before more results are read, so the kill lands mid-run
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(report.batch).toBe(4);
    expect(report.failovers).toHaveLength(1);
    expect(report.failovers[0]).toMatchObject({ device: victim, replacedBy: 'replica' });
    expect(report.lost).toBe(0);
    // every sample released exactly once, in order, with the whole LCP model's outputs
    expect(released).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(run.outputs).toHaveLength(N);
    const ref = await referenceOutputs(await loadModelFile(MODEL), samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
  }, 180_000);
});
