/**
 * Exact joint partition + placement on a topology of named devices (mixed types, a link per pair):
 * which devices run which stages, and where the cuts go, chosen together. Dynamic programming over
 * (cut, device running the stage that starts there, devices used so far); a stage's compute is a
 * difference of per-device prefix sums, so the best end of each stage is a sliding-window minimum
 * and one pass is O(2^D * D^2 * n). Sum objectives (devices, bytes, latency) are solved directly;
 * bottleneck objectives (throughput, energy) by bisection on the bottleneck over a feasibility pass.
 * Stages get one device each here; spare devices are added afterwards.
 */
import { transferCost } from '../../cost/device-cost.js';
import { EdgesplitError } from '../../core/errors.js';
import type { PlacedShape } from './evaluate.js';
import type { StageCosts } from './stage-costs.js';
import type { DevicePool, Objective } from './types.js';

/** Largest topology the joint search solves exactly (its tables grow with 2^devices). */
export const MAX_JOINT_DEVICES = 8;

/** Largest (cuts x devices x device subsets) table the joint search allocates. */
export const MAX_JOINT_CELLS = 4_000_000;

const TOL = 1e-12;

interface Tables {
  readonly D: number;
  readonly n: number;
  /** maxEnd per device. */
  readonly reach: Int32Array[];
  /** prefix[d][b]: compute time (or energy) of nodes [0, b) on device d. */
  readonly prefix: Float64Array[];
  /** send[d * D + e][b]: time (or sender energy) of cut b from d to e; Infinity when they cannot talk. */
  readonly send: Float64Array[];
}

function tables(costs: StageCosts, pool: DevicePool, energy: boolean): Tables {
  const D = pool.devices.length;
  const n = costs.n;
  const typeIndex = pool.devices.map((d) => costs.types.findIndex((t) => t.id === d.spec.id));
  const reach = typeIndex.map((t) => costs.maxEnd[t]);
  const prefix = pool.devices.map((d) => {
    const p = new Float64Array(n + 1);
    for (let b = 1; b <= n; b++) {
      const c = costs.compute(d.spec, 0, b);
      p[b] = energy ? c.energyJ : c.timeS;
    }
    return p;
  });
  const send: Float64Array[] = [];
  for (let d = 0; d < D; d++) {
    for (let e = 0; e < D; e++) {
      const row = new Float64Array(n + 1).fill(Infinity);
      const p = d === e ? undefined : pool.pairLink?.(pool.devices[d].name, pool.devices[e].name);
      const link = d === e ? undefined : pool.pairLink ? p?.link : pool.link;
      if (link) {
        for (let b = 1; b < n; b++) {
          const c = transferCost(link, costs.problem.cutBytes[b]);
          row[b] = energy ? c.energyJ : c.timeS;
        }
      }
      send.push(row);
    }
  }
  return { D, n, reach, prefix, send };
}

function checkSize(D: number, n: number): void {
  const cells = 2 ** D * D * (n + 1);
  if (D > MAX_JOINT_DEVICES || cells > MAX_JOINT_CELLS) {
    throw new EdgesplitError(
      'E_PLAN_SEARCH',
      `exact partition + placement needs ${cells.toLocaleString('en-US')} states for ${D} devices and ${n} nodes ` +
        `(limit ${MAX_JOINT_CELLS.toLocaleString('en-US')}, at most ${MAX_JOINT_DEVICES} devices); ` +
        `use fewer devices, or --heuristic (search on the median link, then place)`,
    );
  }
}

/** Lexicographic "p, q is better than P, Q" with a relative tolerance on the primary. */
function less(p: number, q: number, P: number, Q: number): boolean {
  if (P === Infinity) return p < Infinity;
  const tol = TOL * Math.max(1, Math.abs(P));
  return p < P - tol || (p <= P + tol && q < Q - TOL * Math.max(1, Math.abs(Q)));
}

/** Per-stage terms of the sum objectives: a constant per stage and a term of the cut after it. */
function sumTerms(objective: Objective, cutBytes: readonly number[]) {
  switch (objective) {
    case 'devices':
      return { alpha: 0, stageP: 1, stageS: 0, cutP: () => 0, cutS: (b: number) => cutBytes[b] };
    case 'bytes':
      return { alpha: 0, stageP: 0, stageS: 1, cutP: (_: number, b: number) => cutBytes[b], cutS: () => 0 };
    default:
      return { alpha: 1, stageP: 0, stageS: 1, cutP: (send: number) => send, cutS: () => 0 };
  }
}

/**
 * Sliding lexicographic minimum of (valueP, valueS)[b] over the windows (a, reach[a]] for
 * a = n-1 .. 0; both window ends move left as a falls. `out[a]` is the best b, or -1.
 */
function windowArgmin(
  n: number,
  reach: Int32Array,
  valueP: Float64Array,
  valueS: Float64Array,
  out: Int32Array,
): void {
  // deque dq[head..tail): the front holds the smallest b, values strictly improve towards the back
  const dq = new Int32Array(n + 2);
  let head = n + 1;
  let tail = n + 1;
  for (let a = n - 1; a >= 0; a--) {
    const b = a + 1;
    if (valueP[b] < Infinity) {
      // a front entry no better than b can never win again: b stays in the window longer
      while (tail > head && !less(valueP[dq[head]], valueS[dq[head]], valueP[b], valueS[b])) head++;
      dq[--head] = b;
    }
    while (tail > head && dq[tail - 1] > reach[a]) tail--;
    out[a] = tail > head ? dq[tail - 1] : -1;
  }
}

function sumSearch(t: Tables, costs: StageCosts, objective: Objective): PlacedShape[] | undefined {
  const { D, n, reach, prefix, send } = t;
  const terms = sumTerms(objective, costs.problem.cutBytes);
  const full = 2 ** D;
  const N = n + 1;
  // f*(mask, d, a): best (primary, secondary) from a stage starting at a on d, with `mask` used
  const fP = new Float64Array(full * D * N).fill(Infinity);
  const fS = new Float64Array(full * D * N).fill(Infinity);
  const endOf = new Int32Array(full * D * n).fill(-1);
  const nextOf = new Int8Array(full * D * N).fill(-1);
  const hP = new Float64Array(N);
  const hS = new Float64Array(N);
  const arg = new Int32Array(n);
  for (let mask = full - 1; mask > 0; mask--) {
    for (let d = 0; d < D; d++) {
      if (!(mask & (1 << d))) continue;
      const key = mask * D + d;
      hP.fill(Infinity);
      hS.fill(Infinity);
      hP[n] = terms.stageP + terms.alpha * prefix[d][n];
      hS[n] = terms.stageS;
      for (let b = 1; b < n; b++) {
        for (let e = 0; e < D; e++) {
          if (mask & (1 << e)) continue;
          const s = send[d * D + e][b];
          if (s === Infinity) continue;
          const g = ((mask | (1 << e)) * D + e) * N + b;
          if (fP[g] === Infinity) continue;
          const p = terms.stageP + terms.alpha * prefix[d][b] + terms.cutP(s, b) + fP[g];
          const q = terms.stageS + terms.cutS(b) + fS[g];
          if (less(p, q, hP[b], hS[b])) {
            hP[b] = p;
            hS[b] = q;
            nextOf[key * N + b] = e;
          }
        }
      }
      windowArgmin(n, reach[d], hP, hS, arg);
      for (let a = 0; a < n; a++) {
        endOf[key * n + a] = arg[a];
        if (arg[a] < 0) continue;
        fP[key * N + a] = hP[arg[a]] - terms.alpha * prefix[d][a];
        fS[key * N + a] = hS[arg[a]];
      }
    }
  }
  let best = -1;
  for (let d = 0; d < D; d++) {
    const k = (1 << d) * D + d;
    if (fP[k * N] === Infinity) continue;
    if (best < 0 || less(fP[k * N], fS[k * N], fP[best * N], fS[best * N])) best = k;
  }
  if (best < 0) return undefined;
  const out: PlacedShape[] = [];
  let key = best;
  let a = 0;
  while (a < n) {
    const mask = Math.floor(key / D);
    const d = key % D;
    const b = endOf[key * n + a];
    out.push({ start: a, end: b, type: '', replicas: 1, devices: [String(d)] });
    if (b === n) break;
    const e = nextOf[key * N + b];
    key = (mask | (1 << e)) * D + e;
    a = b;
  }
  return out;
}

/** Bottleneck search: bisection on the cap over a pass deciding whether every stage can stay within it. */
function bottleneckSearch(t: Tables, withRecv: boolean, hiPlan?: number): PlacedShape[] | undefined {
  const { D, n, reach, prefix, send } = t;
  const full = 2 ** D;
  const N = n + 1;
  // W(mask, d, a): least (compute prefix at the stage's end + send) over ends b whose continuation fits the cap
  const W = new Float64Array(full * D * N);
  const at = (mask: number, d: number, a: number) => W[(mask * D + d) * N + a];
  // recv into the stage starting at a on d from q (q = D: the graph input, free)
  const recv = (q: number, d: number, a: number) => (q === D || !withRecv ? 0 : send[q * D + d][a]);
  const H = new Float64Array(N);
  const arg = new Int32Array(n);
  const zero = new Float64Array(N);
  const feasible = (cap: number): boolean => {
    const lim = cap * (1 + TOL);
    W.fill(Infinity);
    for (let mask = full - 1; mask > 0; mask--) {
      for (let d = 0; d < D; d++) {
        if (!(mask & (1 << d))) continue;
        H.fill(Infinity);
        const pd = prefix[d];
        H[n] = pd[n];
        // e outer, b inner: every row below is read contiguously
        for (let e = 0; e < D; e++) {
          if (mask & (1 << e)) continue;
          const row = send[d * D + e];
          const pe = prefix[e];
          const off = ((mask | (1 << e)) * D + e) * N;
          for (let b = 1; b < n; b++) {
            const s = row[b];
            // the next stage, on e, receives this transfer (throughput) and must itself fit the cap
            if (s === Infinity || (withRecv ? s : 0) - pe[b] + W[off + b] > lim) continue;
            const v = pd[b] + s;
            if (v < H[b]) H[b] = v;
          }
        }
        windowArgmin(n, reach[d], H, zero, arg);
        const base = (mask * D + d) * N;
        for (let a = 0; a < n; a++) if (arg[a] >= 0) W[base + a] = H[arg[a]];
      }
    }
    for (let d = 0; d < D; d++) if (at(1 << d, d, 0) - prefix[d][0] <= lim) return true;
    return false;
  };
  const reconstruct = (cap: number): PlacedShape[] => {
    const lim = cap * (1 + TOL);
    const out: PlacedShape[] = [];
    let d = -1;
    for (let x = 0; x < D && d < 0; x++) if (at(1 << x, x, 0) - prefix[x][0] <= lim) d = x;
    let q = D;
    let mask = 1 << d;
    let a = 0;
    for (;;) {
      const budget = lim - recv(q, d, a) + prefix[d][a];
      // among the continuations that keep the cap, take the one whose own stage is cheapest
      let pick: { b: number; e: number } | undefined;
      let pickV = Infinity;
      for (let b = a + 1; b <= reach[d][a]; b++) {
        if (b === n) {
          if (prefix[d][n] <= budget && prefix[d][n] < pickV) [pick, pickV] = [{ b, e: -1 }, prefix[d][n]];
          continue;
        }
        for (let e = 0; e < D; e++) {
          if (mask & (1 << e)) continue;
          const v = prefix[d][b] + send[d * D + e][b];
          if (!(v <= budget) || v >= pickV) continue;
          const w = at(mask | (1 << e), e, b);
          if (recv(d, e, b) - prefix[e][b] + w <= lim) [pick, pickV] = [{ b, e }, v];
        }
      }
      if (!pick) throw new Error('joint search: reconstruction lost the feasible path');
      out.push({ start: a, end: pick.b, type: '', replicas: 1, devices: [String(d)] });
      if (pick.b === n) return out;
      [q, d, a, mask] = [d, pick.e, pick.b, mask | (1 << pick.e)];
    }
  };
  const value = (plan: PlacedShape[]): number => {
    let worst = 0;
    plan.forEach((s, i) => {
      const d = Number(s.devices[0]);
      const q = i === 0 ? D : Number(plan[i - 1].devices[0]);
      const e = i + 1 < plan.length ? Number(plan[i + 1].devices[0]) : -1;
      const v =
        recv(q, d, s.start) + prefix[d][s.end] - prefix[d][s.start] + (e < 0 ? 0 : send[d * D + e][s.end]);
      worst = Math.max(worst, v);
    });
    return worst;
  };
  let hi = hiPlan ?? Infinity;
  if (!(hi < Infinity)) {
    // any finite cap above every stage's possible value
    hi = 1;
    let guard = 0;
    while (!feasible(hi)) {
      hi *= 16;
      if (++guard > 40) return undefined;
    }
  } else if (!feasible(hi)) return undefined;
  let best = reconstruct(hi);
  hi = value(best);
  let lo = 0;
  for (let it = 0; it < 80 && hi - lo > 1e-9 * hi; it++) {
    // probe just below the best plan found: when nothing fits there, that plan is optimal
    const probe = hi * (1 - 1e-9);
    if (!feasible(probe)) break;
    best = reconstruct(probe);
    hi = value(best);
    const mid = (lo + hi) / 2;
    if (feasible(mid)) {
      best = reconstruct(mid);
      hi = Math.min(mid, value(best));
    } else lo = mid;
  }
  return best;
}

/**
 * The exact joint partition + placement of `objective` on `pool` (one device per stage), or
 * undefined when no plan fits and connects. Throws E_PLAN_SEARCH when the pool is too large.
 */
export function searchJoint(
  costs: StageCosts,
  pool: DevicePool,
  objective: Objective,
): PlacedShape[] | undefined {
  checkSize(pool.devices.length, costs.n);
  const energy = objective === 'energy';
  const t = tables(costs, pool, energy);
  const found =
    objective === 'throughput' || objective === 'energy'
      ? bottleneckSearch(t, objective === 'throughput')
      : sumSearch(t, costs, objective);
  return found?.map((s) => {
    const d = pool.devices[Number(s.devices[0])];
    return { ...s, type: d.spec.id, devices: [d.name] };
  });
}
