/**
 * Brute-force reference for the planner tests: enumerates every contiguous partition, every device
 * type per stage and (optionally) every replica count, and scores each with formulas written out
 * here from the profile numbers and the cost model, independently of the planner's tables.
 */
import type { DeviceSpec, LinkSpec } from '../../src/catalog/schema.js';
import { computeCost, transferCost } from '../../src/cost/device-cost.js';
import type { Objective, PartitionProblem } from '../../src/strategy/plan/types.js';
import { mulberry32 } from '../../src/core/random.js';

/** A candidate the enumeration scores. */
export interface Candidate {
  readonly bounds: number[];
  readonly types: number[];
  readonly replicas: number[];
}

/** Metrics of a candidate, as the planner defines them. */
export interface RefMetrics {
  devices: number;
  bottleneckS: number;
  latencyS: number;
  bytes: number;
  maxEnergyJ: number;
}

/** Seeded PRNG (the project's mulberry32). */
export const rng = mulberry32;

function fits(p: PartitionProblem, d: DeviceSpec, a: number, b: number): boolean {
  let w = 0;
  let peak = 0;
  for (let k = a; k < b; k++) {
    w += p.nodes[k].weightBytes;
    peak = Math.max(peak, p.nodes[k].liveBytes);
  }
  return w + d.runtimeOverheadBytes <= d.flashBytes && peak <= d.sramBytes;
}

/** Scores one candidate; undefined when a stage does not fit its device type. */
export function score(
  p: PartitionProblem,
  types: readonly DeviceSpec[],
  link: LinkSpec,
  c: Candidate,
): RefMetrics | undefined {
  const n = p.nodes.length;
  const m = c.bounds.length - 1;
  const send = (cut: number) =>
    cut === 0 || cut === n ? { timeS: 0, energyJ: 0 } : transferCost(link, p.cutBytes[cut]);
  let devices = 0;
  let bottleneckS = 0;
  let latencyS = 0;
  let bytes = 0;
  let maxEnergyJ = 0;
  for (let i = 0; i < m; i++) {
    const [a, b] = [c.bounds[i], c.bounds[i + 1]];
    const d = types[c.types[i]];
    if (!fits(p, d, a, b)) return undefined;
    let macs = 0;
    let ops = 0;
    for (let k = a; k < b; k++) {
      macs += p.nodes[k].macs;
      ops += p.nodes[k].ops;
    }
    const comp = computeCost(d, macs, ops);
    const r = c.replicas[i];
    devices += r;
    bottleneckS = Math.max(bottleneckS, (send(a).timeS + comp.timeS + send(b).timeS) / r);
    maxEnergyJ = Math.max(maxEnergyJ, (comp.energyJ + send(b).energyJ) / r);
    latencyS += comp.timeS + send(b).timeS;
    if (b < n) bytes += p.cutBytes[b];
  }
  return { devices, bottleneckS, latencyS, bytes, maxEnergyJ };
}

/** The value an objective minimises. */
export function refValue(m: RefMetrics, o: Objective): number {
  return {
    devices: m.devices,
    throughput: m.bottleneckS,
    latency: m.latencyS,
    bytes: m.bytes,
    energy: m.maxEnergyJ,
  }[o];
}

/** Calls `visit` for every partition x type assignment x replica vector within `available` per type. */
export function enumerate(
  n: number,
  available: readonly number[],
  replicate: boolean,
  visit: (c: Candidate) => void,
): void {
  const T = available.length;
  const rec = (bounds: number[], types: number[], replicas: number[], used: number[]) => {
    const a = bounds[bounds.length - 1];
    if (a === n) {
      visit({ bounds: [...bounds], types: [...types], replicas: [...replicas] });
      return;
    }
    for (let b = a + 1; b <= n; b++) {
      for (let t = 0; t < T; t++) {
        const rMax = replicate ? available[t] - used[t] : Math.min(1, available[t] - used[t]);
        for (let r = 1; r <= rMax; r++) {
          bounds.push(b);
          types.push(t);
          replicas.push(r);
          used[t] += r;
          rec(bounds, types, replicas, used);
          used[t] -= r;
          bounds.pop();
          types.pop();
          replicas.pop();
        }
      }
    }
  };
  rec([0], [], [], new Array<number>(T).fill(0));
}

/** The exhaustive optimum of an objective, or undefined when nothing fits. */
export function exhaustiveOptimum(
  p: PartitionProblem,
  types: readonly DeviceSpec[],
  available: readonly number[],
  link: LinkSpec,
  objective: Objective,
  replicate: boolean,
): number | undefined {
  let best: number | undefined;
  enumerate(p.nodes.length, available, replicate, (c) => {
    const m = score(p, types, link, c);
    if (!m) return;
    const v = refValue(m, objective);
    if (best === undefined || v < best) best = v;
  });
  return best;
}
