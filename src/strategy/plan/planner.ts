/**
 * The partition planner: exact search over stage boundaries and device types, spare replicas,
 * placement over pairwise links, the greedy baseline and a Pareto listing. Pure.
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
import { explainInfeasible, PlanInfeasibleError } from './infeasible.js';
import { placeStages } from './placement.js';
import { searchPartition } from './search.js';
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
}

function makeContext(problem: PartitionProblem, pool: DevicePool, replicas: ReplicaMode): Context {
  if (problem.nodes.length === 0) throw new RangeError(`model '${problem.model}' has no nodes to plan`);
  if (pool.devices.length === 0) throw new RangeError('no devices to plan on');
  const types = [...new Map(pool.devices.map((d) => [d.spec.id, d.spec])).values()];
  const available = types.map((t) => pool.devices.filter((d) => d.spec.id === t.id).length);
  return { problem, pool, costs: new StageCosts(problem, types, searchLink(pool)), available, replicas };
}

function withSpares(
  ctx: Context,
  shapes: readonly StageShape[],
  objective: Objective,
  balance: BalanceGoal,
): StageShape[] {
  return ctx.replicas === 'auto' && objective !== 'devices'
    ? addSpareReplicas(shapes, ctx.pool, ctx.costs, balance)
    : [...shapes];
}

function place(
  ctx: Context,
  shapes: readonly StageShape[],
  objective: Objective,
): { plan: PartitionPlan; method: PlanResult['placement'] } | undefined {
  if (!ctx.pool.pairLink)
    return {
      plan: evaluatePlan(placeInOrder(shapes, ctx.pool), ctx.pool, ctx.costs),
      method: 'uniform-link',
    };
  const r = placeStages(shapes, ctx.pool, ctx.costs, objective);
  return r && { plan: evaluatePlan(r.placed, ctx.pool, ctx.costs), method: r.method };
}

/** The greedy baseline's stages on devices in the pool's order, spares added as for the plan. */
function greedyPlaced(ctx: Context, objective: Objective, balance: BalanceGoal): PlacedShape[] | string {
  const g = greedyPartition(ctx.costs, ctx.pool);
  if (!g.ok) return g.reason;
  const shapes = withSpares(ctx, g.stages, objective, balance);
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

function solve(
  ctx: Context,
  objective: Objective,
  balance: BalanceGoal,
): { plan: PartitionPlan; method: PlanResult['placement'] } {
  const replicate = ctx.replicas === 'auto' && (objective === 'throughput' || objective === 'energy');
  const found = searchPartition({ costs: ctx.costs, available: ctx.available, objective, replicate });
  if (!found) throw explainInfeasible(ctx.costs, ctx.pool);
  const candidates = [withSpares(ctx, found, objective, balance)];
  if (ctx.pool.pairLink) {
    // the search assumed one link for all pairs; the greedy partition may place better on the real links
    const g = greedyPartition(ctx.costs, ctx.pool);
    if (g.ok) candidates.push(withSpares(ctx, g.stages, objective, balance));
  }
  let best: { plan: PartitionPlan; method: PlanResult['placement'] } | undefined;
  for (const shapes of candidates) {
    const r = place(ctx, shapes, objective);
    if (
      r &&
      (!best || objectiveValue(r.plan.metrics, objective) < objectiveValue(best.plan.metrics, objective))
    )
      best = r;
  }
  if (!best) {
    throw new PlanInfeasibleError(
      `no placement connects the ${found.length} stages: some consecutive stages would sit on devices without a link (list the pair in the topology's links or give a default)`,
    );
  }
  return best;
}

function cutsOf(plan: PartitionPlan): number[] {
  return plan.stages.slice(1).map((s) => s.start);
}

function dominates(a: PartitionPlan, b: PartitionPlan): boolean {
  const va = OBJECTIVES.map((o) => objectiveValue(a.metrics, o));
  const vb = OBJECTIVES.map((o) => objectiveValue(b.metrics, o));
  return va.every((x, i) => x <= vb[i]) && va.some((x, i) => x < vb[i]);
}

/**
 * Plans a pipeline of `problem` over `pool` for `options.objective`. Throws a PlanInfeasibleError
 * naming the node and the shortfall in bytes when no plan exists.
 */
export function planPipeline(problem: PartitionProblem, pool: DevicePool, options: PlanOptions): PlanResult {
  const replicas = options.replicas ?? 'auto';
  const balance = options.balance ?? (options.objective === 'energy' ? 'energy' : 'throughput');
  const ctx = makeContext(problem, pool, replicas);
  const objective = options.objective;
  const { plan, method } = solve(ctx, objective, balance);

  const gp = greedyPlaced(ctx, objective, balance);
  const greedy = typeof gp === 'string' ? { infeasible: gp } : evaluatePlan(gp, pool, ctx.costs);
  let gainOverGreedy: number | null = null;
  if (!('infeasible' in greedy)) {
    const mine = objectiveValue(plan.metrics, objective);
    const theirs = objectiveValue(greedy.metrics, objective);
    gainOverGreedy =
      Math.abs(mine - theirs) <= 1e-9 * Math.max(Math.abs(mine), Math.abs(theirs))
        ? 1
        : mine === 0
          ? Infinity
          : theirs / mine;
  }

  const pareto: ParetoEntry[] = [];
  if (options.pareto ?? true) {
    const plans = new Map<string, { objective: Objective; plan: PartitionPlan; optimalFor: Objective[] }>();
    for (const o of OBJECTIVES) {
      const p = o === objective ? plan : solve(ctx, o, o === 'energy' ? 'energy' : 'throughput').plan;
      const key = JSON.stringify(p.stages.map((s) => [s.start, s.end, s.devices]));
      const seen = plans.get(key);
      if (seen) seen.optimalFor.push(o);
      else plans.set(key, { objective: o, plan: p, optimalFor: [o] });
    }
    const all = [...plans.values()];
    for (const e of all) {
      pareto.push({
        objective: e.objective,
        metrics: e.plan.metrics,
        optimalFor: e.optimalFor,
        dominated: all.some((x) => x !== e && dominates(x.plan, e.plan)),
        cuts: cutsOf(e.plan),
      });
    }
  }
  return { objective, replicas, balance, plan, greedy, gainOverGreedy, pareto, placement: method };
}
