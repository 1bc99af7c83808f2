import {
  checkCalibration,
  checkRow,
  top2,
  type Decision,
  type DecisionModule,
  type SoftmaxRow,
} from '../decision.js';
import { bestF1Threshold } from '../metrics.js';

/**
 * Max-softmax threshold: score = the largest softmax value. `fit` picks the threshold with the best
 * offload-class F1 on the calibration set (exact over its distinct scores).
 */
export class ThresholdDecision implements DecisionModule {
  readonly name = 'threshold';
  threshold: number;

  constructor(threshold = 0.5) {
    this.threshold = threshold;
  }

  fit(rows: readonly SoftmaxRow[], correct: readonly boolean[]): void {
    checkCalibration(rows, correct, 'threshold decision');
    this.threshold = bestF1Threshold(
      rows.map((r) => top2(r)[0]),
      correct,
    );
  }

  score(row: SoftmaxRow): number {
    checkRow(row, 'threshold decision input');
    return top2(row)[0];
  }

  decide(row: SoftmaxRow): Decision {
    return this.score(row) >= this.threshold ? 'accept' : 'offload';
  }
}
