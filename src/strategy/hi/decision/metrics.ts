import { binaryConfusion } from '../../../data/metrics.js';
/** Confusion counts and scores of a decision module, with "offload" (local answer wrong) as the positive class. */
export interface DecisionMetrics {
  readonly samples: number;
  /** Wrong local answers offloaded. */
  readonly truePositives: number;
  /** Correct local answers offloaded (wasted offloads). */
  readonly falsePositives: number;
  /** Wrong local answers kept (errors HI lets through). */
  readonly falseNegatives: number;
  /** Correct local answers kept. */
  readonly trueNegatives: number;
  /** Of the offloaded samples, the fraction whose local answer was wrong (1 when none offloaded). */
  readonly precision: number;
  /** Of the wrong local answers, the fraction offloaded (1 when there were none). */
  readonly recall: number;
  /** Harmonic mean of precision and recall for the offload class. */
  readonly f1: number;
  /** F1 of the other class ("accept" = local answer correct), for comparison with papers that use it. */
  readonly f1Accept: number;
  readonly offloadFraction: number;
}

function f1Of(tp: number, fp: number, fn: number): number {
  return tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn);
}

/** Scores decisions (`offload[i]`) against the local model's correctness (`correct[i]`). */
export function decisionMetrics(offload: readonly boolean[], correct: readonly boolean[]): DecisionMetrics {
  // positive = "the local answer is wrong", so offloading a wrong answer is a true positive
  const { tp, fp, fn, tn } = binaryConfusion(
    offload,
    correct.map((c) => !c),
  );
  const n = offload.length;
  return {
    samples: n,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    trueNegatives: tn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    f1: f1Of(tp, fp, fn),
    f1Accept: f1Of(tn, fn, fp),
    offloadFraction: n === 0 ? 0 : (tp + fp) / n,
  };
}

/** Metrics of "accept iff score >= threshold". */
export function metricsAtThreshold(
  scores: readonly number[],
  correct: readonly boolean[],
  threshold: number,
): DecisionMetrics {
  return decisionMetrics(
    scores.map((s) => s < threshold),
    correct,
  );
}

/**
 * The threshold (among the distinct scores, plus max score + 1 meaning "offload all") that maximises
 * offload-class F1; exact. Ties keep the lowest threshold (fewest offloads).
 */
export function bestF1Threshold(scores: readonly number[], correct: readonly boolean[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const wrongTotal = correct.filter((c) => !c).length;
  // threshold t = order[k] score: samples with score < t (the first k in ascending order) are offloaded
  let best = order.length ? scores[order[0]] : 0;
  let bestF1 = f1Of(0, 0, wrongTotal);
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < order.length) {
    const t = scores[order[k]];
    // evaluate threshold t: offload everything strictly below t (already counted)
    const f = f1Of(tp, fp, wrongTotal - tp);
    if (f > bestF1) {
      bestF1 = f;
      best = t;
    }
    while (k < order.length && scores[order[k]] === t) {
      if (correct[order[k]]) fp++;
      else tp++;
      k++;
    }
  }
  if (order.length && f1Of(tp, fp, wrongTotal - tp) > bestF1) best = scores[order[order.length - 1]] + 1;
  return best;
}
