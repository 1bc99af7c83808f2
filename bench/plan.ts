/**
 * Planner benchmark (`npx tsx bench/plan.ts`): plans a 1,000-node residual graph over 8 devices for
 * every objective and prints the time and its ratio to the 1 s target (issue 5). One warm-up run,
 * then the median of 3 timed runs per case.
 */
import { loadDeviceCatalog, getLink } from '../src/catalog/index.js';
import { buildGraph } from '../src/graph/build.js';
import { ModelBuilder } from '../src/graph/builder/builder.js';
import { profileGraph } from '../src/profile/profile.js';
import {
  OBJECTIVES,
  parseDeviceSpec,
  partitionProblem,
  planPipeline,
  uniformPool,
  type PartitionProblem,
} from '../src/strategy/plan/index.js';

const TARGET_S = 1;

function residualNet(nodes: number): ReturnType<ModelBuilder['build']> {
  const b = new ModelBuilder({ name: 'bench-resnet', seed: 1, externalDataFile: 'weights.bin' });
  let x = b.input('input', ['N', 32, 16, 16]);
  // each block is conv, bn, relu, conv, bn, add, relu: 7 nodes; the head is pool, flatten, gemm, identity
  const blocks = Math.floor((nodes - 4) / 7);
  for (let i = 0; i < blocks; i++) {
    const y = b.batchNorm(
      b.conv(b.relu(b.batchNorm(b.conv(x, { out: 32, kernel: 3, bias: false }))), {
        out: 32,
        kernel: 3,
        bias: false,
      }),
    );
    x = b.relu(b.add(y, x));
  }
  for (let i = 4 + 7 * blocks; i < nodes; i++) x = b.relu(x);
  b.output(b.gemm(b.flatten(b.globalAvgPool(x)), { out: 10 }), 'logits');
  return b.build();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  fn();
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    runs.push((performance.now() - t0) / 1000);
  }
  return median(runs);
}

const t0 = performance.now();
const graph = buildGraph(residualNet(1000), 'bench-resnet');
const problem: PartitionProblem = partitionProblem(
  graph,
  profileGraph(graph, { activationBits: 16, weightBits: 32 }),
);
const prepS = (performance.now() - t0) / 1000;
const weights = problem.nodes.reduce((a, n) => a + n.weightBytes, 0);
console.log(
  `graph: ${graph.nodes.length} nodes, ${(weights / 1e6).toFixed(2)} MB of 32-bit weights; build + profile ${prepS.toFixed(3)} s`,
);

const catalog = loadDeviceCatalog();
const link = getLink('ble-esp32s3');
const rows: string[][] = [];
for (const spec of ['esp32s3x8', 'esp32s3x4,nano33blex4']) {
  const pool = uniformPool(parseDeviceSpec(spec, catalog), link);
  for (const objective of OBJECTIVES) {
    let stages = 0;
    const s = time(() => {
      stages = planPipeline(problem, pool, { objective, pareto: false }).plan.stages.length;
    });
    rows.push([spec, objective, String(stages), s.toFixed(3), (s / TARGET_S).toFixed(3)]);
  }
  const all = time(() => planPipeline(problem, pool, { objective: 'devices', pareto: true }));
  rows.push([spec, 'all five + Pareto', '-', all.toFixed(3), (all / TARGET_S).toFixed(3)]);
}
const header = ['devices', 'objective', 'stages', 'time s', 'time / 1 s target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
