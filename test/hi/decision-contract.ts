/** The contract every DecisionModule must pass (one shared suite, run per implementation). */
import { describe, expect, it } from 'vitest';
import type { DecisionModule } from '../../src/strategy/hi/decision/decision.js';
import { metricsAtThreshold } from '../../src/strategy/hi/decision/metrics.js';
import { auc, rng, syntheticCalibration } from './synthetic.js';

/** Runs the decision-module contract against a factory. */
export function runDecisionContract(name: string, create: () => DecisionModule): void {
  describe(`DecisionModule contract: ${name}`, () => {
    const calib = syntheticCalibration(2000, 1);
    const test = syntheticCalibration(2000, 2);

    it('rejects bad calibration data with a clear E_DATA error', () => {
      const m = create();
      expect(() => m.fit([], [])).toThrow(/empty/);
      expect(() => m.fit(calib.rows.slice(0, 3), [true])).toThrow(/3 softmax rows but 1/);
      expect(() =>
        m.fit(
          [
            [0.5, 0.5],
            [0.2, 0.3, 0.5],
          ],
          [true, false],
        ),
      ).toThrow(/row 1.*3 classes, expected 2/);
      expect(() => m.fit([[0.5, NaN]], [true])).toThrow(/not a probability/);
      expect(() => m.fit([[1]], [true])).toThrow(/at least 2 classes/);
    });

    it('decides accept exactly when score >= threshold', () => {
      const m = create();
      m.fit(calib.rows, calib.correct);
      const r = rng(3);
      for (let k = 0; k < 5; k++) {
        m.threshold = r();
        for (const row of test.rows.slice(0, 200))
          expect(m.decide(row)).toBe(m.score(row) >= m.threshold ? 'accept' : 'offload');
      }
    });

    it('is deterministic: two fits on the same data give identical scores and thresholds', () => {
      const a = create();
      const b = create();
      a.fit(calib.rows, calib.correct);
      b.fit(calib.rows, calib.correct);
      expect(a.threshold).toBe(b.threshold);
      expect(test.rows.slice(0, 100).map((r) => a.score(r))).toEqual(
        test.rows.slice(0, 100).map((r) => b.score(r)),
      );
    });

    it('learns the signal: held-out scores rank correct answers above wrong ones and F1 beats accept-all', () => {
      const m = create();
      m.fit(calib.rows, calib.correct);
      const scores = test.rows.map((r) => m.score(r));
      expect(auc(scores, test.correct)).toBeGreaterThan(0.75);
      const fitted = metricsAtThreshold(scores, test.correct, m.threshold);
      const acceptAll = metricsAtThreshold(scores, test.correct, -Infinity);
      expect(acceptAll.f1).toBe(0);
      expect(fitted.f1).toBeGreaterThan(0.5);
      expect(fitted.falsePositives + fitted.truePositives).toBe(
        Math.round(fitted.offloadFraction * test.rows.length),
      );
    });

    it('handles a one-class calibration set (every local answer correct) by accepting', () => {
      const m = create();
      m.fit(
        calib.rows.slice(0, 300),
        calib.rows.slice(0, 300).map(() => true),
      );
      const scores = calib.rows.slice(0, 300).map((r) => m.score(r));
      expect(scores.every(Number.isFinite)).toBe(true);
      expect(calib.rows.slice(0, 300).every((r) => m.decide(r) === 'accept')).toBe(true);
    });

    it('rejects a malformed row at decision time', () => {
      const m = create();
      m.fit(calib.rows, calib.correct);
      expect(() => m.decide([0.3, -0.1, 0.8])).toThrow(/not a probability/);
    });
  });
}
