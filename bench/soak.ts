/**
 * Soak benchmark (not a test; run with `npx tsx bench/soak.ts` after `npm run build`, because local
 * nodes run the built node entry). Streams SOAK_SAMPLES (default 100,000) Fashion-MNIST test images
 * (the 10,000 cycled) through a 3-stage plan of models/local.onnx with two replicas of stages 0 and 1
 * on five local node processes, keeping no outputs and no timeline records (as `edgesplit run`
 * does without --trace), and prints the resident set size of every process at 10% and 100% of the
 * run (and at 50%, to tell a plateau from a steady climb) and its growth: memory must be bounded by
 * the window, not the stream (target < 10% each).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { float32Tensor } from '../src/core/tensor.js';
import { loadDataset } from '../src/data/datasets.js';
import { packageRoot } from '../src/data/package-root.js';
import { buildGraph } from '../src/graph/build.js';
import { loadModelFile } from '../src/onnx/io.js';
import type { SampleSource } from '../src/runtime/coordinator.js';
import type { LocalPool } from '../src/runtime/local-nodes.js';
import { loadRuntimePlan } from '../src/runtime/plan-dir.js';
import { runPlan } from '../src/runtime/run.js';
import { writePlanDir } from '../test/runtime/plan-fixture.js';

const N = Number(process.env.SOAK_SAMPLES ?? 100_000);

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const model = await loadModelFile(join(packageRoot(), 'models', 'local.onnx'));
const n = buildGraph(model).nodes.length;
const fx = writePlanDir(model, { cuts: [Math.floor(n / 3), Math.floor((2 * n) / 3)], replicas: [2, 2, 1] });
const plan = loadRuntimePlan(fx.dir);
const data = loadDataset('fashion-mnist-test');
const per = data.height * data.width;
const name = plan.graphInputs[0].name;
const samples: SampleSource = {
  count: N,
  input: (i) => {
    const j = i % data.count;
    return {
      [name]: float32Tensor([1, 1, data.height, data.width], data.images.subarray(j * per, (j + 1) * per)),
    };
  },
  label: (i) => data.labels[i % data.count],
};

let pool: LocalPool | undefined;
const processes = () => [
  { name: 'coordinator', pid: process.pid },
  ...fx.devices.flat().map((d) => ({ name: d, pid: pool!.pid(d)! })),
];
const at10 = new Map<string, number>();
const at50 = new Map<string, number>();
const at100 = new Map<string, number>();
const t0 = performance.now();
const { report } = await runPlan({
  plan,
  samples,
  keepOutputs: false,
  keepRecords: false,
  onPool: (p) => (pool = p as LocalPool),
  onProgress: (done) => {
    if (done === Math.floor(N / 10)) for (const p of processes()) at10.set(p.name, rssBytes(p.pid));
    if (done === Math.floor(N / 2)) for (const p of processes()) at50.set(p.name, rssBytes(p.pid));
    if (done === N) for (const p of processes()) at100.set(p.name, rssBytes(p.pid));
    if (done % 10_000 === 0)
      process.stderr.write(`soak: ${done}/${N} samples, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  },
});
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
process.stdout.write(
  `soak: ${report.samples} samples, lost ${report.lost}, duplicates ${report.duplicates}, accuracy ${report.accuracy?.toFixed(4)}, ${report.throughputPerS.toFixed(0)} samples/s\n`,
);
process.stdout.write('process       RSS at 10% (MB)  at 50% (MB)  at 100% (MB)  growth 10->100%  50->100%\n');
let worst = 0;
for (const [p, a] of at10) {
  const h = at50.get(p)!;
  const b = at100.get(p)!;
  const growth = (b - a) / a;
  worst = Math.max(worst, growth);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  process.stdout.write(
    `${p.padEnd(12)}  ${mb(a).padStart(15)}  ${mb(h).padStart(11)}  ${mb(b).padStart(12)}  ${pct(growth).padStart(15)}  ${pct((b - h) / h).padStart(8)}\n`,
  );
}
process.stdout.write(`largest growth ${(100 * worst).toFixed(1)}% (target < 10%)\n`);
