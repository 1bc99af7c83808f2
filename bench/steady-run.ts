/**
 * One long loopback run of a `bench/pipeline.ts` case and its steady-state CPU per process, for
 * comparing settings run against run (V8 flags, environment): `STEADY_CASE=chain3k|local|remote`
 * (default chain3k), `STEADY_BATCH` (default 1), `STEADY_SAMPLES` (default 30000; past 10,000 the test
 * images repeat). Needs `npm run build` first (the nodes run the built CLI). Unlike
 * `bench/pipeline.ts` it runs with whatever flags it was started with, e.g.
 *
 *   node --max-semi-space-size=8 --import tsx bench/steady-run.ts
 *
 * and prints one line: steady throughput, CPU ms per sample of the coordinator (this process) and of
 * each node, all processes together, and the whole run's throughput and wall time.
 */
import {
  chain3kCase,
  cycledTestImages,
  rawRunOptions,
  zooCase,
  type LoopbackCase,
} from './loopback-cases.js';
import { SteadyCpu } from './steady-cpu.js';
import { loadRuntimePlan } from '../src/runtime/plan-dir.js';
import { runPlan } from '../src/runtime/run.js';
import { writePlanDir } from '../test/runtime/plan-fixture.js';

const CASES: Record<string, (samples: number) => LoopbackCase> = {
  chain3k: (n) => chain3kCase(n),
  local: () => zooCase('local', 3, 0.5),
  remote: () => zooCase('remote', 2, 0.8),
};

function envInt(name: string, fallback: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`${name}: expected a whole number >= ${min}, got '${v}'`);
    process.exit(2);
  }
  return n;
}

const name = process.env.STEADY_CASE ?? 'chain3k';
if (!(name in CASES)) {
  console.error(`STEADY_CASE: unknown case '${name}' (cases: ${Object.keys(CASES).join(', ')})`);
  process.exit(2);
}
const batch = envInt('STEADY_BATCH', 1, 1);
const n = envInt('STEADY_SAMPLES', 30000, 400);
const c = CASES[name](n);
const plan = loadRuntimePlan(writePlanDir(c.model, { cuts: [...c.cuts] }).dir);
const devices = plan.stages.flatMap((st) => st.devices.map((d) => d.name));
const steady = new SteadyCpu(devices, Math.floor(n / 2));
const t0 = performance.now();
const { run, report } = await runPlan({
  ...rawRunOptions(plan, cycledTestImages(plan, n), batch),
  onProgress: steady.onProgress,
  onPool: steady.onPool,
});
const w = steady.window(n, run.window);
const wall = ((performance.now() - t0) / 1000).toFixed(1);
if (typeof w === 'string') console.log(`${name} batch ${batch}, ${n} samples: ${w}`);
else
  console.log(
    `${name} batch ${batch}, ${n} samples: steady ${w.throughputPerS.toFixed(0)}/s; CPU ms per sample: coordinator ${w.coordinatorMs.toFixed(3)}, nodes ${w.nodesMs.map((x) => x.toFixed(3)).join(' ')}, all ${w.allMs.toFixed(3)}; run ${report.throughputPerS.toFixed(0)}/s in ${wall} s`,
  );
