/**
 * The exact partition search: dynamic programming over (cut, devices used per type). A state records
 * how many devices of each catalog type the stages before the cut took, so heterogeneous device lists
 * are searched exactly; devices of one type are interchangeable here (placement on physical devices
 * and their pairwise links comes afterwards). Sum objectives are minimised directly; bottleneck
 * objectives (throughput, energy) by a min-max pass followed by a min-latency pass restricted to
 * stages within the optimal bottleneck, so ties are broken exactly.
 */
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

interface Pass {
  /** `max`: primary value is the maximum over stages; `sum`: the sum. */
  readonly agg: 'max' | 'sum';
  /** Stage primary and secondary values. */
  readonly value: (stage: StageEval) => [number, number];
  /** Only stages whose `capValue` is within `cap` are allowed. */
  readonly cap?: number;
  readonly capValue?: (stage: StageEval) => number;
}

/** What a pass sees of one candidate stage. */
interface StageEval {
  a: number;
  b: number;
  r: number;
  computeS: number;
  computeJ: number;
  recvS: number;
  sendS: number;
  sendJ: number;
  sendBytes: number;
}

/** Lexicographic comparison with a relative tolerance, so sums added in different orders still tie. */
function better(p: number, q: number, curP: number, curQ: number): boolean {
  if (curP === Infinity) return p < Infinity;
  const tol = EPS * Math.max(1, Math.abs(curP));
  if (p < curP - tol) return true;
  if (p > curP + tol) return false;
  return curQ === Infinity || q < curQ - EPS * Math.max(1, Math.abs(curQ));
}

function cycle(s: StageEval): number {
  return (s.recvS + s.computeS + s.sendS) / s.r;
}

function energy(s: StageEval): number {
  return (s.computeJ + s.sendJ) / s.r;
}

function latency(s: StageEval): number {
  return s.computeS + s.sendS;
}

function runPass(spec: SearchSpec, pass: Pass): { value: number; stages: StageShape[] } | undefined {
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
    throw new RangeError(`partition search needs ${(n + 1) * S} states (limit ${MAX_SEARCH_CELLS}); use fewer device types or nodes`);
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
  const st: StageEval = { a: 0, b: 0, r: 1, computeS: 0, computeJ: 0, recvS: 0, sendS: 0, sendJ: 0, sendBytes: 0 };
  const active: number[] = [];
  for (let a = 0; a < n; a++) {
    active.length = 0;
    for (let s = 0; s < S; s++) if (prim[a * S + s] < Infinity) active.push(s);
    if (!active.length) continue;
    for (let t = 0; t < T; t++) {
      const device = costs.types[t];
      const maxEnd = costs.maxEnd[t][a];
      const radix = available[t] + 1;
      for (let b = a + 1; b <= maxEnd; b++) {
        const c = costs.compute(device, a, b);
        st.a = a;
        st.b = b;
        st.computeS = c.timeS;
        st.computeJ = c.energyJ;
        st.recvS = timeS[a];
        st.sendS = timeS[b];
        st.sendJ = energyJ[b];
        st.sendBytes = b < n ? costs.problem.cutBytes[b] : 0;
        for (const s of active) {
          const used = Math.floor(s / mult[t]) % radix;
          const rMax = spec.replicate ? available[t] - used : Math.min(1, available[t] - used);
          const from = a * S + s;
          for (let r = 1; r <= rMax; r++) {
            st.r = r;
            if (pass.cap !== undefined && pass.capValue!(st) > pass.cap) continue;
            const [p, q] = pass.value(st);
            const np = pass.agg === 'max' ? Math.max(prim[from], p) : prim[from] + p;
            const nq = sec[from] + q;
            const to = b * S + s + r * mult[t];
            if (better(np, nq, prim[to], sec[to])) {
              prim[to] = np;
              sec[to] = nq;
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
  for (let i = best; fromCut[i] >= 0; ) {
    const a = fromCut[i];
    stages.push({ start: a, end: Math.floor(i / S), type: costs.types[viaType[i]].id, replicas: viaReplicas[i] });
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
  switch (spec.objective) {
    case 'devices':
      return runPass({ ...spec, replicate: false }, { agg: 'sum', value: (s) => [s.r, s.sendBytes] })?.stages;
    case 'bytes':
      return runPass({ ...spec, replicate: false }, { agg: 'sum', value: (s) => [s.sendBytes, s.r] })?.stages;
    case 'latency':
      return runPass({ ...spec, replicate: false }, { agg: 'sum', value: (s) => [latency(s), s.r] })?.stages;
    case 'throughput':
    case 'energy': {
      const bottleneck = spec.objective === 'throughput' ? cycle : energy;
      const first = runPass(spec, { agg: 'max', value: (s) => [bottleneck(s), latency(s)] });
      if (!first) return undefined;
      const second = runPass(spec, { agg: 'sum', value: (s) => [latency(s), s.r], cap: first.value, capValue: bottleneck });
      return (second ?? first).stages;
    }
  }
}
