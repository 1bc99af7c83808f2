/**
 * Placement: which physical device runs which stage when the links between devices differ (seed
 * Fig. 9: put the pair that exchanges the most bytes closest together). Exact for up to
 * {@link MAX_EXACT_PLACEMENT_DEVICES} devices by dynamic programming over (previous device, current
 * device, devices used); larger pools use a best-of-starts nearest-strong-link heuristic. Replicas
 * are added after the primaries, each on the free device with the strongest links to its neighbours.
 */
import { transferCost } from '../../cost/device-cost.js';
import type { PlacedShape } from './evaluate.js';
import type { StageCosts } from './stage-costs.js';
import type { DevicePool, Objective, StageShape } from './types.js';

/** Largest pool placed exactly. */
export const MAX_EXACT_PLACEMENT_DEVICES = 10;

interface Cell {
  p: number;
  q: number;
  parent: number;
}

/** Per-sample time and energy of a link between two devices for a payload; undefined when they cannot talk. */
type LinkCost = (from: number, to: number, bytes: number) => { timeS: number; energyJ: number } | undefined;

function linkCoster(pool: DevicePool): LinkCost {
  const cache = new Map<string, { timeS: number; energyJ: number } | undefined>();
  return (from, to, bytes) => {
    const key = `${from},${to},${bytes}`;
    if (!cache.has(key)) {
      const p = pool.pairLink
        ? pool.pairLink(pool.devices[from].name, pool.devices[to].name)
        : { link: pool.link };
      cache.set(key, p ? transferCost(p.link, bytes) : undefined);
    }
    return cache.get(key);
  };
}

function better(p: number, q: number, c: Cell | undefined): boolean {
  if (!c) return true;
  const tol = 1e-12 * Math.max(1, Math.abs(c.p));
  return p < c.p - tol || (p <= c.p + tol && q < c.q);
}

/** Assigns one primary device to each stage, minimising the objective's bottleneck or sum over the real pair links. */
function placePrimaries(
  shapes: readonly StageShape[],
  pool: DevicePool,
  costs: StageCosts,
  objective: Objective,
  exact: boolean,
): number[] | undefined {
  const D = pool.devices.length;
  const m = shapes.length;
  const link = linkCoster(pool);
  const comp = shapes.map((s) =>
    costs.compute(
      costs.types.find((t) => t.id === s.type)!,
      s.start,
      s.end,
    ),
  );
  const bytes = shapes.map((s) => costs.problem.cutBytes[s.end]);
  const cands = shapes.map((s) => pool.devices.flatMap((d, i) => (d.spec.id === s.type ? [i] : [])));
  const agg = objective === 'throughput' || objective === 'energy' ? 'max' : 'sum';
  // stage i's primary value once its send target is known; `send` undefined for the last stage
  const stageValue = (
    i: number,
    recvS: number,
    send: { timeS: number; energyJ: number } | undefined,
  ): [number, number] => {
    const r = shapes[i].replicas;
    const sendS = send?.timeS ?? 0;
    const lat = comp[i].timeS + sendS;
    if (objective === 'throughput') return [(recvS + comp[i].timeS + sendS) / r, lat];
    if (objective === 'energy') return [(comp[i].energyJ + (send?.energyJ ?? 0)) / r, lat];
    return [lat, 0];
  };
  const combine = (p: number, v: number) => (agg === 'max' ? Math.max(p, v) : p + v);

  if (!exact) {
    let best: { p: number; q: number; order: number[] } | undefined;
    for (const start of cands[0]) {
      const order = [start];
      const used = new Set(order);
      for (let i = 1; i < m; i++) {
        const prev = order[i - 1];
        let pick = -1;
        let pickT = Infinity;
        for (const d of cands[i]) {
          const c = used.has(d) ? undefined : link(prev, d, bytes[i - 1]);
          if (c && c.timeS < pickT) [pick, pickT] = [d, c.timeS];
        }
        if (pick < 0) break;
        order.push(pick);
        used.add(pick);
      }
      if (order.length < m) continue;
      let p = 0;
      let q = 0;
      for (let i = 0; i < m; i++) {
        const recvS = i === 0 ? 0 : link(order[i - 1], order[i], bytes[i - 1])!.timeS;
        const [v, w] = stageValue(i, recvS, i + 1 < m ? link(order[i], order[i + 1], bytes[i]) : undefined);
        p = combine(p, v);
        q += w;
      }
      if (!best || better(p, q, { p: best.p, q: best.q, parent: 0 })) best = { p, q, order };
    }
    return best?.order;
  }

  // key = (prev * (D + 1) + cur) * 2^D + mask; prev = D for "no previous stage"
  const key = (prev: number, cur: number, mask: number) => (prev * (D + 1) + cur) * 2 ** D + mask;
  const layers: Map<number, Cell>[] = [new Map()];
  for (const d of cands[0]) layers[0].set(key(D, d, 2 ** d), { p: 0, q: 0, parent: -1 });
  for (let i = 0; i + 1 < m; i++) {
    const next = new Map<number, Cell>();
    for (const [k, cell] of layers[i]) {
      const mask = k % 2 ** D;
      const pc = Math.floor(k / 2 ** D);
      const prev = Math.floor(pc / (D + 1));
      const cur = pc % (D + 1);
      const recv = prev === D ? { timeS: 0, energyJ: 0 } : link(prev, cur, bytes[i - 1])!;
      for (const d of cands[i + 1]) {
        if (mask & (2 ** d)) continue;
        const send = link(cur, d, bytes[i]);
        if (!send) continue;
        const [v, w] = stageValue(i, recv.timeS, send);
        const p = combine(cell.p, v);
        const q = cell.q + w;
        const nk = key(cur, d, mask | (2 ** d));
        if (better(p, q, next.get(nk))) next.set(nk, { p, q, parent: k });
      }
    }
    layers.push(next);
  }
  let bestKey = -1;
  let bestCell: Cell | undefined;
  for (const [k, cell] of layers[m - 1]) {
    const pc = Math.floor(k / 2 ** D);
    const prev = Math.floor(pc / (D + 1));
    const cur = pc % (D + 1);
    const recvS = prev === D ? 0 : link(prev, cur, bytes[m - 2])!.timeS;
    const [v, w] = stageValue(m - 1, recvS, undefined);
    const p = combine(cell.p, v);
    const q = cell.q + w;
    if (better(p, q, bestCell)) [bestKey, bestCell] = [k, { p, q, parent: cell.parent }];
  }
  if (bestKey < 0) return undefined;
  const order: number[] = [];
  for (let i = m - 1, k = bestKey; i >= 0; i--) {
    order.push(Math.floor(k / 2 ** D) % (D + 1));
    k = layers[i].get(k)!.parent;
  }
  return order.reverse();
}

/**
 * Places stages on the pool's physical devices using its pairwise links; undefined when no
 * placement connects every consecutive pair of stages.
 */
export function placeStages(
  shapes: readonly StageShape[],
  pool: DevicePool,
  costs: StageCosts,
  objective: Objective,
): { placed: PlacedShape[]; method: 'exact' | 'greedy-links' } | undefined {
  const exact = pool.devices.length <= MAX_EXACT_PLACEMENT_DEVICES;
  const order = placePrimaries(shapes, pool, costs, objective, exact);
  if (!order) return undefined;
  const link = linkCoster(pool);
  const used = new Set(order);
  const placed = shapes.map((s, i) => ({ ...s, devices: [pool.devices[order[i]].name] }));
  for (let i = 0; i < shapes.length; i++) {
    for (let r = 1; r < shapes[i].replicas; r++) {
      let pick = -1;
      let pickT = Infinity;
      pool.devices.forEach((d, j) => {
        if (used.has(j) || d.spec.id !== shapes[i].type) return;
        const inT =
          i === 0 ? 0 : (link(order[i - 1], j, costs.problem.cutBytes[shapes[i].start])?.timeS ?? Infinity);
        const outT =
          i + 1 === shapes.length
            ? 0
            : (link(j, order[i + 1], costs.problem.cutBytes[shapes[i].end])?.timeS ?? Infinity);
        if (Math.max(inT, outT) < pickT || pick < 0) [pick, pickT] = [j, Math.max(inT, outT)];
      });
      used.add(pick);
      placed[i].devices.push(pool.devices[pick].name);
    }
  }
  return { placed, method: exact ? 'exact' : 'greedy-links' };
}
