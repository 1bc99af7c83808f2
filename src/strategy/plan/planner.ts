/**
 * The partition planner: exact search over stage boundaries and device types (uniform links) or
 * over cuts and named devices jointly (topologies up to {@link MAX_JOINT_DEVICES} devices), spare
 * replicas kept only where they help, the greedy baseline and a Pareto listing. Every plan the run
 * produces goes into one pool and each objective takes the pool's best, so the chosen plan is never
 * worse than greedy, than the same run without replicas, or than any plan it lists. Pure.
 */
import type { LinkSpec } from '../../catalog/schema.js';
import {
  addSpareReplicas,
  evaluatePlan,
  objectiveValue,
  placeInOrder,
  type PlacedShape,
} from './evaluate.js';
import { greedyPartition } from './greedy.js';
import { MAX_JOINT_DEVICES, searchJoint } from './joint.js';
import { explainInfeasible, PlanInfeasibleError } from './infeasible.js';
import { placeStages } from './placement.js';
import { cappedCounts, searchPartition } from './search.js';
import { StageCosts } from './stage-costs.js';
import {
  OBJECTIVES,
  type BalanceGoal,
  type DevicePool,
  type Objective,
  type ParetoEntry,
  type PartitionPlan,
  type PartitionProblem,
  type PlanOptions,
  type PlanResult,
  type ReplicaMode,
  type StageShape,
} from './types.js';

/** The link the search assumes between any two devices: the catalog link, or the median of a topology's pair links. */
export function searchLink(pool: DevicePool): LinkSpec {
  if (!pool.pairLink) return pool.link;
  const rates: number[] = [];
  for (const a of pool.devices) {
    for (const b of pool.devices) {
      if (a === b) continue;
      const p = pool.pairLink(a.name, b.name);
      if (p) rates.push(p.link.throughputBps);
    }
  }
  if (!rates.length) return pool.link;
  rates.sort((x, y) => x - y);
  return { ...pool.link, throughputBps: rates[Math.floor(rates.length / 2)] };
}

/** Everything one planning call shares between objectives. */
interface Context {
  readonly problem: PartitionProblem;
  readonly pool: DevicePool;
  readonly costs: StageCosts;
  readonly available: number[];
  readonly replicas: ReplicaMode;
  /** Joint exact search on topologies (false: median-link search, then placement). */
  readonly joint: boolean;
  /** Device counts per type the type search uses (capped under --heuristic). */
  readonly searchCounts: number[];
}

/** A plan the run produced, with how it was placed. */
interface Candidate {
  readonly plan: PartitionPlan;
  readonly method: PlanResult['placement'];
}

function makeContext(problem: PartitionProblem, pool: DevicePool, o: PlanOptions): Context {
  if (problem.nodes.length === 0) throw new RangeError(`model '${problem.model}' has no nodes to plan`);
  if (pool.devices.length === 0) throw new RangeError('no devices to plan on');
  const types = [...new Map(pool.devices.map((d) => [d.spec.id, d.spec])).values()];
  const available = types.map((t) => pool.devices.filter((d) => d.spec.id === t.id).length);
  return {
    problem,
    pool,
    costs: new StageCosts(problem, types, searchLink(pool)),
    available,
    replicas: o.replicas ?? 'auto',
    joint: !!pool.pairLink && !o.heuristic && pool.devices.length <= MAX_JOINT_DEVICES,
    searchCounts: o.heuristic ? cappedCounts(available, problem.nodes.length) : available,
  };
}

/** Metric order each objective compares plans by (its own value first). */
const ORDER: Record<Objective, readonly Objective[]> = {
  devices: ['devices', 'bytes', 'latency', 'throughput', 'energy'],
  bytes: ['bytes', 'devices', 'latency', 'throughput', 'energy'],
  latency: ['latency', 'devices', 'bytes', 'throughput', 'energy'],
  throughput: ['throughput', 'latency', 'devices', 'bytes', 'energy'],
  energy: ['energy', 'latency', 'devices', 'throughput', 'bytes'],
};

function close(x: number, y: number): boolean {
  return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/** Whether `a` is better than `b` for `objective`, comparing the objective, then the other metrics. */
export function planBetter(a: PartitionPlan, b: PartitionPlan, objective: Objective): boolean {
  for (const o of ORDER[objective]) {
    const x = objectiveValue(a.metrics, o);
    const y = objectiveValue(b.metrics, o);
    if (!close(x, y)) return x < y;
  }
  return false;
}

function feasible(plan: PartitionPlan): boolean {
  return Number.isFinite(plan.metrics.latencyS) && plan.metrics.throughputPerS > 0;
}

function place(ctx: Context, shapes: readonly StageShape[], objective: Objective): Candidate | undefined {
  if (!ctx.pool.pairLink)
    return {
      plan: evaluatePlan(placeInOrder(shapes, ctx.pool), ctx.pool, ctx.costs),
      method: 'uniform-link',
    };
  const r = placeStages(shapes, ctx.pool, ctx.costs, objective);
  return r && { plan: evaluatePlan(r.placed, ctx.pool, ctx.costs), method: r.method };
}

/**
 * Adds spare devices one at a time, each to the stage (of its type) where it improves the objective
 * most on the real pair links; stops when no spare improves it.
 */
function improveWithSpares(ctx: Context, base: readonly PlacedShape[], objective: Objective): PlacedShape[] {
  let cur: PlacedShape[] = base.map((s) => ({ ...s, devices: [...s.devices] }));
  let curPlan = evaluatePlan(cur, ctx.pool, ctx.costs);
  for (;;) {
    const used = new Set(cur.flatMap((s) => s.devices));
    let best: { shapes: PlacedShape[]; plan: PartitionPlan } | undefined;
    for (const d of ctx.pool.devices) {
      if (used.has(d.name)) continue;
      cur.forEach((s, i) => {
        if (s.type !== d.spec.id) return;
        const shapes = cur.map((x, j) =>
          j === i ? { ...x, replicas: x.replicas + 1, devices: [...x.devices, d.name] } : x,
        );
        const plan = evaluatePlan(shapes, ctx.pool, ctx.costs);
        const v = objectiveValue(plan.metrics, objective);
        const ref = best ? best.plan : curPlan;
        if (v < objectiveValue(ref.metrics, objective) && !close(v, objectiveValue(ref.metrics, objective)))
          best = { shapes, plan };
      });
    }
    if (!best) return cur;
    cur = best.shapes;
    curPlan = best.plan;
  }
}

/** Drops, one at a time, every replica whose removal leaves the objective unchanged: a spare stays only where it helps. */
function withoutIdleSpares(ctx: Context, c: Candidate, objective: Objective): Candidate {
  let shapes = planShapes(c.plan);
  let plan = c.plan;
  const target = objectiveValue(plan.metrics, objective);
  for (let i = 0; i < shapes.length; i++) {
    while (shapes[i].replicas > 1) {
      const trial = shapes.map((x, j) =>
        j === i ? { ...x, replicas: x.replicas - 1, devices: x.devices.slice(0, -1) } : x,
      );
      const p = evaluatePlan(trial, ctx.pool, ctx.costs);
      if (
        !close(objectiveValue(p.metrics, objective), target) &&
        objectiveValue(p.metrics, objective) > target
      )
        break;
      shapes = trial;
      plan = p;
    }
  }
  return plan === c.plan ? c : { plan, method: c.method };
}

/** Every plan the run considers for `objective` (an empty list when none fits and connects). */
function candidates(ctx: Context, objective: Objective, balance: BalanceGoal): Candidate[] {
  const out: Candidate[] = [];
  const spares = ctx.replicas === 'auto' && objective !== 'devices';
  const add = (c: Candidate | undefined) => {
    if (c && feasible(c.plan)) out.push(withoutIdleSpares(ctx, c, objective));
  };
  const addPlaced = (placed: PlacedShape[], method: PlanResult['placement']) =>
    add({ plan: evaluatePlan(placed, ctx.pool, ctx.costs), method });
  const bases: { shapes: readonly StageShape[]; placed?: PlacedShape[] }[] = [];
  if (ctx.joint) {
    const j = searchJoint(ctx.costs, ctx.pool, objective);
    if (j) bases.push({ shapes: j, placed: j });
  } else {
    // on uniform links the search with replicas is exact over stages x replica counts, so it is
    // never worse than the search without; its stages with one device each cover the tie case
    const replicate = spares && (objective === 'throughput' || objective === 'energy') && !ctx.pool.pairLink;
    const found = searchPartition({ costs: ctx.costs, available: ctx.searchCounts, objective, replicate });
    if (found) bases.push({ shapes: found });
    if (found && replicate) bases.push({ shapes: found.map((s) => ({ ...s, replicas: 1 })) });
  }
  // the search assumed one link for all pairs (or one device per stage): greedy filling may do better
  const g = greedyPartition(ctx.costs, ctx.pool);
  if (g.ok) bases.push({ shapes: g.stages, placed: ctx.pool.pairLink ? undefined : [...g.stages] });
  for (const b of bases) {
    const placed = b.placed
      ? ({
          plan: evaluatePlan(b.placed, ctx.pool, ctx.costs),
          method: ctx.joint ? 'exact' : 'uniform-link',
        } as Candidate)
      : place(ctx, b.shapes, objective);
    add(placed);
    if (!spares) continue;
    const balanced = addSpareReplicas(b.shapes, ctx.pool, ctx.costs, balance);
    add(place(ctx, balanced, objective));
    if (placed && ctx.pool.pairLink)
      addPlaced(improveWithSpares(ctx, planShapes(placed.plan), objective), placed.method);
  }
  return out;
}

function planShapes(plan: PartitionPlan): PlacedShape[] {
  return plan.stages.map((s) => ({
    start: s.start,
    end: s.end,
    type: s.type,
    replicas: s.devices.length,
    devices: s.devices,
  }));
}

function best(pool: readonly Candidate[], objective: Objective): Candidate | undefined {
  let top: Candidate | undefined;
  for (const c of pool) if (!top || planBetter(c.plan, top.plan, objective)) top = c;
  return top;
}

function cutsOf(plan: PartitionPlan): number[] {
  return plan.stages.slice(1).map((s) => s.start);
}

function dominates(a: PartitionPlan, b: PartitionPlan): boolean {
  const va = OBJECTIVES.map((o) => objectiveValue(a.metrics, o));
  const vb = OBJECTIVES.map((o) => objectiveValue(b.metrics, o));
  return (
    va.every((x, i) => x <= vb[i] || close(x, vb[i])) && va.some((x, i) => x < vb[i] && !close(x, vb[i]))
  );
}

/** The greedy baseline's stages on devices in the pool's order, spares added as for the plan. */
function greedyPlaced(ctx: Context, objective: Objective, balance: BalanceGoal): PlacedShape[] | string {
  const g = greedyPartition(ctx.costs, ctx.pool);
  if (!g.ok) return g.reason;
  const shapes =
    ctx.replicas === 'auto' && objective !== 'devices'
      ? addSpareReplicas(g.stages, ctx.pool, ctx.costs, balance)
      : [...g.stages];
  const taken = new Set(g.stages.flatMap((s) => s.devices));
  const free = ctx.pool.devices.filter((d) => !taken.has(d.name));
  return shapes.map((s, i) => {
    const devices = [...g.stages[i].devices];
    while (devices.length < s.replicas) {
      const j = free.findIndex((d) => d.spec.id === s.type);
      devices.push(free[j].name);
      free.splice(j, 1);
    }
    return { ...s, devices };
  });
}

function noPlan(ctx: Context): never {
  if (
    !searchPartition({
      costs: ctx.costs,
      available: ctx.searchCounts,
      objective: 'devices',
      replicate: false,
    })
  )
    throw explainInfeasible(ctx.costs, ctx.pool);
  throw new PlanInfeasibleError(
    `no placement connects the stages: some consecutive stages would sit on devices without a link (list the pair in the topology's links or give a default)`,
  );
}

/**
 * Plans a pipeline of `problem` over `pool` for `options.objective`. Throws a PlanInfeasibleError
 * naming the node and the shortfall in bytes when no plan exists.
 */
export function planPipeline(problem: PartitionProblem, pool: DevicePool, options: PlanOptions): PlanResult {
  const objective = options.objective;
  const balance = options.balance ?? (objective === 'energy' ? 'energy' : 'throughput');
  const ctx = makeContext(problem, pool, options);
  const all: Candidate[] = [...candidates(ctx, objective, balance)];
  if (!all.length) noPlan(ctx);

  const gp = greedyPlaced(ctx, objective, balance);
  const greedy = typeof gp === 'string' ? { infeasible: gp } : evaluatePlan(gp, pool, ctx.costs);
  if (!('infeasible' in greedy) && feasible(greedy)) all.push({ plan: greedy, method: 'uniform-link' });
  const listed = options.pareto ?? true;
  if (listed) {
    for (const o of OBJECTIVES) {
      if (o !== objective) all.push(...candidates(ctx, o, o === 'energy' ? 'energy' : 'throughput'));
    }
  }
  const chosen = best(all, objective)!;
  const plan = chosen.plan;
  let gainOverGreedy: number | null = null;
  if (!('infeasible' in greedy)) {
    const mine = objectiveValue(plan.metrics, objective);
    const theirs = objectiveValue(greedy.metrics, objective);
    gainOverGreedy = close(mine, theirs) ? 1 : mine === 0 ? Infinity : theirs / mine;
  }

  const pareto: ParetoEntry[] = [];
  if (listed) {
    const plans = new Map<string, { objective: Objective; plan: PartitionPlan; optimalFor: Objective[] }>();
    for (const o of OBJECTIVES) {
      const p = o === objective ? plan : best(all, o)!.plan;
      const key = JSON.stringify(p.stages.map((s) => [s.start, s.end, s.devices]));
      const seen = plans.get(key);
      if (seen) seen.optimalFor.push(o);
      else plans.set(key, { objective: o, plan: p, optimalFor: [o] });
    }
    const entries = [...plans.values()];
    for (const e of entries) {
      pareto.push({
        objective: e.objective,
        metrics: e.plan.metrics,
        optimalFor: e.optimalFor,
        dominated: entries.some((x) => x !== e && dominates(x.plan, e.plan)),
        cuts: cutsOf(e.plan),
      });
    }
  }
  return {
    objective,
    replicas: ctx.replicas,
    balance,
    plan,
    greedy,
    gainOverGreedy,
    pareto,
    placement: chosen.method,
  };
}
