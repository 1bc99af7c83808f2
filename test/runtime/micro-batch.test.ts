import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/io.js';
import type { LocalPool } from '../../src/runtime/local-nodes.js';
import {
  AUTO_BATCH_FALLBACK,
  AUTO_FRAME_SHARE,
  FRAME_COST_BYTES,
  MAX_BATCH,
  autoBatch,
  chooseBatch,
  hopBytesPerSample,
  contiguousRuns,
  perSampleRecords,
  stackTensors,
  unstackTensor,
} from '../../src/runtime/micro-batch.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { writePlanDir } from './plan-fixture.js';
import { maxAbsDiff } from './reference.js';

// the zoo's remote model has a symbolic batch dim ("N"), so its stage models batch
const model = decodeModel(readFileSync('models/remote.onnx'), 'models/remote.onnx');

describe('micro-batch helpers', () => {
  it('stacks samples along the first dim and unstacks them back as views', () => {
    const parts = [0, 1, 2].map((i) => ({
      dtype: 'float32' as const,
      dims: [1, 2],
      data: new Float32Array([i, 10 + i]),
    }));
    const stacked = stackTensors('x', parts);
    expect(stacked.dims).toEqual([3, 2]);
    expect([...stacked.data]).toEqual([0, 10, 1, 11, 2, 12]);
    const back = unstackTensor(stacked);
    expect(back.map((t) => [...t.data])).toEqual(parts.map((p) => [...p.data]));
    expect(back[2].data.buffer).toBe(stacked.data.buffer);
    expect(() => stackTensors('x', [parts[0], { ...parts[1], dims: [2, 1] }])).toThrow(
      /first dim other than 1/,
    );
  });

  it('re-sends incomplete samples as contiguous runs of at most k', () => {
    expect(contiguousRuns([0, 1, 2, 3, 4, 7, 8, 10], 3)).toEqual([[0, 1, 2], [3, 4], [7, 8], [10]]);
  });

  it('splits a batch record into per-sample records whose compute adds up to the batch', () => {
    const recs = perSampleRecords({
      stageIndex: 0,
      device: 'd',
      epoch: 1,
      seq: 8,
      received: 0,
      inferStart: 10,
      inferEnd: 18,
      sendStart: 20,
      sendEnd: 24,
      bytes: 400,
      target: 'x',
      count: 4,
    });
    expect(recs.map((r) => r.seq)).toEqual([8, 9, 10, 11]);
    expect(recs.reduce((s, r) => s + (r.inferEnd - r.inferStart), 0)).toBeCloseTo(8);
    expect(recs.map((r) => r.sendStart)).toEqual([20, 21, 22, 23]);
    expect(recs.every((r) => r.bytes === 100 && !('count' in r))).toBe(true);
  });

  it('chooses the batch: auto only with a dynamic batch dim and unpaced devices; bad requests are refused', () => {
    const plan = loadRuntimePlan(writePlanDir(model, { cuts: [6] }).dir);
    // 2 nodes: the frame-cost rule, and at least 4 batches per node
    expect(chooseBatch(plan, undefined, false, 10_000)).toBe(autoBatch(plan, 10_000));
    expect(autoBatch(plan, 10_000)).toBeGreaterThan(18);
    expect(chooseBatch(plan, undefined, false, 150)).toBe(18);
    expect(chooseBatch(plan, undefined, false, 5)).toBe(1);
    expect(chooseBatch(plan, undefined, true, 10_000)).toBe(1);
    expect(chooseBatch(plan, 4, false, 10)).toBe(4);
    expect(() => chooseBatch(plan, 4, true, 10)).toThrow(/--emulate devices/);
    expect(() => chooseBatch(plan, 0, false, 10)).toThrow(/--batch must be/);
    const fixed = { ...plan, graphInputs: plan.graphInputs.map((t) => ({ ...t, shape: [1, 1, 28, 28] })) };
    expect(chooseBatch(fixed, undefined, false, 10_000)).toBe(1);
    expect(() => chooseBatch(fixed, 4, false, 10)).toThrow(/symbolic first/);
  });
});

describe('the automatic batch', () => {
  const t = (name: string, shape: (number | string)[], wire: 'fp32' | 'int8' = 'fp32') => ({
    name,
    dtype: 'float32' as const,
    shape,
    wire,
  });
  const chain = (hidden: (number | string)[], wire: 'fp32' | 'int8' = 'fp32'): RuntimePlan => ({
    dir: '/p',
    graphInputs: [t('x', ['N', 16])],
    graphOutputs: ['y'],
    stages: [
      {
        id: '0',
        modelPath: 'a',
        inputs: [t('x', ['N', 16])],
        outputs: [t('h', hidden, wire)],
        devices: [{ name: 'a' }],
      },
      {
        id: '1',
        modelPath: 'b',
        inputs: [t('h', hidden, wire)],
        outputs: [t('y', ['N', 10])],
        devices: [{ name: 'b' }],
      },
    ],
  });

  it('reads bytes per sample per hop from the plan at each wire encoding', () => {
    expect(hopBytesPerSample(chain(['N', 8, 8]))).toEqual([64, 256, 40]);
    expect(hopBytesPerSample(chain(['N', 8, 8], 'int8'))).toEqual([64, 64, 40]);
    expect(hopBytesPerSample(chain(['N', 'C', 8]))).toBeUndefined();
  });

  it('keeps the per-frame share at most AUTO_FRAME_SHARE: bigger batches for smaller tensors, capped', () => {
    const share = (k: number, plan: RuntimePlan) => {
      const hops = hopBytesPerSample(plan)!;
      const mean = hops.reduce((a, b) => a + b, 0) / hops.length;
      return FRAME_COST_BYTES / k / (FRAME_COST_BYTES / k + mean);
    };
    const mid = chain(['N', 64, 64]); // 16 KiB per sample on the hidden hop
    const k = autoBatch(mid, 1e6);
    expect(share(k, mid)).toBeLessThanOrEqual(AUTO_FRAME_SHARE);
    expect(share(k - 1, mid)).toBeGreaterThan(AUTO_FRAME_SHARE);
    // tiny tensors: the largest batch; a 4 MiB activation: one sample, so a credit window holds 4 frames
    expect(autoBatch(chain(['N', 8]), 1e6)).toBe(MAX_BATCH);
    expect(autoBatch(chain(['N', 1024, 1024]), 1e6)).toBe(1);
    expect(autoBatch(chain(['N', 'C', 8]), 1e6)).toBe(AUTO_BATCH_FALLBACK);
    expect(autoBatch(chain(['N', 8]), 80)).toBe(10);
  });
});

describe('micro-batched runs with real node processes', () => {
  const N = 150; // not a multiple of the batch: the last batch is partial

  it('return exactly the unbatched outputs, in the same order', async () => {
    const plan = loadRuntimePlan(writePlanDir(model, { cuts: [6] }).dir);
    const samples = datasetSamples(plan, 'fashion-mnist-test', N);
    const one = await runPlan({ plan, samples, batch: 1, emulate: 'none' });
    const auto = await runPlan({ plan, samples, emulate: 'none' });
    expect(one.report.batch).toBe(1);
    expect(auto.report.batch).toBe(18);
    expect(auto.report.lost).toBe(0);
    expect(auto.run.outputs).toHaveLength(N);
    expect(auto.report.stages.map((s) => s.processed)).toEqual([N, N]);
    expect(maxAbsDiff(auto.run.outputs, one.run.outputs)).toBeLessThanOrEqual(1e-6);
  }, 120_000);

  it('kill -9 of a replica during a micro-batched run loses and duplicates nothing', async () => {
    const plan = loadRuntimePlan(writePlanDir(model, { cuts: [6], replicas: [1, 2] }).dir);
    const samples = datasetSamples(plan, 'fashion-mnist-test', 240);
    const ref = await runPlan({ plan, samples, batch: 1, emulate: 'none' });
    let pool: LocalPool | undefined;
    let killed: number | undefined;
    const { run, report } = await runPlan({
      plan,
      samples,
      batch: 4,
      emulate: 'none',
      timelineBatch: 4,
      onPool: (p) => (pool = p as LocalPool),
      onProgress: (done) => {
        if (done >= 40 && killed === undefined) {
          killed = pool!.pid('dev-1-1');
          process.kill(killed!, 'SIGKILL');
          // let the kernel reset the socket before more results are read, so the kill lands mid-run
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(report.batch).toBe(4);
    expect(report.failovers).toHaveLength(1);
    expect(report.failovers[0]).toMatchObject({ device: 'dev-1-1', replacedBy: 'replica' });
    expect(report.failovers[0].resent).toBeGreaterThan(0);
    expect(report.lost).toBe(0);
    expect(run.outputs).toHaveLength(240);
    // index-by-index equality with the unbatched run: in order, none duplicated, none missing
    expect(maxAbsDiff(run.outputs, ref.run.outputs)).toBeLessThanOrEqual(1e-6);
  }, 120_000);
});
