/**
 * Issue 12 rows 1 and 3: on topologies of named devices the planner chooses cuts and devices jointly
 * (ratio 1.00 against a brute force written here), replicas are costed on the pair links they use,
 * and the chosen plan is never worse than the same run without replicas, than greedy, or than any
 * plan it lists.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceSpec } from '../../src/catalog/schema.js';
import { getLink } from '../../src/catalog/index.js';
import { computeCost, transferCost } from '../../src/cost/device-cost.js';
import { buildGraph } from '../../src/graph/build.js';
import { resnet18 } from '../../src/graph/builder/architectures.js';
import { profileGraph } from '../../src/profile/profile.js';
import {
  OBJECTIVES,
  evaluatePlan,
  objectiveValue,
  searchLink,
  StageCosts,
  partitionProblem,
  planPipeline,
  type DevicePool,
  type Objective,
  type PairLink,
  type PartitionProblem,
  type PlanResult,
} from '../../src/strategy/plan/index.js';
import { rng } from './exhaustive.js';
import { device, randomProblem } from './helpers.js';

const wifi = getLink('wifi');

/** A topology pool from an explicit pair-throughput table (undefined: the pair cannot talk). */
function topology(
  devices: { name: string; spec: DeviceSpec }[],
  bps: (a: number, b: number) => number | undefined,
): DevicePool {
  const index = new Map(devices.map((d, i) => [d.name, i]));
  const cache = new Map<string, PairLink | undefined>();
  return {
    devices,
    link: wifi,
    pairLink: (from, to) => {
      const [a, b] = [index.get(from)!, index.get(to)!].sort((x, y) => x - y);
      const key = `${a},${b}`;
      if (!cache.has(key)) {
        const t = bps(a, b);
        cache.set(
          key,
          t === undefined ? undefined : { link: { ...wifi, throughputBps: t }, origin: 'measured' },
        );
      }
      return cache.get(key);
    },
  };
}

const TYPES: DeviceSpec[] = [
  device('tiny', { flash: 230_000, sram: 45_000, overhead: 20_000, macsPerS: 2e6, powerW: 0.12 }),
  device('mid', { flash: 420_000, sram: 60_000, overhead: 30_000, macsPerS: 6e6, powerW: 0.3 }),
  device('fast', { flash: 300_000, sram: 50_000, overhead: 10_000, macsPerS: 2e7, powerW: 1.1 }),
];

function randomTopology(seed: number, count: number): DevicePool {
  const r = rng(seed);
  const devices = Array.from({ length: count }, (_, i) => {
    const spec = TYPES[Math.floor(r() * TYPES.length)];
    return { name: `${spec.id}-${i}`, spec };
  });
  const table = new Map<string, number | undefined>();
  for (let a = 0; a < count; a++)
    for (let b = a + 1; b < count; b++) table.set(`${a},${b}`, r() < 0.15 ? undefined : 2e4 + r() * 3e6);
  return topology(devices, (a, b) => table.get(`${a},${b}`));
}

/** Brute force: every partition into consecutive stages, every injective choice of devices, scored here. */
function bruteForce(p: PartitionProblem, pool: DevicePool, objective: Objective): number | undefined {
  const n = p.nodes.length;
  const D = pool.devices.length;
  const fits = (spec: DeviceSpec, a: number, b: number) => {
    let w = 0;
    let peak = 0;
    for (let k = a; k < b; k++) {
      w += p.nodes[k].weightBytes;
      peak = Math.max(peak, p.nodes[k].liveBytes);
    }
    return w + spec.runtimeOverheadBytes <= spec.flashBytes && peak <= spec.sramBytes;
  };
  let best: number | undefined;
  const stages: { a: number; b: number; d: number }[] = [];
  const score = () => {
    const send = (i: number) => {
      if (i + 1 >= stages.length) return { timeS: 0, energyJ: 0 };
      const l = pool.pairLink!(pool.devices[stages[i].d].name, pool.devices[stages[i + 1].d].name)!;
      return transferCost(l.link, p.cutBytes[stages[i].b]);
    };
    let lat = 0;
    let cycle = 0;
    let energy = 0;
    let bytes = 0;
    stages.forEach((s, i) => {
      let macs = 0;
      let ops = 0;
      for (let k = s.a; k < s.b; k++) {
        macs += p.nodes[k].macs;
        ops += p.nodes[k].ops;
      }
      const c = computeCost(pool.devices[s.d].spec, macs, ops);
      const out = send(i);
      const recv = i === 0 ? 0 : send(i - 1).timeS;
      lat += c.timeS + out.timeS;
      cycle = Math.max(cycle, recv + c.timeS + out.timeS);
      energy = Math.max(energy, c.energyJ + out.energyJ);
      if (s.b < n) bytes += p.cutBytes[s.b];
    });
    const v = { devices: stages.length, bytes, latency: lat, throughput: cycle, energy }[objective];
    if (best === undefined || v < best) best = v;
  };
  const rec = (a: number, used: number) => {
    if (a === n) return score();
    for (let b = a + 1; b <= n; b++) {
      for (let d = 0; d < D; d++) {
        if (used & (1 << d) || !fits(pool.devices[d].spec, a, b)) continue;
        const prev = stages[stages.length - 1];
        if (prev && !pool.pairLink!(pool.devices[prev.d].name, pool.devices[d].name)) continue;
        stages.push({ a, b, d });
        rec(b, used | (1 << d));
        stages.pop();
      }
    }
  };
  rec(0, 0);
  return best;
}

/** The plan's value for its objective (throughput scored as the bottleneck cycle time). */
const valueOf = (r: PlanResult) => objectiveValue(r.plan.metrics, r.objective);

describe('joint partition + placement on mixed topologies (row 3)', () => {
  it('equals a brute force over cuts x devices on random topologies of <= 6 devices: ratio 1.00 for every objective', () => {
    let compared = 0;
    for (let seed = 1; seed <= 14; seed++) {
      const count = 3 + (seed % 4);
      const p = randomProblem(seed, 5 + (seed % 3));
      const pool = randomTopology(1000 + seed, count);
      for (const objective of OBJECTIVES) {
        const ref = bruteForce(p, pool, objective);
        let mine: number | undefined;
        try {
          mine = valueOf(planPipeline(p, pool, { objective, replicas: 'none', pareto: false }));
        } catch {
          mine = undefined;
        }
        expect(
          mine === undefined,
          `seed ${seed} ${objective}: planner and brute force disagree on feasibility`,
        ).toBe(ref === undefined);
        if (ref === undefined || mine === undefined) continue;
        const ratio = ref === 0 ? (mine === 0 ? 1 : Infinity) : mine / ref;
        expect(ratio, `seed ${seed} (${count} devices) ${objective}`).toBeCloseTo(1, 6);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });
});

describe('never dominated by its own alternatives (row 1)', () => {
  it('on random topologies the chosen plan is no worse than --replicas none, greedy, or any listed plan', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const p = randomProblem(50 + seed, 6);
      const pool = randomTopology(2000 + seed, 4 + (seed % 4));
      for (const objective of OBJECTIVES) {
        let auto: PlanResult;
        try {
          auto = planPipeline(p, pool, { objective });
        } catch {
          continue;
        }
        const none = planPipeline(p, pool, { objective, replicas: 'none' });
        const v = valueOf(auto);
        const tol = (x: number) => x * (1 + 1e-9) + 1e-15;
        expect(v, `seed ${seed} ${objective} vs --replicas none`).toBeLessThanOrEqual(tol(valueOf(none)));
        if (!('infeasible' in auto.greedy))
          expect(v, `seed ${seed} ${objective} vs greedy`).toBeLessThanOrEqual(
            tol(objectiveValue(auto.greedy.metrics, objective)),
          );
        for (const e of auto.pareto) expect(v).toBeLessThanOrEqual(tol(objectiveValue(e.metrics, objective)));
        expect(auto.pareto.find((e) => e.optimalFor.includes(objective))?.dominated).toBe(false);
        // every spare kept improves the objective: dropping any one replica makes it worse
        const types = [...new Map(pool.devices.map((d) => [d.spec.id, d.spec])).values()];
        const costs = new StageCosts(p, types, searchLink(pool));
        const shapes = auto.plan.stages.map((s) => ({
          start: s.start,
          end: s.end,
          type: s.type,
          replicas: s.devices.length,
          devices: s.devices,
        }));
        shapes.forEach((s, i) => {
          if (s.replicas < 2) return;
          const fewer = shapes.map((x, j) =>
            j === i ? { ...x, replicas: x.replicas - 1, devices: x.devices.slice(0, -1) } : x,
          );
          expect(objectiveValue(evaluatePlan(fewer, pool, costs).metrics, objective)).toBeGreaterThan(
            v * (1 + 1e-9),
          );
        });
      }
    }
  });

  it('ResNet-18 on 4 identical devices with one strong pair (2.5 Mb/s, others 100 kb/s): replicas never make it worse', () => {
    const graph = buildGraph(resnet18({ size: 64 }), 'resnet18');
    const p = partitionProblem(graph, profileGraph(graph, { activationBits: 16, weightBits: 8 }));
    // 8 MB of flash: ResNet-18's 11.2 MB of 8-bit weights need two stages, leaving two spares
    const spec = device('hub8m', { flash: 8e6, sram: 64e6, macsPerS: 1e9, powerW: 1 });
    const devices = [0, 1, 2, 3].map((i) => ({ name: `hub-${i + 1}`, spec }));
    const pool = topology(devices, (a, b) => (a === 1 && b === 2 ? 2.5e6 : 1e5));
    for (const objective of ['throughput', 'latency'] as const) {
      const auto = planPipeline(p, pool, { objective });
      const none = planPipeline(p, pool, { objective, replicas: 'none' });
      expect(valueOf(auto)).toBeLessThanOrEqual(valueOf(none) * (1 + 1e-9));
      expect(auto.pareto.find((e) => e.optimalFor.includes(objective))?.dominated).toBe(false);
      expect(auto.plan.stages.length).toBeGreaterThan(1);
      // every transfer of the chosen plan runs on the strong pair
      for (const s of auto.plan.stages.slice(0, -1)) expect(s.sendLinkBps).toBe(2.5e6);
    }
  });
});
