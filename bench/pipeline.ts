/**
 * Pipeline benchmark (run with `npx tsx bench/pipeline.ts`; needs `npx tsc -p tsconfig.json` first,
 * because the nodes run the built CLI). Prints ratios measured in one run:
 *  1. loopback, no link emulation, 2-stage plans of two ResNet sizes: measured throughput / the bound from the
 *     stages' measured compute times (target >= 0.9), and the sum of stage compute / the whole model's
 *     onnxruntime time in this process (target <= 1.1);
 *  2. the same kind of plan over an emulated BLE link (ble-esp32s3: 90 kb/s, 517-byte packets): the
 *     compute vs communication split of the pipeline seed's Fig. 5.
 */
import { cpus, loadavg } from 'node:os';
import { onnxruntimeBackend } from '../src/backend/onnxruntime/onnxruntime-backend.js';
import { buildGraph } from '../src/graph/build.js';
import { resnet, vggSmall } from '../src/graph/builder/architectures.js';
import { encodeModel } from '../src/onnx/io.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { profileGraph } from '../src/profile/profile.js';
import { readRuntimePlan } from '../src/runtime/plan-dir.js';
import { datasetSamples, runPlan, type RunReport } from '../src/runtime/run.js';
import { writePlanDir } from '../test/runtime/plan-fixture.js';

const N = Number(process.env.BENCH_SAMPLES ?? 400);
const BLE_SAMPLES = Number(process.env.BENCH_BLE_SAMPLES ?? 8);

/** Cut indices that split the model's MACs into `stages` nearly equal parts. */
function balancedCuts(model: ModelProto, stages: number): number[] {
  const profile = profileGraph(buildGraph(model));
  const total = profile.cuts[profile.cuts.length - 1].cumulativeMacs;
  const cuts: number[] = [];
  for (let s = 1; s < stages; s++) {
    const target = (total * s) / stages;
    let best = 1;
    for (const c of profile.cuts.slice(1, -1))
      if (Math.abs(c.cumulativeMacs - target) < Math.abs(profile.cuts[best].cumulativeMacs - target))
        best = c.index;
    cuts.push(best);
  }
  return cuts;
}

async function wholeModelMs(model: ModelProto, planDir: string, count: number): Promise<number> {
  const plan = readRuntimePlan(planDir);
  const samples = datasetSamples(plan, 'fashion-mnist-test', count);
  const session = await onnxruntimeBackend.load(encodeModel(model), { intraOpThreads: 1 });
  for (let i = 0; i < Math.min(20, count); i++) await session.run(samples.input(i));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await session.run(samples.input(i));
  const ms = (performance.now() - t0) / count;
  await session.release();
  return ms;
}

function progress(label: string): (done: number, total: number) => void {
  return (done, total) => {
    if (done % 100 === 0 || done === total) process.stderr.write(`${label}: ${done}/${total}\r`);
  };
}

function splitLine(r: RunReport): string {
  const s = r.split;
  return `compute ${s.computeMs.toFixed(1)} ms vs communication ${s.communicationMs.toFixed(1)} ms -> communication ${(100 * s.communicationFraction).toFixed(1)}% (${s.ratio.toFixed(2)}x compute)`;
}

/** Loopback run of a 2-stage plan of `model`: the two pipelining ratios, measured in one run. */
async function loopback(model: ModelProto, label: string): Promise<void> {
  const fx = writePlanDir(model, { cuts: balancedCuts(model, 2) });
  const plan = readRuntimePlan(fx.dir);
  const whole = await wholeModelMs(model, fx.dir, Math.min(N, 200));
  const { report } = await runPlan({
    plan,
    samples: datasetSamples(plan, 'fashion-mnist-test', N),
    onProgress: progress('loopback'),
  });
  process.stderr.write('\n');
  const sumCompute = report.stages.reduce((s, x) => s + x.computeMs, 0);
  // one sample in flight: the stages never compete with each other for the 2 cores
  const seq = (
    await runPlan({
      plan,
      samples: datasetSamples(plan, 'fashion-mnist-test', Math.min(N, 200)),
      window: 1,
      onProgress: progress('sequential'),
    })
  ).report;
  process.stderr.write('\n');
  const sumSeq = seq.stages.reduce((s, x) => s + x.computeMs, 0);
  console.log(`loopback, ${label}, 2 stages, ${N} samples, no link emulation`);
  console.log(
    `  stage compute ms: ${report.stages.map((s) => s.computeMs.toFixed(3)).join(' + ')}; whole model in one process ${whole.toFixed(3)} ms`,
  );
  console.log(
    `  measured throughput ${report.throughputPerS.toFixed(1)}/s, bound from measured stage compute ${report.boundThroughputPerS.toFixed(1)}/s`,
  );
  console.log(
    `  ratio measured/bound = ${(report.throughputPerS / report.boundThroughputPerS).toFixed(3)} (target >= 0.9)`,
  );
  console.log(
    `  ratio sum(stage compute)/whole model = ${(sumCompute / whole).toFixed(3)} pipelined (stages share the cores), ${(sumSeq / whole).toFixed(3)} with one sample in flight (target <= 1.1)`,
  );
  console.log(
    `  latency p50 ${report.latencyMs.p50.toFixed(2)} ms, p95 ${report.latencyMs.p95.toFixed(2)} ms; ${splitLine(report)}`,
  );
}

async function main(): Promise<void> {
  process.stderr.write(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}\n`);
  // per-sample framing costs a node a fixed ~0.5 ms, so the ratios depend on how much compute a stage has
  await loopback(resnet({ seed: 1, widths: [48, 96, 192], stages: [2, 2, 2] }), 'ResNet 48/96/192');
  await loopback(resnet({ seed: 1, widths: [96, 192, 384], stages: [2, 2, 2] }), 'ResNet 96/192/384');

  const small = vggSmall({ seed: 2 });
  const cuts = profileGraph(buildGraph(small)).cuts;
  const smallest = cuts.slice(Math.floor(cuts.length / 2), -1).reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const ble = writePlanDir(small, { cuts: [smallest.index], link: 'ble-esp32s3' });
  const blePlan = readRuntimePlan(ble.dir);
  const r = (
    await runPlan({
      plan: blePlan,
      samples: datasetSamples(blePlan, 'fashion-mnist-test', BLE_SAMPLES),
      link: 'ble-esp32s3',
      window: 2,
      onProgress: progress('ble'),
    })
  ).report;
  process.stderr.write('\n');
  console.log(`emulated BLE (ble-esp32s3, between the stages), 2 stages, ${BLE_SAMPLES} samples`);
  for (const l of r.links)
    console.log(
      `  ${l.from} -> ${l.to}: ${Math.round(l.bytesPerSample)} B/sample, ${l.communicationMs.toFixed(1)} ms`,
    );
  console.log(`  ${splitLine(r)} (seed Fig. 5a: communication > 5x compute)`);
  console.log(`  throughput ${r.throughputPerS.toFixed(2)}/s, latency p50 ${r.latencyMs.p50.toFixed(1)} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
