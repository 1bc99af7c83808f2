import { describe, expect, it } from 'vitest';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import { perSampleRecords } from '../../src/runtime/micro-batch.js';
import { RunStats } from '../../src/runtime/run-stats.js';

const t = (name: string) => ({ name, dtype: 'float32' as const, shape: [1], wire: 'fp32' as const });
const plan: RuntimePlan = {
  dir: '/p',
  graphInputs: [t('x')],
  graphOutputs: ['y'],
  stages: [
    { id: '0', modelPath: 'a', inputs: [t('x')], outputs: [t('h')], devices: [{ name: 'a' }] },
    { id: '1', modelPath: 'b', inputs: [t('h')], outputs: [t('y')], devices: [{ name: 'b' }] },
  ],
};

/** Feeds one sample's records; stage records arrive late (after the result), as timeline batches do. */
function feed(s: RunStats, seq: number, latencyMs: number): void {
  const t0 = seq * 10;
  s.sent({ epoch: 1, seq, sendStart: t0, sendEnd: t0 + 0.1, bytes: 100, target: 'a' });
  s.arrived({ epoch: 1, seq, ms: t0 + latencyMs, from: 'b' });
  s.delivered(latencyMs, t0 + latencyMs);
  const rec = (stageIndex: number, at: number, target: string) => ({
    stageIndex,
    device: stageIndex ? 'b' : 'a',
    epoch: 1,
    seq,
    received: at,
    inferStart: at,
    inferEnd: at + 1,
    sendStart: at + 1,
    sendEnd: at + 1.5,
    bytes: 40,
    target,
  });
  s.node(rec(1, t0 + 3, 'coordinator'));
  s.node(rec(0, t0 + 1, 'b'));
}

describe('streaming run statistics', () => {
  it('joins hops whatever order records arrive in, and keeps nothing per sample afterwards', () => {
    const s = new RunStats(plan, { reservoir: 1000 });
    for (let seq = 0; seq < 50_000; seq++) feed(s, seq, 5 + (seq % 100) / 10);
    expect(s.pendingJoins).toBe(0);
    expect(s.evicted).toBe(0);
    const r = s.summary(50_000, 0, 500_000);
    // hops: coordinator->0 is 1 ms, 0->1 is 3-2 = 1 ms, 1->coordinator is latency-4
    expect(r.links.map((l) => l.communicationMs.toFixed(3))).toEqual(['1.000', '1.000', '5.950']);
    expect(r.stages.map((x) => x.processed)).toEqual([50_000, 50_000]);
    expect(r.latencyMs.mean).toBeCloseTo(9.95, 6);
    expect(r.latencyMs.max).toBeCloseTo(14.9, 6);
    // a 1000-sample reservoir of a uniform 5.0..14.9 spread: the median is near 9.95
    expect(Math.abs(r.latencyMs.p50 - 9.95)).toBeLessThan(0.5);
  });

  it('caps joins that never complete (records of a killed node)', () => {
    const s = new RunStats(plan, { maxJoins: 100 });
    for (let seq = 0; seq < 1000; seq++)
      s.sent({ epoch: 1, seq, sendStart: seq, sendEnd: seq, bytes: 1, target: 'a' });
    expect(s.pendingJoins).toBe(100);
    expect(s.evicted).toBe(900);
  });

  it('folds a micro-batch record once with the same summary as its per-sample records', () => {
    const perSample = new RunStats(plan);
    const batched = new RunStats(plan);
    const k = 8;
    for (let b = 0; b < 20; b++) {
      const first = b * k;
      const t0 = b * 50;
      const send = { epoch: 1, seq: first, sendStart: t0, sendEnd: t0 + 0.8, bytes: 800, target: 'a' };
      const d = 0.8 / k;
      for (let j = 0; j < k; j++)
        perSample.sent({
          ...send,
          seq: first + j,
          sendStart: t0 + j * d,
          sendEnd: t0 + (j + 1) * d,
          bytes: 100,
        });
      batched.sent({ ...send, count: k });
      const arrive = () => {
        // results arrive before the stage records (timeline batches come late) or after them;
        // the last sample of every other batch was already delivered (a duplicate): it is not an arrival
        const completed = b % 2 ? k - 1 : k;
        for (let j = 0; j < completed; j++)
          perSample.arrived({ epoch: 1, seq: first + j, ms: t0 + 17, from: 'b' });
        const meanIndex = (completed - 1) / 2;
        batched.arrived({ epoch: 1, seq: first, ms: t0 + 17, from: 'b', count: k, completed, meanIndex });
      };
      if (b % 4 < 2) arrive();
      for (const [stageIndex, at] of [
        [0, t0 + 2],
        [1, t0 + 9],
      ]) {
        const rec = {
          stageIndex,
          device: stageIndex ? 'b' : 'a',
          epoch: 1,
          seq: first,
          received: at,
          inferStart: at + 0.5,
          inferEnd: at + 4.5,
          sendStart: at + 4.5,
          sendEnd: at + 6.1,
          bytes: 320,
          target: stageIndex ? 'coordinator' : 'b',
          count: k,
        };
        for (const r of perSampleRecords(rec)) perSample.node(r);
        batched.node(rec);
      }
      if (b % 4 >= 2) arrive();
    }
    const a = perSample.summary(160, 0, 1000);
    const b = batched.summary(160, 0, 1000);
    expect(b.stages.map((x) => x.processed)).toEqual([160, 160]);
    for (const [x, y] of [
      [a.stages, b.stages],
      [a.links, b.links],
    ] as const)
      expect(JSON.stringify(y, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(9)) : v))).toBe(
        JSON.stringify(x, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(9)) : v)),
      );
    expect(b.split.computeMs).toBeCloseTo(a.split.computeMs, 9);
    expect(batched.pendingJoins).toBe(0);
  });
});
