import { EdgesplitError } from '../../../../core/errors.js';
import {
  checkCalibration,
  checkRow,
  top2,
  type Decision,
  type DecisionModule,
  type SoftmaxRow,
} from '../decision.js';

/** Options of the logistic-regression decision module. */
export interface LogisticOptions {
  /** L2 penalty on the two feature weights (not the bias); keeps separable data finite. Default 1e-3. */
  readonly l2?: number;
  /** Newton iterations at most. Default 100. */
  readonly maxIterations?: number;
  /** Accept iff P(correct) >= threshold. Default 0.5, the seed's "LR outputs 1". */
  readonly threshold?: number;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Solves the 3x3 system A x = b by Gaussian elimination with partial pivoting. */
function solve3(A: number[][], b: number[]): number[] {
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    if (Math.abs(M[c][c]) < 1e-300)
      throw new EdgesplitError(
        'E_DATA',
        'logistic decision: singular Hessian (calibration features are degenerate)',
      );
    for (let r = c + 1; r < 3; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k < 4; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = M[r][3];
    for (let k = r + 1; k < 3; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * Binary logistic regression on the top-2 softmax values (seed section 2, Behera et al. 2023):
 * P(local answer correct) = sigmoid(w0 + w1 p1 + w2 p2), trained by Newton's method (IRLS) with a
 * small L2 penalty, deterministic. The score is that probability.
 */
export class LogisticDecision implements DecisionModule {
  readonly name = 'lr';
  threshold: number;
  /** [bias, weight of top-1, weight of top-2]. */
  weights: [number, number, number] = [0, 0, 0];
  /** Newton iterations the last fit took. */
  iterations = 0;
  private readonly l2: number;
  private readonly maxIterations: number;

  constructor(options: LogisticOptions = {}) {
    this.l2 = options.l2 ?? 1e-3;
    this.maxIterations = options.maxIterations ?? 100;
    this.threshold = options.threshold ?? 0.5;
  }

  fit(rows: readonly SoftmaxRow[], correct: readonly boolean[]): void {
    checkCalibration(rows, correct, 'logistic decision');
    const X = rows.map((r) => [1, ...top2(r)]);
    const y = correct.map((c) => (c ? 1 : 0));
    let w = [0, 0, 0];
    this.iterations = 0;
    for (let it = 0; it < this.maxIterations; it++) {
      // a tiny penalty on the bias too, so a one-class calibration set still converges to a finite bias
      const g = [-1e-6 * w[0], -this.l2 * w[1], -this.l2 * w[2]];
      const H = [
        [1e-6, 0, 0],
        [0, this.l2, 0],
        [0, 0, this.l2],
      ];
      for (let i = 0; i < X.length; i++) {
        const x = X[i];
        const p = sigmoid(w[0] * x[0] + w[1] * x[1] + w[2] * x[2]);
        const s = p * (1 - p);
        for (let a = 0; a < 3; a++) {
          g[a] += (y[i] - p) * x[a];
          for (let b = 0; b < 3; b++) H[a][b] += s * x[a] * x[b];
        }
      }
      const step = solve3(H, g);
      w = w.map((v, k) => v + step[k]);
      this.iterations = it + 1;
      if (Math.max(...step.map(Math.abs)) < 1e-10) break;
    }
    if (!w.every(Number.isFinite)) throw new EdgesplitError('E_DATA', 'logistic decision: training diverged');
    this.weights = [w[0], w[1], w[2]];
  }

  score(row: SoftmaxRow): number {
    checkRow(row, 'logistic decision input');
    const [p1, p2] = top2(row);
    return sigmoid(this.weights[0] + this.weights[1] * p1 + this.weights[2] * p2);
  }

  decide(row: SoftmaxRow): Decision {
    return this.score(row) >= this.threshold ? 'accept' : 'offload';
  }
}
