import { describe, expect, it } from 'vitest';
import { LogisticDecision } from '../../src/strategy/hi/decision/logistic/logistic-decision.js';
import { runDecisionContract } from './decision-contract.js';
import { rng } from './synthetic.js';

runDecisionContract('logistic regression on top-2 softmax', () => new LogisticDecision());

describe('LogisticDecision training', () => {
  it('recovers the weights of data generated from a known logistic model', () => {
    const r = rng(9);
    const truth = [-4, 9, -3];
    const rows: number[][] = [];
    const correct: boolean[] = [];
    for (let i = 0; i < 20000; i++) {
      // rows ordered p1 >= p2 >= rest so that top-2 really is (p1, p2)
      const p1 = 0.5 + 0.5 * r();
      const p2 = (1 - p1) * (0.5 + 0.5 * r());
      rows.push([p1, p2, Math.max(0, 1 - p1 - p2)]);
      const z = truth[0] + truth[1] * p1 + truth[2] * p2;
      correct.push(r() < 1 / (1 + Math.exp(-z)));
    }
    const m = new LogisticDecision({ l2: 0 });
    m.fit(rows, correct);
    m.weights.forEach((w, k) => expect(Math.abs(w - truth[k])).toBeLessThan(0.6));
    expect(m.iterations).toBeLessThan(30);
  });
});
