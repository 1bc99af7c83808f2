/**
 * Pipeline benchmark (run with `npx tsx bench/pipeline.ts`; needs `npx tsc -p tsconfig.json` first,
 * because the nodes run the built CLI). Environment: `BENCH_ONLY=chain3k,local,remote,ble` runs some
 * cases only; `BENCH_SAMPLES` (default 10000, all of fashion-mnist-test) the zoo cases' samples per long run,
 * `BENCH_TARGET_SAMPLES` (default 30000) the 3 KB chain's (past 10,000 the test images repeat); `BENCH_WARMUP` the samples before the steady
 * window (default half the run); `BENCH_BATCHES=1` batch 1 only; `BENCH_BLE_SAMPLES` (default 8).
 * Started without node flags of its own, the bench reruns itself with the CLI's V8 flags
 * (`NODE_V8_FLAGS`, as `bin/edgesplit.js` runs the coordinator; `BENCH_V8_DEFAULTS=1` keeps node's
 * defaults, `node <flags> --import tsx bench/pipeline.ts` uses those): see `cli-v8-flags.ts`.
 * Prints ratios measured in one run:
 *  1. loopback, no emulation (`--emulate none`), at batch 1 and at the automatic micro-batch, for
 *     issue 11's target case (3 cheap stages, one 3,136-byte fp32 tensor on every hop: see
 *     `loopback-cases.ts`) and for the zoo's `local` model in 3 stages and `remote` in 2 (cuts
 *     where the largest stage has the fewest MACs; their hops carry up to 49 KiB, so their batch-1
 *     figure mixes per-byte and per-frame costs):
 *     (a) runtime CPU overhead per sample per hop = (user+sys CPU of all processes - onnxruntime
 *         compute time) / samples / hops, hops = stages + 1 (coordinator -> stage 0 -> ... -> coordinator),
 *         the compute being the stage models' onnxruntime CPU time measured in this process, twice:
 *         by short-run subtraction (the fixed cost of a run, process start and model load, removed by
 *         subtracting a short run; warm-up beyond the short run stays in) and in steady state
 *         (every process's CPU read during the long run, after a warm-up count of samples, while the
 *         pipeline is full: see `steady-cpu.ts`), with each process's CPU per sample;
 *     (b) pipelined throughput / whole-model onnxruntime throughput in one process (1 thread, same batch);
 *     (c) measured throughput / the bound from the stages' measured compute (target >= 0.9), and
 *         next to it the bound when the run's processes share this machine's cores (the stages'
 *         compute summed over cores, and all processes' measured CPU per sample over cores), and the
 *         runtime CPU per sample per hop that 0.9 x bound leaves on this machine's cores once the stage
 *         models have theirs, next to what sealing and opening the hops' AES-GCM records alone costs
 *         here (`record-cost.ts`), and the ceiling those records and the stage models leave on these
 *         cores (`ceiling.ts`: the best measured / bound if the runtime cost nothing else);
 *     (d) from (a) at both batches: one hop's fixed cost per frame F and the per-byte rest, and F in
 *         bytes, the quantity the automatic batch rule uses (`FRAME_COST_BYTES`);
 *  2. a 2-stage plan over an emulated BLE link (ble-esp32s3: 90 kb/s, 517-byte packets): the
 *     compute vs communication split of the pipeline seed's Fig. 5.
 */
import { cpus, loadavg } from 'node:os';
import { buildGraph } from '../src/graph/build.js';
import { vggSmall } from '../src/graph/builder/architectures.js';
import { profileGraph } from '../src/profile/profile.js';
import type { SampleSource } from '../src/runtime/coordinator.js';
import { FRAME_COST_BYTES, chooseBatch, hopBytesPerSample } from '../src/runtime/micro-batch.js';
import { loadRuntimePlan } from '../src/runtime/plan-dir.js';
import type { RuntimePlan } from '../src/runtime/routes.js';
import { datasetSamples, runPlan, type RunReport } from '../src/runtime/run.js';
import { writePlanDir } from '../test/runtime/plan-fixture.js';
import { stageModelsCpuMs, wholeModel } from './model-cpu.js';
import {
  chain3kCase,
  cycledTestImages,
  rawRunOptions,
  zooCase,
  type LoopbackCase,
} from './loopback-cases.js';
import { NODE_V8_FLAGS } from '../src/runtime/node-process.js';
import { ownNodeFlags, withCliV8Flags } from './cli-v8-flags.js';
import { recordCostPerSampleHopUs } from './record-cost.js';
import { recordsOnlyCeiling } from './ceiling.js';
import { SteadyCpu, cpuMsWithChildren, type SteadyWindow } from './steady-cpu.js';

/** A non-negative integer from the environment variable `name` (a clear exit otherwise), or `fallback`. */
function envCount<T extends number | undefined>(name: string, fallback: T): number | T {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name}: expected a whole number of samples, got '${v}'`);
    process.exit(2);
  }
  return n;
}

// at the automatic batch (~58 for `local`) 3,000 samples were ~50 frames, too few to leave the warm-up
const BENCH_N = envCount('BENCH_SAMPLES', 10000);
// BENCH_BATCHES=1 measures batch 1 only (e.g. on a commit without micro-batching)
const BATCHES = process.env.BENCH_BATCHES === '1' ? [1] : [1, undefined];
// the target case is cheap, and its per-sample CPU keeps falling for 10,000-20,000 samples (V8 still
// optimising once-per-frame code), so its steady window is the second half of 30,000
const TARGET_N = envCount('BENCH_TARGET_SAMPLES', 30000);
// the steady window starts after this many released samples (default: half the run)
const WARMUP = envCount('BENCH_WARMUP', undefined);
const BLE_SAMPLES = envCount('BENCH_BLE_SAMPLES', 8);
const CASES = ['chain3k', 'local', 'remote', 'ble'] as const;
const OVERHEAD_TARGET_US = 100;

/** The cases `BENCH_ONLY` (comma-separated) names; all without it. */
function onlyCases(value: string | undefined): ReadonlySet<string> {
  if (value === undefined || value.trim() === '') return new Set(CASES);
  const names = value.split(',').map((x) => x.trim());
  const bad = names.filter((x) => !(CASES as readonly string[]).includes(x));
  if (bad.length > 0) {
    console.error(
      `BENCH_ONLY: unknown case '${bad.join(',')}' (cases: ${CASES.join(', ')}, comma-separated)`,
    );
    process.exit(2);
  }
  return new Set(names);
}

interface Measured {
  readonly report: RunReport;
  readonly cpuMs: number;
  readonly computeMs: number;
  /** The run's in-flight window in samples. */
  readonly inFlight: number;
}

async function measuredRun(
  plan: RuntimePlan,
  samples: SampleSource,
  batch: number,
  steady?: SteadyCpu,
): Promise<Measured> {
  const before = cpuMsWithChildren();
  const shown = progress(`batch ${batch}`);
  const { run, report } = await runPlan({
    ...rawRunOptions(plan, samples, batch),
    onProgress: (done, total) => {
      steady?.onProgress(done);
      shown(done, total);
    },
    ...(steady ? { onPool: steady.onPool } : {}),
  });
  process.stderr.write('\n');
  // node processes are reaped by now (the run awaits their exit), so their CPU is in cutime/cstime
  await new Promise((r) => setTimeout(r, 200));
  const computeMs = report.stages.reduce((t, st) => t + st.computeMs * st.processed, 0);
  return { report, cpuMs: cpuMsWithChildren() - before, computeMs, inFlight: run.window };
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

/** The steady window's line: overhead, each process's CPU per sample and the onnxruntime share. */
function steadyLine(
  plan: RuntimePlan,
  w: SteadyWindow,
  stageCpu: readonly number[],
  us: number,
  warmup: number,
): string {
  const ortMs = stageCpu.reduce((a, b) => a + b, 0);
  // the devices in plan order, as SteadyCpu was given them
  const nodes = plan.stages
    .flatMap((st, k) => st.devices.map((d) => ({ name: d.name, ortMs: stageCpu[k] / st.devices.length })))
    .map((d, i) => `${d.name} ${w.nodesMs[i].toFixed(3)} (onnxruntime ${d.ortMs.toFixed(3)})`);
  const drift = Math.abs(w.halvesMs[0] - w.halvesMs[1]) / w.halvesMs[1];
  return [
    `    steady state (samples ${w.from}..${w.to} of this run: after a ${warmup}-sample warm-up, pipeline full; ${w.throughputPerS.toFixed(0)}/s): runtime CPU overhead ${us.toFixed(0)} us per sample per hop`,
    `      CPU ms per sample: coordinator ${w.coordinatorMs.toFixed(3)}, ${nodes.join(', ')}; all ${w.allMs.toFixed(3)} (window halves ${w.halvesMs.map((h) => h.toFixed(3)).join(' / ')}), of it onnxruntime ${((100 * ortMs) / w.allMs).toFixed(1)}%${drift > 0.1 ? `; the halves differ by ${(100 * drift).toFixed(0)}%: not steady yet, run more samples` : ''}`,
  ].join('\n');
}

/** One hop's fixed cost per frame and per-byte rest, from the overheads at batch 1 and at a batch k > 1. */
function frameLine(
  label: string,
  overheads: readonly { batch: number; us: number }[],
  plan: RuntimePlan,
): void {
  const one = overheads.find((o) => o.batch === 1);
  const many = overheads.find((o) => o.batch > 1);
  const hopBytes = hopBytesPerSample(plan);
  if (!one || !many || !hopBytes) return;
  const k = many.batch;
  const frameUs = ((one.us - many.us) * k) / (k - 1);
  const meanKiB = hopBytes.reduce((a, b) => a + b, 0) / hopBytes.length / 1024;
  const perKiB = (many.us - frameUs / k) / meanKiB;
  console.log(
    `  per hop (${label}): fixed cost per frame ${frameUs.toFixed(0)} us, per sample the rest ${perKiB.toFixed(2)} us per KiB (mean ${meanKiB.toFixed(1)} KiB per hop) -> a frame costs as much as ${(frameUs / perKiB).toFixed(0)} KiB (the auto batch rule assumes ${FRAME_COST_BYTES / 1024} KiB)`,
  );
}

/** One of issue 11's hot-path targets as this run measured it. */
interface TargetRatio {
  readonly what: string;
  readonly value: number;
  /** `<=` or `>=` the bound. */
  readonly rule: '<=' | '>=';
  readonly bound: number;
  /** What else the line says (e.g. the budget a target leaves on this machine). */
  readonly note?: string;
}

/** The targets this run measured, printed together at the end. */
const targets: TargetRatio[] = [];

function targetLine(t: TargetRatio): string {
  const met = t.rule === '<=' ? t.value <= t.bound : t.value >= t.bound;
  return `  ${t.what} = ${t.value.toFixed(3)} (target ${t.rule} ${t.bound}: ${met ? 'met' : 'not met'}${t.note ? `; ${t.note}` : ''})`;
}

/** One loopback case: overhead (two ways), pipelined/whole-model, measured/bound, at each batch. */
async function loopbackCase(c: LoopbackCase): Promise<void> {
  const fx = writePlanDir(c.model, { cuts: [...c.cuts] });
  const plan = loadRuntimePlan(fx.dir);
  const N = c.samples ?? BENCH_N;
  const SHORT = Math.min(200, Math.floor(N / 10));
  const warmup = WARMUP ?? Math.floor(N / 2);
  const samples = cycledTestImages(plan, N);
  const stages = plan.stages.length;
  const hops = stages + 1;
  const hopBytes = hopBytesPerSample(plan);
  const devices = plan.stages.flatMap((st) => st.devices.map((d) => d.name));
  console.log(`loopback, ${c.title}, ${N} samples, --emulate none (hops per sample: ${hops})`);
  const shortRun: { batch: number; us: number }[] = [];
  const steadyRun: { batch: number; us: number }[] = [];
  for (const requested of BATCHES) {
    // the automatic batch of the long run, used for the short run too so the two differ only in samples
    const batch = chooseBatch(plan, requested, false, N);
    const loadBefore = load();
    const { ms: whole, cpuMs: wholeCpu } = await wholeModel(c.model, plan, Math.min(N, 800), batch);
    const stageCpuPer = await stageModelsCpuMs(plan, Math.min(N, 800), batch);
    const stageCpu = stageCpuPer.reduce((a, b) => a + b, 0);
    const small = await measuredRun(plan, firstN(samples, SHORT), batch);
    const steady = new SteadyCpu(devices, warmup);
    const big = await measuredRun(plan, samples, batch, steady);
    const overheadUs = (1000 * (big.cpuMs - small.cpuMs - (N - SHORT) * stageCpu)) / ((N - SHORT) * hops);
    // the same with the nodes' measured compute (wall time: too high on a loaded host, so this is too low)
    const overheadWallUs =
      (1000 * (big.cpuMs - small.cpuMs - (big.computeMs - small.computeMs))) / ((N - SHORT) * hops);
    shortRun.push({ batch, us: overheadUs });
    const win = steady.window(N, big.inFlight);
    const steadyUs = typeof win === 'string' ? undefined : (1000 * (win.allMs - stageCpu)) / hops;
    if (steadyUs !== undefined) steadyRun.push({ batch, us: steadyUs });
    const r = big.report;
    const perHopKiB = r.links.map((l) => (l.bytesPerSample / 1024).toFixed(1)).join(' / ');
    if (c.overheadTarget && batch === 1) {
      const figure = steadyUs ?? overheadUs;
      targets.push({
        what: `${c.name} batch-1 overhead per sample per hop (${steadyUs !== undefined ? 'steady state' : 'short-run subtraction'}) / ${OVERHEAD_TARGET_US} us`,
        value: figure / OVERHEAD_TARGET_US,
        rule: '<=',
        bound: 1,
      });
      console.log(
        `  TARGET hot path (issue 11): batch-1 runtime CPU overhead per sample per hop, ${hopBytes?.join(' / ')} B fp32 per hop = ${figure.toFixed(0)} us ${steadyUs !== undefined ? 'steady state' : 'by short-run subtraction (no steady window)'} (${overheadUs.toFixed(0)} us by short-run subtraction) -> / ${OVERHEAD_TARGET_US} us target = ${(figure / OVERHEAD_TARGET_US).toFixed(2)} (target <= 1)`,
      );
    }
    console.log(
      `  batch ${batch}${requested === undefined ? ' (auto)' : ''}: runtime CPU overhead by short-run subtraction ${overheadUs.toFixed(0)} us per sample per hop (warm-up after the first ${SHORT} samples included; ${overheadWallUs.toFixed(0)} with the nodes' wall-clock compute); tensors per hop ${perHopKiB} KiB${c.overheadTarget ? '' : ' (per-byte and per-frame costs mixed: the 3 KB target case is chain3k)'}`,
    );
    console.log(
      `    CPU ${big.cpuMs.toFixed(0)} ms (all processes, minus a ${SHORT}-sample run's ${small.cpuMs.toFixed(0)} ms), stage models' onnxruntime CPU ${stageCpu.toFixed(3)} ms per sample (nodes' wall clock: ${big.computeMs.toFixed(0)} - ${small.computeMs.toFixed(0)} ms)`,
    );
    console.log(
      typeof win === 'string' ? `    ${win}` : steadyLine(plan, win, stageCpuPer, steadyUs!, warmup),
    );
    // what cutting the model costs by itself, before any runtime: the stage models vs the whole one
    console.log(
      `    stage models / whole model onnxruntime CPU in one process = ${(stageCpu / wholeCpu).toFixed(2)} (${stageCpu.toFixed(3)} / ${wholeCpu.toFixed(3)} ms per sample): with ${cpus().length} cores and no runtime cost at all, pipelined / whole model <= ${((cpus().length * wholeCpu) / stageCpu).toFixed(2)}`,
    );
    console.log(
      `    pipelined ${r.throughputPerS.toFixed(1)}/s / whole model in one process ${(1000 / whole).toFixed(1)}/s (1 thread, batch ${batch}) = ${((r.throughputPerS * whole) / 1000).toFixed(3)} (${c.wholeTarget !== undefined ? `target >= ${c.wholeTarget} with auto batch` : 'no target for this case'})`,
    );
    console.log(
      `    measured/bound = ${(r.throughputPerS / r.boundThroughputPerS).toFixed(3)} (bound ${r.boundThroughputPerS.toFixed(1)}/s from stage compute ${r.stages.map((x) => x.computeMs.toFixed(3)).join(' + ')} ms; target >= 0.9); latency p50 ${r.latencyMs.p50.toFixed(2)} ms`,
    );
    // the CPU 0.9 x bound leaves the runtime when all of the run's processes share this machine's cores
    const cores = cpus().length;
    const cpuAllowedMs = (1000 * cores) / (0.9 * r.boundThroughputPerS);
    const budgetUs = (cpuAllowedMs - stageCpu) * (1000 / hops);
    const recordUs = hopBytes ? recordCostPerSampleHopUs(hopBytes, batch) : undefined;
    const measuredUs = steadyUs ?? overheadUs;
    const budget = `on ${cores} cores 0.9 x bound leaves the runtime ${budgetUs > 0 ? budgetUs.toFixed(1) : `nothing (${budgetUs.toFixed(1)}: the stage models alone need more)`} us per sample per hop (measured ${measuredUs.toFixed(1)}${recordUs !== undefined ? `; sealing and opening its AES-GCM records alone costs ${recordUs.toFixed(1)}` : ''})`;
    console.log(
      `    ${budget}: all processes' CPU may be ${cpuAllowedMs.toFixed(3)} ms per sample, the stage models take ${stageCpu.toFixed(3)} of it`,
    );
    // the records' CPU per sample over all hops
    const recordMs = recordUs === undefined ? undefined : (recordUs * hops) / 1000;
    const ceiling =
      recordMs === undefined
        ? undefined
        : recordsOnlyCeiling(
            cores,
            plan.stages.map((st, k) => ({ cpuMs: stageCpuPer[k], replicas: st.devices.length })),
            recordMs,
          );
    const ceilingNote = ceiling
      ? `with no runtime cost but its records, ${cores} cores allow at most ${ceiling.vsCpuBound.toFixed(3)} of the bound from the stage models' CPU`
      : undefined;
    if (ceiling)
      console.log(
        `    ceiling: if the runtime cost nothing but its AES-GCM records (${recordMs!.toFixed(3)} ms per sample), the stage models and the records on ${cores} cores allow ${ceiling.throughputPerS.toFixed(1)}/s = ${ceiling.vsCpuBound.toFixed(3)} x the bound from the stage models' CPU in one process (${ceiling.cpuBoundPerS.toFixed(1)}/s; this run's bound, ${r.boundThroughputPerS.toFixed(1)}/s, comes from the nodes' wall-clock compute, which waiting for a core inflates)`,
      );
    if (c.wholeTarget !== undefined && requested === undefined)
      targets.push(
        {
          what: `${c.name} auto batch (${batch}) pipelined / whole model`,
          value: (r.throughputPerS * whole) / 1000,
          rule: '>=',
          bound: c.wholeTarget,
        },
        {
          what: `${c.name} auto batch (${batch}) measured / bound`,
          value: r.throughputPerS / r.boundThroughputPerS,
          rule: '>=',
          bound: 0.9,
          note: ceilingNote ? `${budget}; ${ceilingNote}` : budget,
        },
      );
    // the bound above gives every stage a core; here the run's processes share this machine's cores
    const procs = plan.stages.reduce((n, st) => n + st.devices.length, 1);
    const computeSum = r.stages.reduce((t, x) => t + x.computeMs, 0);
    const sharedBound = Math.min(r.boundThroughputPerS, (1000 * cores) / computeSum);
    const cpuPerSample = (big.cpuMs - small.cpuMs) / (N - SHORT);
    const cpuBound = (1000 * cores) / cpuPerSample;
    console.log(
      `    ${procs} processes on ${cores} cores: stage compute alone allows ${sharedBound.toFixed(1)}/s (measured/that ${(r.throughputPerS / sharedBound).toFixed(3)}); all processes' CPU ${cpuPerSample.toFixed(3)} ms per sample allows ${cpuBound.toFixed(1)}/s (measured/that ${(r.throughputPerS / cpuBound).toFixed(3)}); load average ${loadBefore} -> ${load()}`,
    );
  }
  frameLine('short-run subtraction', shortRun, plan);
  frameLine('steady state', steadyRun, plan);
}

/** A 2-stage plan over an emulated BLE link: the compute vs communication split. */
async function bleCase(): Promise<void> {
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

async function main(): Promise<void> {
  const only = onlyCases(process.env.BENCH_ONLY);
  const loads = loadavg().map((l) => l.toFixed(2));
  const own = ownNodeFlags();
  const flags =
    own.length === 0
      ? "node's default V8 flags"
      : `${own.join(' ')}${NODE_V8_FLAGS.every((f) => own.includes(f)) ? " (the CLI's)" : ''}`;
  console.log(
    `machine: ${cpus().length} cores, load average ${loads.join(' ')}; this process (the coordinator) runs with ${flags}`,
  );
  if (only.has('chain3k')) await loopbackCase(chain3kCase(TARGET_N));
  if (only.has('local')) await loopbackCase(zooCase('local', 3, 0.5));
  if (only.has('remote')) await loopbackCase(zooCase('remote', 2, 0.8));
  if (targets.length > 0) {
    console.log(`issue 11 hot-path targets, this run (load average now ${load()}):`);
    for (const t of targets) console.log(targetLine(t));
  }
  if (only.has('ble')) await bleCase();
}

withCliV8Flags();
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
