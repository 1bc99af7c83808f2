import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { resnet, vggSmall } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { stageRoutes } from '../../src/runtime/routes.js';
import { buildTrace, type TraceDocument } from '../../src/runtime/trace.js';
import { runCli } from '../helpers/cli.js';
import { cutsWithLive, writePlanDir } from './plan-fixture.js';
import { maxAbs, maxAbsDiff, referenceOutputs } from './reference.js';

const LIMIT = 120;

describe('pipeline on local node processes (real sockets, onnxruntime, Fashion-MNIST test split)', () => {
  it('a 3-stage chain plan reproduces single-process outputs within 1e-5 at fp32, in order, none lost', async () => {
    const model = vggSmall({ seed: 11 });
    const n = buildGraph(model).nodes.length;
    const fx = writePlanDir(model, { cuts: [Math.floor(n / 3), Math.floor((2 * n) / 3)] });
    const plan = loadRuntimePlan(fx.dir);
    const samples = datasetSamples(plan, 'fashion-mnist-test', LIMIT);
    const { run, report } = await runPlan({ plan, samples });
    expect(report.samples).toBe(LIMIT);
    expect(report.lost).toBe(0);
    expect(run.outputs).toHaveLength(LIMIT);
    const ref = await referenceOutputs(model, samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
    expect(report.stages.map((s) => s.processed)).toEqual([LIMIT, LIMIT, LIMIT]);
    expect(report.links).toHaveLength(4);
    for (const l of report.links) expect(l.bytes).toBeGreaterThan(0);
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
  });

  it('a residual plan with cuts inside residual blocks (two tensors cross) matches, and the trace has every event', async () => {
    const model = resnet({ seed: 5 });
    const graph = buildGraph(model);
    const two = cutsWithLive(graph, 2);
    const fx = writePlanDir(model, { cuts: [two[0], two[two.length - 1]] });
    const plan = loadRuntimePlan(fx.dir);
    const routes = stageRoutes(plan);
    expect(routes[0].sends.length).toBeGreaterThanOrEqual(2);
    expect(routes[1].expects.length).toBeGreaterThanOrEqual(2);
    const samples = datasetSamples(plan, 'fashion-mnist-test', LIMIT);
    const { run, report } = await runPlan({ plan, samples });
    expect(report.lost).toBe(0);
    const ref = await referenceOutputs(model, samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
    const trace: TraceDocument = JSON.parse(JSON.stringify(buildTrace(run, new Map([['dev-0-0', '0']]))));
    const infers = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'inference');
    expect(infers).toHaveLength(3 * LIMIT);
    expect(new Set(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.pid))).toEqual(
      new Set([1, 2, 3, 4]),
    );
    for (const e of infers) expect(e.ts).toBeGreaterThanOrEqual(0);
  });

  it('fp16 and int8 wire precision stay within a bound relative to the output range', async () => {
    const model = vggSmall({ seed: 11 });
    const n = buildGraph(model).nodes.length;
    const ref16 = { err: 0, scale: 0 };
    for (const wire of ['fp16', 'int8'] as const) {
      const fx = writePlanDir(model, { cuts: [Math.floor(n / 2)], wire });
      const plan = loadRuntimePlan(fx.dir);
      const samples = datasetSamples(plan, 'fashion-mnist-test', 40);
      const { run, report } = await runPlan({ plan, samples });
      expect(report.lost).toBe(0);
      const ref = await referenceOutputs(model, samples);
      const err = maxAbsDiff(run.outputs, ref);
      const scale = maxAbs(ref);
      // fp16 keeps ~3 decimal digits; int8 one step of 255 levels over the cut tensor's range, amplified by the tail
      expect(err).toBeLessThanOrEqual((wire === 'fp16' ? 1e-2 : 1e-1) * scale);
      expect(err).toBeGreaterThan(0);
      if (wire === 'fp16') Object.assign(ref16, { err, scale });
      else expect(err).toBeGreaterThan(ref16.err);
      const fp32Bytes =
        fx.graph.values
          .get(plan.stages[0].outputs[0].name)!
          .shape.slice(1)
          .reduce<number>((a, b) => a * Number(b), 1) * 4;
      expect(report.stages[0].bytesPerSample).toBeLessThan(fp32Bytes * (wire === 'fp16' ? 0.51 : 0.26) + 200);
    }
  });

  it('edgesplit run --json and --trace on the CLI', () => {
    const model = vggSmall({ seed: 3 });
    const n = buildGraph(model).nodes.length;
    const fx = writePlanDir(model, { cuts: [Math.floor(n / 2)] });
    const trace = join(fx.dir, 'trace.json');
    const r = runCli(['run', fx.dir, '--limit', '30', '--json', '--trace', trace]);
    expect(r.stderr).not.toMatch(/E_/);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ samples: 30, lost: 0, predictedThroughputPerS: 100 });
    expect(j.throughputPerS).toBeGreaterThan(0);
    expect(j.latencyMs.p95).toBeGreaterThanOrEqual(j.latencyMs.p50);
    expect(j.stages).toHaveLength(2);
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as TraceDocument;
    expect(doc.traceEvents.filter((e) => e.cat === 'inference')).toHaveLength(60);
    // a plan written by `edgesplit plan` goes through the planner's strict reader
    const modelFile = join(fx.dir, 'resnet8.onnx');
    writeFileSync(modelFile, encodeModel(resnet({ seed: 6 })));
    const planned = runCli([
      'plan',
      modelFile,
      '--devices',
      'esp32s3x2',
      '--link',
      'wifi',
      '--objective',
      'throughput',
      '--bits',
      '32',
      '--out',
      join(fx.dir, 'planned'),
    ]);
    expect(planned.status).toBe(0);
    const pj = JSON.parse(runCli(['run', join(fx.dir, 'planned'), '--limit', '20', '--json']).stdout);
    expect(pj).toMatchObject({ samples: 20, lost: 0 });
    expect(pj.predictedThroughputPerS).toBeGreaterThan(0);
    const bad = runCli(['run', join(fx.dir, 'nope')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/E_PLAN: .*plan\.json/);
  });
});
