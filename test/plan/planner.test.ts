import { describe, expect, it } from 'vitest';
import { getLink } from '../../src/catalog/index.js';
import {
  PlanInfeasibleError,
  objectiveValue,
  planPipeline,
  searchPartition,
  StageCosts,
} from '../../src/strategy/plan/index.js';
import {
  OBJECTIVES,
  type DevicePool,
  type Objective,
  type PartitionProblem,
} from '../../src/strategy/plan/types.js';
import type { DeviceSpec } from '../../src/catalog/schema.js';
import { exhaustiveOptimum } from './exhaustive.js';
import { device, smallDevice, randomCnnProblem, randomProblem } from './helpers.js';

const ble = getLink('ble-esp32s3');
const small = smallDevice();
const big = device('big', { flash: 420_000, sram: 60_000, overhead: 40_000, macsPerS: 9e6, powerW: 0.6 });

function pool(spec: [DeviceSpec, number][]): DevicePool {
  return {
    link: ble,
    devices: spec.flatMap(([d, c]) =>
      Array.from({ length: c }, (_, i) => ({ name: `${d.id}-${i + 1}`, spec: d })),
    ),
  };
}

function plannedValue(
  problem: PartitionProblem,
  p: DevicePool,
  objective: Objective,
  replicas: 'auto' | 'none',
): number | 'infeasible' {
  try {
    const r = planPipeline(problem, p, { objective, replicas, pareto: false });
    return objectiveValue(r.plan.metrics, objective);
  } catch (err) {
    if (err instanceof PlanInfeasibleError) return 'infeasible';
    throw err;
  }
}

function checkAgainstExhaustive(problem: PartitionProblem, spec: [DeviceSpec, number][]) {
  const p = pool(spec);
  const types = spec.map(([d]) => d);
  const available = spec.map(([, c]) => c);
  let compared = 0;
  for (const replicas of ['none', 'auto'] as const) {
    for (const objective of OBJECTIVES) {
      const replicate = replicas === 'auto' && (objective === 'throughput' || objective === 'energy');
      const best = exhaustiveOptimum(problem, types, available, ble, objective, replicate);
      const got = plannedValue(problem, p, objective, replicas);
      if (best === undefined) {
        expect(got, `${problem.model} ${objective} ${replicas}`).toBe('infeasible');
        continue;
      }
      expect(got, `${problem.model} ${objective} ${replicas}`).not.toBe('infeasible');
      const ratio = best === 0 ? (got === 0 ? 1 : Infinity) : (got as number) / best;
      expect(
        ratio,
        `${problem.model} ${objective} ${replicas}: planner ${got} vs exhaustive ${best}`,
      ).toBeCloseTo(1, 9);
      compared++;
    }
  }
  return compared;
}

describe('partition planner: exact against exhaustive enumeration', () => {
  it('random chains (synthetic profiles), two device types, every objective, with and without replicas: ratio 1.00', () => {
    let compared = 0;
    for (let seed = 1; seed <= 14; seed++) {
      compared += checkAgainstExhaustive(randomProblem(seed, 5 + (seed % 4)), [
        [small, 3],
        [big, 1],
      ]);
    }
    // most instances must be feasible, or the comparison proves little
    expect(compared).toBeGreaterThan(100);
  });

  it('random CNN DAGs with residual Adds (ModelBuilder, profiled), one device type: ratio 1.00', () => {
    let compared = 0;
    let dags = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const { problem } = randomCnnProblem(seed, 5);
      if (problem.nodes.some((x) => x.op === 'Add')) dags++;
      const weights = problem.nodes.reduce((a, x) => a + x.weightBytes, 0);
      const peak = Math.max(...problem.nodes.map((x) => x.liveBytes));
      // tight enough that one device cannot hold the whole model
      const largest = Math.max(...problem.nodes.map((x) => x.weightBytes));
      const mcu = device('mcu', {
        flash: 1000 + Math.max(largest, Math.ceil(weights * 0.45)),
        overhead: 1000,
        sram: peak,
        macsPerS: 1e6,
        powerW: 0.1,
      });
      expect(weights + 1000).toBeGreaterThan(mcu.flashBytes);
      compared += checkAgainstExhaustive(problem, [[mcu, 4]]);
    }
    expect(dags).toBeGreaterThan(2);
    expect(compared).toBeGreaterThan(40);
  });

  it('is never worse than the greedy baseline, and reports the gain', () => {
    let better = 0;
    for (let seed = 20; seed < 40; seed++) {
      const problem = randomProblem(seed, 12);
      for (const objective of OBJECTIVES) {
        let r;
        try {
          r = planPipeline(
            problem,
            pool([
              [small, 6],
              [big, 2],
            ]),
            { objective, pareto: false },
          );
        } catch (err) {
          expect(err).toBeInstanceOf(PlanInfeasibleError);
          continue;
        }
        if ('infeasible' in r.greedy) continue;
        const mine = objectiveValue(r.plan.metrics, objective);
        const theirs = objectiveValue(r.greedy.metrics, objective);
        expect(mine).toBeLessThanOrEqual(theirs * (1 + 1e-9));
        expect(r.gainOverGreedy!).toBeGreaterThanOrEqual(1);
        if (r.gainOverGreedy! > 1.01) better++;
      }
    }
    expect(better).toBeGreaterThan(0);
  });

  it('replication: with more devices than stages the bottleneck stage gets the replicas and throughput scales', () => {
    const problem = randomProblem(3, 8);
    const two = planPipeline(problem, pool([[big, 2]]), {
      objective: 'throughput',
      replicas: 'none',
      pareto: false,
    });
    const eight = planPipeline(problem, pool([[big, 8]]), {
      objective: 'throughput',
      replicas: 'auto',
      pareto: false,
    });
    expect(eight.plan.metrics.devices).toBe(8);
    expect(eight.plan.metrics.throughputPerS).toBeGreaterThan(two.plan.metrics.throughputPerS * 2);
    for (const s of eight.plan.stages) expect(s.cycleS * s.devices.length).toBeGreaterThan(0);
    // the replicated stages are the slow ones: every stage with fewer replicas is no slower per sample than the bottleneck
    const worst = eight.plan.stages[eight.plan.metrics.bottleneckStage];
    const none = planPipeline(problem, pool([[big, 8]]), {
      objective: 'throughput',
      replicas: 'none',
      pareto: false,
    });
    expect(none.plan.metrics.devices).toBe(none.plan.metrics.stages);
    expect(worst.cycleS).toBeLessThan(none.plan.stages[none.plan.metrics.bottleneckStage].cycleS);
  });

  it('energy balance: spare devices go to the stage that drains its battery fastest', () => {
    const problem = randomProblem(5, 8);
    const base = planPipeline(problem, pool([[big, 3]]), {
      objective: 'energy',
      replicas: 'none',
      pareto: false,
    });
    const k = base.plan.stages.length;
    const r = planPipeline(problem, pool([[big, k + 1]]), {
      objective: 'throughput',
      replicas: 'auto',
      balance: 'energy',
      pareto: false,
    });
    const byEnergy = r.plan.stages.map((s) => s.energyJ * s.devices.length);
    const hungriest = byEnergy.indexOf(Math.max(...byEnergy));
    expect(r.plan.stages[hungriest].devices.length).toBeGreaterThan(1);
  });

  it('lists a Pareto set in which no entry is dominated by another non-dominated entry', () => {
    const r = planPipeline(
      randomProblem(7, 10),
      pool([
        [small, 4],
        [big, 2],
      ]),
      { objective: 'latency' },
    );
    expect(r.pareto.length).toBeGreaterThan(0);
    expect(new Set(r.pareto.flatMap((e) => e.optimalFor))).toEqual(new Set(OBJECTIVES));
    const front = r.pareto.filter((e) => !e.dominated);
    expect(front.length).toBeGreaterThan(0);
    for (const e of r.pareto)
      for (const o of e.optimalFor)
        expect(objectiveValue(e.metrics, o)).toBeLessThanOrEqual(
          Math.min(...r.pareto.map((x) => objectiveValue(x.metrics, o))) * (1 + 1e-9),
        );
  });

  it('the search respects per-type counts (never uses more devices of a type than given)', () => {
    const problem = randomProblem(11, 9);
    const costs = new StageCosts(problem, [small, big], ble);
    const stages = searchPartition({ costs, available: [2, 1], objective: 'throughput', replicate: true });
    if (stages) {
      expect(
        stages.filter((s) => s.type === 'small').reduce((a, s) => a + s.replicas, 0),
      ).toBeLessThanOrEqual(2);
      expect(stages.filter((s) => s.type === 'big').reduce((a, s) => a + s.replicas, 0)).toBeLessThanOrEqual(
        1,
      );
    }
  });
});
