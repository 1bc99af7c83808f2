import { describe, expect, it } from 'vitest';
import {
  bestF1Threshold,
  decisionMetrics,
  metricsAtThreshold,
} from '../../src/strategy/hi/decision/metrics.js';

describe('decision metrics (positive class = offload)', () => {
  it('counts a hand-made example', () => {
    // offload: T T F F T ; correct: F T F T T
    const m = decisionMetrics([true, true, false, false, true], [false, true, false, true, true]);
    expect([m.truePositives, m.falsePositives, m.falseNegatives, m.trueNegatives]).toEqual([1, 2, 1, 1]);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(1 / 2, 12);
    expect(m.f1).toBeCloseTo(0.4, 12);
    expect(m.f1Accept).toBeCloseTo((2 * 1) / (2 * 1 + 1 + 2), 12);
    expect(m.offloadFraction).toBeCloseTo(0.6, 12);
  });

  it('bestF1Threshold equals brute force over every candidate', () => {
    const scores = [0.9, 0.2, 0.5, 0.5, 0.7, 0.1, 0.95, 0.3, 0.5, 0.8];
    const correct = [true, false, true, false, true, false, true, true, false, false];
    const t = bestF1Threshold(scores, correct);
    const candidates = [...new Set(scores), 2];
    const best = Math.max(...candidates.map((c) => metricsAtThreshold(scores, correct, c).f1));
    expect(metricsAtThreshold(scores, correct, t).f1).toBeCloseTo(best, 12);
  });
});
