/** Deterministic synthetic softmax rows whose correctness depends on confidence, for decision tests. */
import { softmax } from '../../src/strategy/hi/decision/decision.js';
import { mulberry32 } from '../../src/core/random.js';

/** The project's seeded PRNG (mulberry32). */
export const rng = mulberry32;

/** `n` 10-class softmax rows; a row is "correct" with probability (top-1)^2, so confidence carries signal. */
export function syntheticCalibration(n: number, seed: number): { rows: Float64Array[]; correct: boolean[] } {
  const r = rng(seed);
  const rows: Float64Array[] = [];
  const correct: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const logits = Array.from({ length: 10 }, () => r() * 2);
    logits[Math.floor(r() * 10)] += r() * 6;
    const p = softmax(logits);
    rows.push(p);
    correct.push(r() < Math.max(...p) ** 2);
  }
  return { rows, correct };
}

/** Area under the ROC curve of scores for predicting `positive` (rank statistic, ties count half). */
export function auc(scores: readonly number[], positive: readonly boolean[]): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}
