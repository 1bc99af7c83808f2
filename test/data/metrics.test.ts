import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxRows,
  binaryConfusion,
  binaryScores,
  countCorrect,
  softmaxRows,
  top2SoftmaxRows,
} from '../../src/data/metrics.js';

describe('classification metrics', () => {
  const logits = Float32Array.from([0.1, 2, -1, 5, 4, 4.5, 1, 1, 3, -2, 7, 6.9]);

  it('argmax picks the largest value per row, first on ties', () => {
    expect([...argmaxRows(logits, 3)]).toEqual([1, 0, 2, 1]);
    expect([...argmaxRows([1, 1, 0], 3)]).toEqual([0]);
    expect(() => argmaxRows(logits, 5)).toThrow(/not a whole number of rows/);
  });

  it('accuracy counts matches with labels', () => {
    expect(countCorrect(logits, [1, 0, 0, 1], 3)).toBe(3);
    expect(accuracy(logits, [1, 0, 0, 1], 3)).toBe(0.75);
    expect(accuracy(logits, [2, 2, 0, 0], 3)).toBe(0);
    expect(() => accuracy(logits, [1, 2], 3)).toThrow(/4 rows of logits but 2 labels/);
  });

  it('softmax rows sum to 1 and match the closed form', () => {
    const p = softmaxRows([0, Math.log(3), 1000, 1000], 2);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(p[2]).toBeCloseTo(0.5, 12);
    expect(p[3]).toBeCloseTo(0.5, 12);
  });

  it('top-2 softmax returns the two most probable classes', () => {
    const [r0, r1] = top2SoftmaxRows([Math.log(1), Math.log(6), Math.log(3), Math.log(5), Math.log(2), Math.log(3)], 3);
    expect(r0).toMatchObject({ top1Class: 1, top2Class: 2 });
    expect(r0.top1Prob).toBeCloseTo(0.6, 12);
    expect(r0.top2Prob).toBeCloseTo(0.3, 12);
    expect(r1).toMatchObject({ top1Class: 0, top2Class: 2 });
    expect(r1.top2Prob).toBeCloseTo(0.3, 12);
  });
});

describe('binary decision metrics', () => {
  it('counts the confusion matrix and derives precision, recall, F1', () => {
    const predicted = [true, true, false, false, true, false];
    const actual = [true, false, true, false, true, false];
    const c = binaryConfusion(predicted, actual);
    expect(c).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    const s = binaryScores(c);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(2 / 3, 12);
    expect(s.f1).toBeCloseTo(2 / 3, 12);
    expect(binaryScores({ tp: 1, fp: 0, tn: 0, fn: 3 })).toEqual({ precision: 1, recall: 0.25, f1: 0.4 });
    expect(binaryScores({ tp: 0, fp: 0, tn: 5, fn: 0 })).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(() => binaryConfusion([true], [])).toThrow(/1 predictions but 0 actual/);
  });
});
