/**
 * The exact partition search: dynamic programming over (cut, devices used per type). A state records
 * how many devices of each catalog type the stages before the cut took, so heterogeneous device lists
 * are searched exactly; devices of one type are interchangeable here (placement on physical devices
 * and their pairwise links comes afterwards). Sum objectives are minimised directly; bottleneck
 * objectives (throughput, energy) by a min-max pass followed by a min-latency pass restricted to
 * stages within the optimal bottleneck, so ties are broken exactly.
 */
import { EdgesplitError } from '../../core/errors.js';
import type { StageCosts } from './stage-costs.js';
import type { Objective, StageShape } from './types.js';

/** What the search is asked. */
export interface SearchSpec {
  readonly costs: StageCosts;
  /** Devices available per type (same order as `costs.types`). */
  readonly available: readonly number[];
  readonly objective: Objective;
  /** Let one stage take several devices of its type (throughput and energy objectives only). */
  readonly replicate: boolean;
}

/** Largest state table the search allocates (cuts x device-count states). */
export const MAX_SEARCH_CELLS = 50_000_000;

const EPS = 1e-12;

/** What a pass minimises, as an integer code so the inner loop stays monomorphic. */
const enum Kind {
  /** primary: devices (sum), secondary: bytes */
  Devices,
  /** primary: bytes (sum), secondary: devices */
  Bytes,
  /** primary: latency (sum), secondary: devices */
  Latency,
  /** primary: max cycle time, secondary: latency */
  MaxCycle,
  /** primary: max per-device energy, secondary: latency */
  MaxEnergy,
  /** primary: latency (sum), secondary: devices; stages above the cap on cycle time are excluded */
  LatencyUnderCycleCap,
  /** as above with the cap on per-device energy */
  LatencyUnderEnergyCap,
}

/** Lexicographic comparison with a relative tolerance, so sums added in different orders still tie. */
function better(p: number, q: number, curP: number, curQ: number): boolean {
  if (curP === Infinity) return p < Infinity;
  const tol = EPS * Math.max(1, Math.abs(curP));
  if (p < curP - tol) return true;
  if (p > curP + tol) return false;
  return curQ === Infinity || q < curQ - EPS * Math.max(1, Math.abs(curQ));
}

function runPass(
  spec: SearchSpec,
  kind: Kind,
  cap = Infinity,
): { value: number; stages: StageShape[] } | undefined {
  const { costs, available } = spec;
  const n = costs.n;
  const T = available.length;
  const mult: number[] = [];
  let S = 1;
  for (const c of available) {
    mult.push(S);
    S *= c + 1;
  }
  if ((n + 1) * S > MAX_SEARCH_CELLS) {
    throw new EdgesplitError(
      'E_PLAN_SEARCH',
      `partition search needs ${((n + 1) * S).toLocaleString('en-US')} states for ${n} nodes and ${T} device types ` +
        `(counts ${available.join(', ')}; limit ${MAX_SEARCH_CELLS.toLocaleString('en-US')}); use fewer device types ` +
        `or fewer devices per type, or --heuristic (the search then uses only as many devices per type as fit the limit; the rest become replicas)`,
    );
  }
  const cells = (n + 1) * S;
  const prim = new Float64Array(cells).fill(Infinity);
  const sec = new Float64Array(cells).fill(Infinity);
  const fromCut = new Int32Array(cells).fill(-1);
  const fromState = new Int32Array(cells);
  const viaType = new Int16Array(cells);
  const viaReplicas = new Int16Array(cells);
  prim[0] = 0;
  sec[0] = 0;
  const { timeS, energyJ } = costs.transfers;
  const cutBytes = costs.problem.cutBytes;
  const active = new Int32Array(S);
  for (let a = 0; a < n; a++) {
    let nActive = 0;
    for (let s = 0; s < S; s++) if (prim[a * S + s] < Infinity) active[nActive++] = s;
    if (!nActive) continue;
    for (let t = 0; t < T; t++) {
      const device = costs.types[t];
      const maxEnd = costs.maxEnd[t][a];
      const radix = available[t] + 1;
      const m = mult[t];
      for (let b = a + 1; b <= maxEnd; b++) {
        const c = costs.compute(device, a, b);
        const work = timeS[a] + c.timeS + timeS[b];
        const joules = c.energyJ + energyJ[b];
        const lat = c.timeS + timeS[b];
        const bytes = b < n ? cutBytes[b] : 0;
        for (let i = 0; i < nActive; i++) {
          const s = active[i];
          const used = Math.floor(s / m) % radix;
          const rMax = spec.replicate ? available[t] - used : Math.min(1, available[t] - used);
          const from = a * S + s;
          const p0 = prim[from];
          const q0 = sec[from];
          for (let r = 1; r <= rMax; r++) {
            let p: number;
            let q: number;
            switch (kind) {
              case Kind.Devices:
                p = p0 + r;
                q = q0 + bytes;
                break;
              case Kind.Bytes:
                p = p0 + bytes;
                q = q0 + r;
                break;
              case Kind.Latency:
                p = p0 + lat;
                q = q0 + r;
                break;
              case Kind.MaxCycle:
                p = Math.max(p0, work / r);
                q = q0 + lat;
                break;
              case Kind.MaxEnergy:
                p = Math.max(p0, joules / r);
                q = q0 + lat;
                break;
              case Kind.LatencyUnderCycleCap:
                if (work / r > cap) continue;
                p = p0 + lat;
                q = q0 + r;
                break;
              default:
                if (joules / r > cap) continue;
                p = p0 + lat;
                q = q0 + r;
            }
            const to = b * S + s + r * m;
            if (better(p, q, prim[to], sec[to])) {
              prim[to] = p;
              sec[to] = q;
              fromCut[to] = a;
              fromState[to] = s;
              viaType[to] = t;
              viaReplicas[to] = r;
            }
          }
        }
      }
    }
  }
  let best = -1;
  for (let s = 0; s < S; s++) {
    const i = n * S + s;
    if (prim[i] < Infinity && (best < 0 || better(prim[i], sec[i], prim[best], sec[best]))) best = i;
  }
  if (best < 0) return undefined;
  const stages: StageShape[] = [];
  for (let i = best; fromCut[i] >= 0;) {
    const a = fromCut[i];
    stages.push({
      start: a,
      end: Math.floor(i / S),
      type: costs.types[viaType[i]].id,
      replicas: viaReplicas[i],
    });
    i = a * S + fromState[i];
  }
  return { value: prim[best], stages: stages.reverse() };
}

/**
 * Finds the stages that minimise `spec.objective` exactly, or undefined when no partition of the
 * graph fits the devices. Ties: fewest bytes for `devices`; fewest devices for `bytes` and
 * `latency`; least latency, then fewest devices, for `throughput` and `energy`.
 */
export function searchPartition(spec: SearchSpec): StageShape[] | undefined {
  const single = { ...spec, replicate: false };
  switch (spec.objective) {
    case 'devices':
      return runPass(single, Kind.Devices)?.stages;
    case 'bytes':
      return runPass(single, Kind.Bytes)?.stages;
    case 'latency':
      return runPass(single, Kind.Latency)?.stages;
    case 'throughput':
    case 'energy': {
      const cycle = spec.objective === 'throughput';
      const first = runPass(spec, cycle ? Kind.MaxCycle : Kind.MaxEnergy);
      if (!first) return undefined;
      const second = runPass(
        spec,
        cycle ? Kind.LatencyUnderCycleCap : Kind.LatencyUnderEnergyCap,
        first.value,
      );
      return (second ?? first).stages;
    }
  }
}

/** State budget of the `--heuristic` type search (a few passes of it stay well under a second per objective). */
export const HEURISTIC_SEARCH_CELLS = 100_000;

/**
 * Device counts per type the search may use within {@link HEURISTIC_SEARCH_CELLS} for `n` nodes:
 * the largest counts are lowered one at a time until the state table fits (the `--heuristic` search).
 */
export function cappedCounts(available: readonly number[], n: number): number[] {
  const c = [...available];
  const cells = () => c.reduce((s, x) => s * (x + 1), n + 1);
  while (cells() > HEURISTIC_SEARCH_CELLS) {
    let i = 0;
    c.forEach((x, j) => {
      if (x > c[i]) i = j;
    });
    if (c[i] <= 1) break;
    c[i]--;
  }
  return c;
}
