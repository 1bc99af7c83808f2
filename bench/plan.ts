/**
 * Planner benchmark (`npx tsx bench/plan.ts`): plans a 1,000-node residual graph over 8 devices for
 * every objective and prints the time and its ratio to the 1 s target (issue 5; one warm-up run,
 * then the median of 3 timed runs per case); times the exact joint partition + placement on a
 * topology of 8 mixed devices (issue 12); measures the median-link heuristic's gap to the exact
 * joint optimum on random mixed topologies; and compares the seed's Table I with the tool's
 * `--memory-model seed` accounting and its own partition.
 */
import { loadDeviceCatalog, getLink } from '../src/catalog/index.js';
import { buildGraph } from '../src/graph/build.js';
import { mobilenetV1 } from '../src/graph/builder/architectures.js';
import { ModelBuilder } from '../src/graph/builder/builder.js';
import { mulberry32 } from '../src/core/random.js';
import { profileGraph } from '../src/profile/profile.js';
import {
  OBJECTIVES,
  evaluatePlan,
  objectiveValue,
  parseDeviceSpec,
  StageCosts,
  type DevicePool,
  type PairLink,
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

/** A topology of `devices` with seeded random pair throughputs between 20 kb/s and 2 Mb/s. */
function randomTopology(devices: DevicePool['devices'], seed: number, base = link): DevicePool {
  const r = mulberry32(seed);
  const pairs = new Map<string, PairLink>();
  devices.forEach((a, i) =>
    devices.forEach((b, j) => {
      if (j <= i) return;
      const p: PairLink = { link: { ...base, throughputBps: 2e4 + r() * 2e6 }, origin: 'measured' };
      pairs.set(`${a.name}|${b.name}`, p);
      pairs.set(`${b.name}|${a.name}`, p);
    }),
  );
  return { devices, link: base, pairLink: (from, to) => pairs.get(`${from}|${to}`) };
}

console.log(
  '\nexact joint partition + placement, topology of 8 mixed devices (esp32s3x4,nano33blex4, random pair links), one run each',
);
const mixed = randomTopology(parseDeviceSpec('esp32s3x4,nano33blex4', catalog), 7);
const jrows: string[][] = [];
for (const objective of OBJECTIVES) {
  let exact = 0;
  let heur = 0;
  const t1 = performance.now();
  const e = planPipeline(problem, mixed, { objective, pareto: false, replicas: 'none' });
  const exactS = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const h = planPipeline(problem, mixed, { objective, pareto: false, replicas: 'none', heuristic: true });
  const heurS = (performance.now() - t2) / 1000;
  exact = objectiveValue(e.plan.metrics, objective);
  heur = objectiveValue(h.plan.metrics, objective);
  jrows.push([
    objective,
    String(e.plan.stages.length),
    exactS.toFixed(3),
    heurS.toFixed(3),
    (heur / exact).toFixed(3),
  ]);
}
const jh = ['objective', 'stages', 'exact s', 'heuristic s', 'heuristic / exact value'];
const jw = jh.map((h, i) => Math.max(h.length, ...jrows.map((r) => r[i].length)));
for (const r of [jh, ...jrows]) console.log(r.map((c, i) => c.padEnd(jw[i])).join('  '));

console.log(
  '\nheuristic gap on random instances: 40 nodes, 8 devices of 3 types, random pair links, 30 instances',
);
const types = ['esp32s3', 'esp32', 'nano33ble'].map((id) => catalog.get(id));
const gaps = new Map(OBJECTIVES.map((o) => [o, [] as number[]]));
for (let seed = 1; seed <= 30; seed++) {
  const r = mulberry32(seed);
  const int = (lo: number, hi: number) => Math.floor(lo + r() * (hi - lo));
  const p: PartitionProblem = {
    model: `random-${seed}`,
    activationBits: 16,
    weightBits: 8,
    nodes: Array.from({ length: 40 }, (_, k) => ({
      name: `n${k}`,
      op: 'Conv',
      macs: int(1e5, 2e7),
      ops: int(0, 1e6),
      weightBytes: int(0, 200_000),
      liveBytes: int(10_000, 200_000),
    })),
    cutBytes: Array.from({ length: 41 }, () => int(500, 60_000)),
  };
  const devices = Array.from({ length: 8 }, (_, i) => {
    const spec = types[int(0, types.length)];
    return { name: `${spec.id}-${i}`, spec };
  });
  const pool = randomTopology(devices, 100 + seed);
  for (const objective of OBJECTIVES) {
    try {
      const e = objectiveValue(
        planPipeline(p, pool, { objective, pareto: false, replicas: 'none' }).plan.metrics,
        objective,
      );
      const h = objectiveValue(
        planPipeline(p, pool, { objective, pareto: false, replicas: 'none', heuristic: true }).plan.metrics,
        objective,
      );
      gaps.get(objective)!.push(e === 0 ? (h === 0 ? 1 : Infinity) : h / e);
    } catch {
      // infeasible for both: nothing to compare
    }
  }
}
const grows = OBJECTIVES.map((o) => {
  const g = gaps.get(o)!;
  const mean = g.reduce((a, b) => a + b, 0) / Math.max(1, g.length);
  return [
    o,
    String(g.length),
    mean.toFixed(3),
    Math.max(...g).toFixed(3),
    String(g.filter((x) => x > 1 + 1e-6).length),
  ];
});
const gh = ['objective', 'instances', 'mean heuristic/exact', 'max', 'worse than exact'];
const gw = gh.map((h, i) => Math.max(h.length, ...grows.map((r) => r[i].length)));
for (const r of [gh, ...grows]) console.log(r.map((c, i) => c.padEnd(gw[i])).join('  '));

console.log(
  '\nseed Table I: MobileNetV1 128 px, 10 classes, int16 weights and activations, ESP32-S3, --memory-model seed',
);
const mgraph = buildGraph(mobilenetV1({ size: 128, classes: 10 }), 'mobilenetv1-128');
const mproblem = partitionProblem(
  mgraph,
  profileGraph(mgraph, { activationBits: 16, weightBits: 16 }),
  'seed',
);
const esp = catalog.get('esp32s3');
const mcosts = new StageCosts(mproblem, [esp], link);
const bounds = [0, 22, 30, 38, 50, mgraph.nodes.length];
const tableI = [1.13, 1.37, 1.69, 2.73, 2.42];
const seedLayers = ['1-23', '24-37', '38-49', '50-59', '60-67'];
const trows = tableI.map((mb, i) => {
  const [a, b] = [bounds[i], bounds[i + 1]];
  const bytes = mcosts.weightBytes(a, b) + esp.runtimeOverheadBytes + mcosts.peakBytes(a, b);
  return [
    `device ${i + 1}`,
    seedLayers[i],
    `${a}..${b - 1}`,
    mb.toFixed(2),
    (bytes / 1e6).toFixed(2),
    (bytes / 1e6 / mb).toFixed(3),
  ];
});
const th = ['stage', 'seed layers', 'our nodes', 'Table I MB', 'tool MB', 'ratio'];
const tw = th.map((h, i) => Math.max(h.length, ...trows.map((r) => r[i].length)));
for (const r of [th, ...trows]) console.log(r.map((c, i) => c.padEnd(tw[i])).join('  '));
const espPool = uniformPool(parseDeviceSpec('esp32s3x5', catalog), link);
const seedPlan = evaluatePlan(
  bounds.slice(0, -1).map((a, i) => ({
    start: a,
    end: bounds[i + 1],
    type: 'esp32s3',
    replicas: 1,
    devices: [`esp32s3-${i + 1}`],
  })),
  espPool,
  mcosts,
);
const prow = (name: string, m: typeof seedPlan.metrics, cuts: number[]) => [
  name,
  String(m.devices),
  cuts.join(','),
  m.totalBytes.toLocaleString('en-US'),
  (m.latencyS * 1000).toFixed(1),
  (1 / m.throughputPerS).toFixed(3),
  String(m.bottleneckStage),
];
const own = (objective: 'devices' | 'latency') =>
  planPipeline(mproblem, espPool, { objective, replicas: 'none', pareto: false }).plan;
const ownD = own('devices');
const ownL = own('latency');
const cutsOf = (p: typeof ownD) => p.stages.slice(1).map((s) => s.start);
const prows = [
  prow("seed's five stages", seedPlan.metrics, bounds.slice(1, -1)),
  prow('tool, --objective devices', ownD.metrics, cutsOf(ownD)),
  prow('tool, --objective latency', ownL.metrics, cutsOf(ownL)),
];
const ph = [
  'partition (esp32s3x5, ble-esp32s3)',
  'devices',
  'cuts',
  'bytes sent',
  'latency ms',
  'bottleneck s',
  'bottleneck stage',
];
const pw = ph.map((h, i) => Math.max(h.length, ...prows.map((r) => r[i].length)));
for (const r of [ph, ...prows]) console.log(r.map((c, i) => c.padEnd(pw[i])).join('  '));
console.log(
  `seed / tool (latency objective): ${(seedPlan.metrics.totalBytes / ownL.metrics.totalBytes).toFixed(1)}x the bytes, ${(seedPlan.metrics.latencyS / ownL.metrics.latencyS).toFixed(1)}x the latency`,
);
