/**
 * Pipeline benchmark (run with `npx tsx bench/pipeline.ts`; needs `npx tsc -p tsconfig.json` first,
 * because the nodes run the built CLI). Prints ratios measured in one run:
 *  1. loopback, no emulation (`--emulate none`), the zoo's `local` model in 3 stages and `remote` in
 *     2 (cuts balancing MACs), at batch 1 and at the automatic micro-batch:
 *     (a) runtime CPU overhead per sample per hop = (user+sys CPU of all processes - onnxruntime
 *         compute time) / samples / hops, hops = stages + 1 (coordinator -> stage 0 -> ... -> coordinator);
 *         the fixed cost of a run (process start, model load) is removed by subtracting a short run, and
 *         the compute is the stage models' onnxruntime CPU time measured in this process;
 *     (b) pipelined throughput / whole-model onnxruntime throughput in one process (1 thread, same batch);
 *     (c) measured throughput / the bound from the stages' measured compute (target >= 0.9), and
 *         next to it the bound when the run's processes share this machine's cores (the stages'
 *         compute summed over cores, and all processes' measured CPU per sample over cores);
 *     (d) from (a) at both batches: one hop's fixed cost per frame F and the per-byte rest, and F in
 *         bytes, the quantity the automatic batch rule uses (`FRAME_COST_BYTES`);
 *  2. a 2-stage plan over an emulated BLE link (ble-esp32s3: 90 kb/s, 517-byte packets): the
 *     compute vs communication split of the pipeline seed's Fig. 5.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { onnxruntimeBackend } from '../src/backend/onnxruntime/onnxruntime-backend.js';
import { buildGraph } from '../src/graph/build.js';
import { vggSmall } from '../src/graph/builder/architectures.js';
import { decodeModel, encodeModel } from '../src/onnx/io.js';
import type { ModelProto } from '../src/onnx/proto.js';
import type { Tensor } from '../src/core/tensor.js';
import { profileGraph } from '../src/profile/profile.js';
import type { SampleSource } from '../src/runtime/coordinator.js';
import {
  FRAME_COST_BYTES,
  chooseBatch,
  hopBytesPerSample,
  stackTensors,
} from '../src/runtime/micro-batch.js';
import { loadRuntimePlan } from '../src/runtime/plan-dir.js';
import type { RuntimePlan } from '../src/runtime/routes.js';
import { datasetSamples, runPlan, type RunReport } from '../src/runtime/run.js';
import { writePlanDir } from '../test/runtime/plan-fixture.js';

const N = Number(process.env.BENCH_SAMPLES ?? 3000);
// BENCH_BATCHES=1 measures batch 1 only (e.g. on a commit without micro-batching)
const BATCHES = process.env.BENCH_BATCHES === '1' ? [1] : [1, undefined];
const SHORT = Math.min(200, Math.floor(N / 10));
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

/** Whole model in this process, 1 intra-op thread, `batch` samples per call: wall and CPU ms per sample. */
async function wholeModel(
  model: ModelProto,
  plan: RuntimePlan,
  count: number,
  batch: number,
): Promise<{ ms: number; cpuMs: number }> {
  const samples = datasetSamples(plan, 'fashion-mnist-test', count);
  const name = plan.graphInputs[0].name;
  const feeds = Array.from({ length: Math.floor(count / batch) }, (_, b) => ({
    [name]: stackTensors(
      name,
      Array.from({ length: batch }, (_, i) => samples.input(b * batch + i)[name]),
    ),
  }));
  const session = await onnxruntimeBackend.load(encodeModel(model), { intraOpThreads: 1 });
  for (const f of feeds.slice(0, 10)) await session.run(f);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const f of feeds) await session.run(f);
  const c = process.cpuUsage(c0);
  const n = feeds.length * batch;
  const ms = (performance.now() - t0) / n;
  await session.release();
  return { ms, cpuMs: (c.user + c.system) / 1000 / n };
}

/**
 * onnxruntime CPU ms per sample of the plan's stage models, run in turn in this process on the same
 * samples and batch as the pipeline (1 thread each): the compute the formula subtracts. (The nodes'
 * own compute times are wall clock, which grows whenever a loaded host deschedules them.)
 */
async function stageModelsCpuMs(plan: RuntimePlan, count: number, batch: number): Promise<number> {
  const samples = datasetSamples(plan, 'fashion-mnist-test', count);
  const name = plan.graphInputs[0].name;
  const sessions = await Promise.all(
    plan.stages.map((st) => onnxruntimeBackend.load(readFileSync(st.modelPath), { intraOpThreads: 1 })),
  );
  let cpuUs = 0;
  const batches = Math.floor(count / batch);
  for (let b = -2; b < batches; b++) {
    const first = Math.max(0, b) * batch;
    const env: Record<string, Tensor> = {
      [name]: stackTensors(
        name,
        Array.from({ length: batch }, (_, i) => samples.input(first + i)[name]),
      ),
    };
    for (const [k, st] of plan.stages.entries()) {
      const feeds = Object.fromEntries(st.inputs.map((t) => [t.name, env[t.name]]));
      const c0 = process.cpuUsage();
      const out = await sessions[k].run(feeds);
      const c = process.cpuUsage(c0);
      if (b >= 0) cpuUs += c.user + c.system; // the first two batches warm up
      Object.assign(env, out);
    }
  }
  await Promise.all(sessions.map((x) => x.release()));
  return cpuUs / 1000 / (batches * batch);
}

/** User + system CPU ms of this process and of its exited (reaped) children, from /proc/self/stat. */
function cpuMsWithChildren(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // fields after the comm: state is [0], utime [11], stime [12], cutime [13], cstime [14] (clock ticks)
  const ticks = [11, 12, 13, 14].reduce((t, i) => t + Number(fields[i]), 0);
  return (ticks * 1000) / 100;
}

interface Measured {
  readonly report: RunReport;
  readonly cpuMs: number;
  readonly computeMs: number;
}

async function measuredRun(plan: RuntimePlan, samples: SampleSource, batch: number): Promise<Measured> {
  const before = cpuMsWithChildren();
  const { report } = await runPlan({
    plan,
    samples,
    emulate: 'none',
    link: 'none',
    batch,
    keepOutputs: false,
    keepRecords: false,
    onProgress: progress(`batch ${batch}`),
  });
  process.stderr.write('\n');
  // node processes are reaped by now (the run awaits their exit), so their CPU is in cutime/cstime
  await new Promise((r) => setTimeout(r, 200));
  const computeMs = report.stages.reduce((t, st) => t + st.computeMs * st.processed, 0);
  return { report, cpuMs: cpuMsWithChildren() - before, computeMs };
}

function firstN(s: SampleSource, n: number): SampleSource {
  return { ...s, count: Math.min(n, s.count) } as SampleSource;
}

function progress(label: string): (done: number, total: number) => void {
  return (done, total) => {
    if (done % 100 === 0 || done === total) process.stderr.write(`${label}: ${done}/${total}\r`);
  };
}

function load(): string {
  return loadavg()[0].toFixed(2);
}

function splitLine(r: RunReport): string {
  const s = r.split;
  return `compute ${s.computeMs.toFixed(1)} ms vs communication ${s.communicationMs.toFixed(1)} ms -> communication ${(100 * s.communicationFraction).toFixed(1)}% (${s.ratio.toFixed(2)}x compute)`;
}

/** The zoo model `name` in `stages` stages on loopback: overhead, pipelined/whole-model, measured/bound. */
async function zooLoopback(name: string, stages: number): Promise<void> {
  const model = decodeModel(readFileSync(join('models', `${name}.onnx`)));
  const fx = writePlanDir(model, { cuts: balancedCuts(model, stages) });
  const plan = loadRuntimePlan(fx.dir);
  const samples = datasetSamples(plan, 'fashion-mnist-test', N);
  const hops = stages + 1;
  console.log(
    `loopback, zoo '${name}', ${stages} stages, ${N} samples, --emulate none (hops per sample: ${hops})`,
  );
  const overheads: { batch: number; us: number }[] = [];
  for (const requested of BATCHES) {
    // the automatic batch of the long run, used for the short run too so the two differ only in samples
    const batch = chooseBatch(plan, requested, false, N);
    const loadBefore = load();
    const { ms: whole, cpuMs: wholeCpu } = await wholeModel(model, plan, Math.min(N, 800), batch);
    const stageCpu = await stageModelsCpuMs(plan, Math.min(N, 800), batch);
    const small = await measuredRun(plan, firstN(samples, SHORT), batch);
    const big = await measuredRun(plan, samples, batch);
    const overheadUs = (1000 * (big.cpuMs - small.cpuMs - (N - SHORT) * stageCpu)) / ((N - SHORT) * hops);
    // the same with the nodes' measured compute (wall time: too high on a loaded host, so this is too low)
    const overheadWallUs =
      (1000 * (big.cpuMs - small.cpuMs - (big.computeMs - small.computeMs))) / ((N - SHORT) * hops);
    overheads.push({ batch, us: overheadUs });
    const r = big.report;
    const perHopKiB = r.links.map((l) => (l.bytesPerSample / 1024).toFixed(1)).join(' / ');
    console.log(
      `  batch ${batch}${requested === undefined ? ' (auto)' : ''}: runtime CPU overhead ${overheadUs.toFixed(0)} us per sample per hop (target <= 100 at batch 1; ${overheadWallUs.toFixed(0)} with the nodes' wall-clock compute); tensors per hop ${perHopKiB} KiB`,
    );
    console.log(
      `    CPU ${big.cpuMs.toFixed(0)} ms (all processes, minus a ${SHORT}-sample run's ${small.cpuMs.toFixed(0)} ms), stage models' onnxruntime CPU ${stageCpu.toFixed(3)} ms per sample (nodes' wall clock: ${big.computeMs.toFixed(0)} - ${small.computeMs.toFixed(0)} ms)`,
    );
    // what cutting the model costs by itself, before any runtime: the stage models vs the whole one
    console.log(
      `    stage models / whole model onnxruntime CPU in one process = ${(stageCpu / wholeCpu).toFixed(2)} (${stageCpu.toFixed(3)} / ${wholeCpu.toFixed(3)} ms per sample): with ${cpus().length} cores and no runtime cost at all, pipelined / whole model <= ${((cpus().length * wholeCpu) / stageCpu).toFixed(2)}`,
    );
    console.log(
      `    pipelined ${r.throughputPerS.toFixed(1)}/s / whole model in one process ${(1000 / whole).toFixed(1)}/s (1 thread, batch ${batch}) = ${((r.throughputPerS * whole) / 1000).toFixed(3)} (target >= ${name === 'remote' ? '0.8' : '0.5'} with auto batch)`,
    );
    console.log(
      `    measured/bound = ${(r.throughputPerS / r.boundThroughputPerS).toFixed(3)} (bound ${r.boundThroughputPerS.toFixed(1)}/s from stage compute ${r.stages.map((x) => x.computeMs.toFixed(3)).join(' + ')} ms; target >= 0.9); latency p50 ${r.latencyMs.p50.toFixed(2)} ms`,
    );
    // the bound above gives every stage a core; here the run's processes share this machine's cores
    const cores = cpus().length;
    const procs = plan.stages.reduce((n, st) => n + st.devices.length, 1);
    const computeSum = r.stages.reduce((t, x) => t + x.computeMs, 0);
    const sharedBound = Math.min(r.boundThroughputPerS, (1000 * cores) / computeSum);
    const cpuPerSample = (big.cpuMs - small.cpuMs) / (N - SHORT);
    const cpuBound = (1000 * cores) / cpuPerSample;
    console.log(
      `    ${procs} processes on ${cores} cores: stage compute alone allows ${sharedBound.toFixed(1)}/s (measured/that ${(r.throughputPerS / sharedBound).toFixed(3)}); all processes' CPU ${cpuPerSample.toFixed(3)} ms per sample allows ${cpuBound.toFixed(1)}/s (measured/that ${(r.throughputPerS / cpuBound).toFixed(3)}); load average ${loadBefore} -> ${load()}`,
    );
  }
  const one = overheads.find((o) => o.batch === 1);
  const many = overheads.find((o) => o.batch > 1);
  const hopBytes = hopBytesPerSample(plan);
  if (one && many && hopBytes) {
    const k = many.batch;
    const frameUs = ((one.us - many.us) * k) / (k - 1);
    const meanKiB = hopBytes.reduce((a, b) => a + b, 0) / hopBytes.length / 1024;
    const perKiB = (many.us - frameUs / k) / meanKiB;
    console.log(
      `  per hop: fixed cost per frame ${frameUs.toFixed(0)} us, per sample the rest ${perKiB.toFixed(2)} us per KiB (mean ${meanKiB.toFixed(1)} KiB per hop) -> a frame costs as much as ${(frameUs / perKiB).toFixed(0)} KiB (the auto batch rule assumes ${FRAME_COST_BYTES / 1024} KiB)`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await zooLoopback('local', 3);
  await zooLoopback('remote', 2);

  const small = vggSmall({ seed: 2 });
  const cuts = profileGraph(buildGraph(small)).cuts;
  const smallest = cuts.slice(Math.floor(cuts.length / 2), -1).reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const ble = writePlanDir(small, { cuts: [smallest.index], link: 'ble-esp32s3' });
  const blePlan = loadRuntimePlan(ble.dir);
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
