import { describe, expect, it } from 'vitest';
import { eeHiCost, hiAccuracy, type CostPoint } from '../../src/strategy/hi/accounting.js';
import {
  EXIT_NEVER,
  evaluateThresholds,
  searchThresholds,
  type HiSearchCosts,
  type HiSearchSample,
  type QosGoal,
} from '../../src/strategy/hi/search.js';
import { rng } from './synthetic.js';

function randomSamples(n: number, exits: number, seed: number): HiSearchSample[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const conf = Array.from({ length: exits }, () => Math.round(r() * 20) / 20);
    return {
      exitConfidence: conf,
      exitCorrect: conf.map((c) => r() < c),
      score: Math.round(r() * 25) / 25,
      localCorrect: r() < 0.8,
      remoteCorrect: r() < 0.95,
    };
  });
}

/** Independent brute force through accounting.ts: every threshold combination, Eq. (1) and eeHiCost. */
function bruteForce(samples: HiSearchSample[], costs: HiSearchCosts, goal: QosGoal): number | undefined {
  const exits = costs.exits.length - 1;
  const lists = Array.from({ length: exits }, (_, k) => [
    ...new Set(samples.map((s) => s.exitConfidence[k])),
    EXIT_NEVER,
  ]);
  const hiList = [...new Set(samples.map((s) => s.score)), 99];
  let best: number | undefined;
  const rec = (k: number, th: number[]) => {
    if (k < exits) {
      for (const t of lists[k]) rec(k + 1, [...th, t]);
      return;
    }
    for (const t of hiList) {
      const n = samples.length;
      const fr = new Array(exits + 1).fill(0);
      const outcomes = samples.map((s) => {
        const e = th.findIndex((x, j) => s.exitConfidence[j] >= x);
        if (e >= 0) {
          fr[e] += 1;
          return { accepted: true, localCorrect: s.exitCorrect[e], remoteCorrect: false };
        }
        fr[exits] += 1;
        return { accepted: s.score >= t, localCorrect: s.localCorrect, remoteCorrect: s.remoteCorrect };
      });
      const eta = outcomes.filter((o) => !o.accepted).length / n;
      const cost = eeHiCost(
        fr.map((c) => c / n),
        costs.exits,
        costs.decision ?? { latencyMs: 0, energyMJ: 0 },
        costs.offload,
        eta,
      );
      const acc = hiAccuracy(outcomes);
      let value: number | undefined;
      if (goal.kind === 'max-accuracy') {
        if (
          (goal.maxLatencyMs === undefined || cost.latencyMs <= goal.maxLatencyMs + 1e-12) &&
          (goal.maxEnergyMJ === undefined || cost.energyMJ <= goal.maxEnergyMJ + 1e-12)
        )
          value = -acc;
      } else if (acc >= goal.minAccuracy - 1e-12)
        value = goal.kind === 'min-latency' ? cost.latencyMs : cost.energyMJ;
      if (value !== undefined && (best === undefined || value < best - 1e-12)) best = value;
    }
  };
  rec(0, []);
  return best;
}

const exitsCost = (k: number): CostPoint[] =>
  Array.from({ length: k + 1 }, (_, i) => ({ latencyMs: 1 + i * 1.5, energyMJ: 2 + i * 3 }));

describe('QoS threshold search', () => {
  const goals: QosGoal[] = [
    { kind: 'min-latency', minAccuracy: 0.85 },
    { kind: 'min-energy', minAccuracy: 0.9 },
    { kind: 'max-accuracy', maxLatencyMs: 5 },
    { kind: 'max-accuracy', maxEnergyMJ: 9 },
  ];

  for (const exits of [0, 1, 2]) {
    it(`equals the brute-force optimum for HI with ${exits} early exit(s), every goal`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const samples = randomSamples(exits === 2 ? 25 : 40, exits, seed * 10 + exits);
        const costs: HiSearchCosts = {
          exits: exitsCost(exits),
          decision: { latencyMs: 0.05, energyMJ: 0.1 },
          offload: { latencyMs: 9.68, energyMJ: 27.67 },
        };
        for (const goal of goals) {
          const res = searchThresholds(samples, costs, goal);
          const want = bruteForce(samples, costs, goal);
          expect(res.exhaustive).toBe(true);
          if (want === undefined) {
            expect(res.best).toBeUndefined();
            expect(res.infeasible).toBeTruthy();
            continue;
          }
          const b = res.best!;
          const got =
            goal.kind === 'max-accuracy'
              ? -b.accuracy
              : goal.kind === 'min-latency'
                ? b.latencyMs
                : b.energyMJ;
          expect(got).toBeCloseTo(want, 9);
        }
      }
    });
  }

  it('reports the chosen point consistently (fractions sum to 1, offload only from the final exit)', () => {
    const samples = randomSamples(200, 2, 77);
    const res = searchThresholds(
      samples,
      { exits: exitsCost(2), offload: { latencyMs: 10, energyMJ: 20 }, exitMacs: [100, 250, 400] },
      { kind: 'min-latency', minAccuracy: 0.8 },
    );
    const b = res.best!;
    expect(b.exitFractions.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
    expect(b.offloadFraction).toBeLessThanOrEqual(b.exitFractions[2] + 1e-12);
    expect(b.meanDeviceMacs).toBeGreaterThanOrEqual(100);
    expect(b.meanDeviceMacs).toBeLessThanOrEqual(400);
  });

  it('uses quantile candidates (and says so) when an exit has many distinct confidences', () => {
    const r = rng(4);
    const samples = Array.from({ length: 300 }, () => ({
      exitConfidence: [r()],
      exitCorrect: [r() < 0.5],
      score: r(),
      localCorrect: true,
      remoteCorrect: true,
    }));
    const res = searchThresholds(
      samples,
      { exits: exitsCost(1), offload: { latencyMs: 5, energyMJ: 5 } },
      { kind: 'min-latency', minAccuracy: 0.5 },
      { maxCandidatesPerExit: 16 },
    );
    expect(res.exhaustive).toBe(false);
    expect(res.evaluated).toBeLessThan(17 * 302);
  });

  it('rejects mismatched inputs', () => {
    expect(() =>
      searchThresholds(
        [],
        { exits: exitsCost(0), offload: { latencyMs: 1, energyMJ: 1 } },
        { kind: 'min-latency', minAccuracy: 0 },
      ),
    ).toThrow(/at least one sample/);
    expect(() =>
      searchThresholds(
        randomSamples(3, 1, 1),
        { exits: exitsCost(0), offload: { latencyMs: 1, energyMJ: 1 } },
        { kind: 'min-latency', minAccuracy: 0 },
      ),
    ).toThrow(/sample 0 has 1 early-exit/);
  });
});

describe('evaluateThresholds', () => {
  it('reproduces the point the search reports for its own thresholds', () => {
    const samples = randomSamples(150, 2, 99);
    const costs: HiSearchCosts = {
      exits: exitsCost(2),
      decision: { latencyMs: 0.1, energyMJ: 0.1 },
      offload: { latencyMs: 10, energyMJ: 20 },
      exitMacs: [1, 2, 3],
    };
    const best = searchThresholds(samples, costs, { kind: 'min-energy', minAccuracy: 0.8 }).best!;
    expect(evaluateThresholds(samples, costs, best.exitThresholds, best.threshold)).toEqual(
      expect.objectContaining({
        accuracy: best.accuracy,
        offloadFraction: best.offloadFraction,
        exitFractions: best.exitFractions,
      }),
    );
    const p = evaluateThresholds(samples, costs, best.exitThresholds, best.threshold);
    expect(p.latencyMs).toBeCloseTo(best.latencyMs, 9);
    expect(p.energyMJ).toBeCloseTo(best.energyMJ, 9);
  });
});
