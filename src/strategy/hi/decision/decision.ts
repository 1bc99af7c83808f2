/**
 * HI decision modules: given the local model's softmax row for a sample, accept the local answer or
 * offload the sample. Convention (seed section 6 and issue 7): the **positive** class is
 * "offload", i.e. the local answer is predicted wrong. So a false positive is a correct local answer
 * that was offloaded, and a false negative is a wrong local answer that was kept.
 */
import { EdgesplitError } from '../../../core/errors.js';

/** What a decision module does with one sample. */
export type Decision = 'accept' | 'offload';

/** A softmax row (probabilities over classes). */
export type SoftmaxRow = ArrayLike<number>;

/**
 * One decision module. `score` is a confidence that the local answer is correct (higher = more
 * likely correct); a sample is accepted iff `score >= threshold`. `fit` learns from calibration
 * rows and whether the local model was correct on each, and sets a default threshold.
 */
export interface DecisionModule {
  readonly name: string;
  /** Accept iff score >= threshold. Settable so a QoS search can move it. */
  threshold: number;
  fit(rows: readonly SoftmaxRow[], correct: readonly boolean[]): void;
  score(row: SoftmaxRow): number;
  decide(row: SoftmaxRow): Decision;
}

/** Validates calibration data: same length, non-empty, finite non-negative rows of one width. */
export function checkCalibration(
  rows: readonly SoftmaxRow[],
  correct: readonly boolean[],
  who: string,
): void {
  if (rows.length === 0) throw new EdgesplitError('E_DATA', `${who}: calibration set is empty`);
  if (rows.length !== correct.length) {
    throw new EdgesplitError(
      'E_DATA',
      `${who}: ${rows.length} softmax rows but ${correct.length} correctness labels`,
    );
  }
  const width = rows[0].length;
  rows.forEach((r, i) => checkRow(r, `${who}: calibration row ${i}`, width));
}

/** Checks one softmax row: at least two classes, finite values in [0, 1], optional expected width. */
export function checkRow(row: SoftmaxRow, where: string, width?: number): void {
  if (row.length < 2)
    throw new EdgesplitError('E_DATA', `${where}: a softmax row needs at least 2 classes, got ${row.length}`);
  if (width !== undefined && row.length !== width)
    throw new EdgesplitError('E_DATA', `${where}: has ${row.length} classes, expected ${width}`);
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (!Number.isFinite(v) || v < 0 || v > 1 + 1e-6)
      throw new EdgesplitError('E_DATA', `${where}: value ${v} at class ${i} is not a probability`);
  }
}

/** The two largest values of a row, largest first. */
export function top2(row: SoftmaxRow): [number, number] {
  let a = -Infinity;
  let b = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  return [a, b];
}

/** Index of the largest value (first on ties). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Numerically stable softmax of a logits row. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const out = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - m);
    s += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}
