/**
 * LCP branch plans as DAGs on real node processes: `planLcpModel` writes one stage per device, the
 * coordinator scatters each image to every branch stage, the gather stage waits for every branch's
 * pre-final activation; the gathered logits equal the whole LCP model's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../../src/onnx/io.js';
import type { LocalPool } from '../../src/runtime/local-nodes.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { LCP_MODEL, lcpPlan, removeLcpPlans } from './lcp-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';

const MODEL = LCP_MODEL;
afterAll(removeLcpPlans);

describe('LCP DAG plan on real processes', () => {
  it('writes 4 stages: 3 branches and branch 3 + gather + classifier reading all of them', async () => {
    const plan = await lcpPlan(1);
    expect(plan.topology).toBe('dag');
    expect(plan.stages).toHaveLength(4);
    for (const s of plan.stages.slice(0, 3)) expect(s.inputs.map((t) => t.name)).toEqual(['input']);
    expect(plan.stages[3].inputs).toHaveLength(4);
    expect(plan.stages[3].outputs.map((t) => t.name)).toEqual(['logits']);
  });

  it('branch outputs gathered over the network reproduce the whole model logits within 1e-5', async () => {
    const plan = await lcpPlan(1);
    const samples = datasetSamples(plan, 'fashion-mnist-test', 64);
    const { run, report } = await runPlan({ plan, samples, window: 8 });
    expect(report.lost).toBe(0);
    expect(run.outputs).toHaveLength(64);
    const ref = await referenceOutputs(await loadModelFile(MODEL), samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
    // every branch stage processed every sample: the input was scattered, not chained
    for (let k = 0; k < 4; k++) expect(run.nodes.filter((r) => r.stageIndex === k)).toHaveLength(64);
  }, 120_000);

  it('hedged: both replicas of a branch get the samples, the gather runs each once, outputs unchanged', async () => {
    const plan = await lcpPlan(2);
    const N = 48;
    const samples = datasetSamples(plan, 'fashion-mnist-test', N);
    const { run, report } = await runPlan({ plan, samples, window: 8, hedge: true });
    expect(report.lost).toBe(0);
    const ref = await referenceOutputs(await loadModelFile(MODEL), samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
    // every sample ran on a replica of every branch, and copies went to both (a replica lagging by
    // more than the window gets none until it catches up, so not necessarily every copy)
    for (let k = 0; k < 3; k++) {
      const recs = run.nodes.filter((r) => r.stageIndex === k);
      expect(new Set(recs.map((r) => r.seq)).size).toBe(N);
      expect(recs.length).toBeGreaterThan(N);
      expect(recs.length).toBeLessThanOrEqual(2 * N);
      expect(new Set(recs.map((r) => r.device)).size).toBe(2);
    }
    // the gather stage (branch 3 + classifier) is not hedged: each sample ran on one of its replicas once
    expect(run.nodes.filter((r) => r.stageIndex === 3)).toHaveLength(N);
  }, 120_000);

  it('kill -9 of a branch replica mid-run loses nothing and changes no output', async () => {
    const plan = await lcpPlan(2);
    const N = 200;
    const samples = datasetSamples(plan, 'fashion-mnist-test', N);
    let pool: LocalPool | undefined;
    let killed: number | undefined;
    const victim = plan.stages[1].devices[1].name;
    const { run, report } = await runPlan({
      plan,
      samples,
      window: 12,
      timelineBatch: 4,
      onPool: (p) => (pool = p as LocalPool),
      onProgress: (done) => {
        if (done === 40 && killed === undefined) {
          killed = pool!.pid(victim);
          process.kill(killed!, 'SIGKILL');
          // let the kernel reset the socket before more results are read, so the kill lands mid-run
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(report.failovers).toHaveLength(1);
    expect(report.failovers[0]).toMatchObject({ device: victim, replacedBy: 'replica' });
    expect(report.lost).toBe(0);
    expect(run.outputs).toHaveLength(N);
    const ref = await referenceOutputs(await loadModelFile(MODEL), samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
  }, 180_000);
});
