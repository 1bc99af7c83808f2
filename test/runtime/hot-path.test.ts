import { afterEach, describe, expect, it, vi } from 'vitest';
import { float32Tensor } from '../../src/core/tensor.js';
import { mulberry32 } from '../../src/core/random.js';
import { RecentKeys } from '../../src/runtime/fanout.js';
import { ReorderBuffer } from '../../src/runtime/reorder.js';
import { ReplicaPicker } from '../../src/runtime/replica-picker.js';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import { RunLedger } from '../../src/runtime/run-ledger.js';
import { RunStats } from '../../src/runtime/run-stats.js';
import { WaitGate } from '../../src/runtime/wait-gate.js';
import { decodeTimeline, TimelineWriter } from '../../src/runtime/timeline-codec.js';
import type { TensorFrame } from '../../src/transport/codec/frame.js';

const t = (name: string) => ({ name, dtype: 'float32' as const, shape: [1], wire: 'fp32' as const });
const planWith = (outputs: string[]): RuntimePlan => ({
  dir: '/p',
  graphInputs: [t('x')],
  graphOutputs: outputs,
  stages: [{ id: '0', modelPath: 'a', inputs: [t('x')], outputs: outputs.map(t), devices: [{ name: 'a' }] }],
});
const frame = (epoch: number, seq: number, name: string, v: number): TensorFrame => ({
  type: 'tensor',
  streamId: epoch,
  seq,
  name,
  tensor: float32Tensor([1, 1], new Float32Array([v])),
  wire: 'fp32',
});

describe('reorder buffer offer', () => {
  it('releases exactly what push releases, in the same order, for shuffled and duplicated seqs', () => {
    const random = mulberry32(7);
    const seqs = Array.from({ length: 400 }, (_, i) => i);
    const order = [...seqs, ...seqs.filter((s) => s % 7 === 0)]; // some duplicates
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const a = new ReorderBuffer<number>();
    const b = new ReorderBuffer<number>();
    const viaPush: number[] = [];
    const viaOffer: [number, number][] = [];
    for (const s of order) {
      viaPush.push(...a.push(s, s * 10));
      const before = viaOffer.length;
      const n = b.offer(s, s * 10, (v, seq) => viaOffer.push([v, seq]));
      expect(n).toBe(viaOffer.length - before);
    }
    expect(viaOffer.map(([v]) => v)).toEqual(viaPush);
    expect(viaOffer.map(([, seq]) => seq)).toEqual(seqs);
    expect([b.released, b.duplicates, b.maxHeld]).toEqual([a.released, a.duplicates, a.maxHeld]);
    expect(b.duplicates).toBe(order.length - seqs.length);
  });
});

describe('replica picker with one target', () => {
  it('reads no load and still advances its turn', () => {
    const p = new ReplicaPicker('least-loaded');
    const load = vi.fn(() => 0);
    expect(p.pick(1, load)).toBe(0);
    expect(load).not.toHaveBeenCalled();
    // the turn moved on: with two equal targets the rotation starts at 1, as it did before
    expect(p.pick(2, () => 0)).toBe(1);
  });
});

describe('run ledger release', () => {
  for (const outputs of [['y'], ['y', 'z']])
    it(`releases in order, once per seq, with ${outputs.length} graph output(s)`, () => {
      const released: [number, number, number][] = [];
      const ledger = new RunLedger(planWith(outputs), {
        keepRecords: false,
        onRelease: (seq, out, done) => released.push([seq, Number(out.y.data[0]), done]),
      });
      for (let s = 0; s < 6; s++) ledger.start(s, s);
      const arrive = (seq: number, name: string) =>
        ledger.result('a', frame(1, seq, name, seq + 0.5), 100 + seq);
      for (const seq of [1, 0, 3, 1, 2, 5, 4, 4]) for (const n of outputs) arrive(seq, n);
      expect(released).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s, s + 0.5, s + 1]));
      expect(ledger.incomplete.size).toBe(0);
      expect(ledger.outputs.map((o) => Object.keys(o).sort())).toEqual(Array(6).fill(outputs));
      // a result for a seq already released is not wanted
      expect(arrive(2, outputs[0])).toBe(false);
    });
});

describe('wait gate', () => {
  afterEach(() => vi.useRealTimers());

  /** A gate with a 1 s limit on a fake clock that `advance` moves along with the fake timers. */
  function clockedGate() {
    vi.useFakeTimers();
    const clock = { now: 0 };
    const stalls: number[] = [];
    const gate = new WaitGate(
      1000,
      () => stalls.push(clock.now),
      () => clock.now,
    );
    const advance = async (ms: number, times: number) => {
      for (let i = 0; i < times; i++) {
        clock.now += ms;
        await vi.advanceTimersByTimeAsync(ms);
      }
    };
    /** Expects exactly one stall so far, 1000-1200 ms after `from`. */
    const expectStallAfter = (from: number) => {
      expect(stalls).toHaveLength(1);
      expect(stalls[0] - from).toBeGreaterThanOrEqual(1000);
      expect(stalls[0] - from).toBeLessThan(1200);
    };
    return { gate, clock, stalls, advance, expectStallAfter };
  }

  it('shares one promise and one timer between wakes, and stalls only when one wait lasts the limit', async () => {
    const { gate, clock, stalls, advance, expectStallAfter } = clockedGate();
    // 50 waits, each woken after 100 ms: 5 s in all, but no single wait reaches the limit
    for (let i = 0; i < 50; i++) {
      const w = gate.wait();
      expect(gate.wait()).toBe(w);
      expect(vi.getTimerCount()).toBe(1);
      await advance(100, 1);
      gate.wake();
      await w;
    }
    expect(stalls).toEqual([]);
    // now a wait nobody ends
    const start = clock.now;
    void gate.wait();
    await advance(100, 30);
    expectStallAfter(start);
    gate.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts the limit from the last progress of one long wait, which progress does not end', async () => {
    const { gate, clock, stalls, advance, expectStallAfter } = clockedGate();
    let ended = false;
    const w = gate.wait().then(() => (ended = true));
    // progress every 300 ms for 6 s: one wait, never stalled, never ended
    for (let i = 0; i < 20; i++) {
      await advance(300, 1);
      gate.progress(clock.now);
    }
    expect([stalls, ended, vi.getTimerCount()]).toEqual([[], false, 1]);
    // then no progress: it stalls once the limit passed since the last one
    const last = clock.now;
    await advance(100, 15);
    expectStallAfter(last);
    gate.wake();
    await w;
    expect(ended).toBe(true);
    gate.stop();
  });
});

describe('run statistics joins', () => {
  it('join (epoch, seq) pairs alike on both sides of the small-key range', () => {
    const plan = planWith(['y']);
    const s = new RunStats(plan);
    const cases: [number, number][] = [
      [1, 0],
      [1, 2 ** 20 - 1],
      [1, 2 ** 20],
      [2, 0], // epoch * 2^20 + seq would give both of these one key
      [1023, 5],
      [1024, 5],
      [5000, 2 ** 31],
    ];
    // one join per pair, none shared
    for (const [epoch, seq] of cases) s.sent({ epoch, seq, sendStart: 0, sendEnd: 0, bytes: 1, target: 'a' });
    expect(s.pendingJoins).toBe(cases.length);
    for (const [epoch, seq] of cases) {
      s.node({
        stageIndex: 0,
        device: 'a',
        epoch,
        seq,
        received: 2,
        inferStart: 2,
        inferEnd: 3,
        sendStart: 3,
        sendEnd: 3,
        bytes: 1,
        target: 'coordinator',
      });
      s.arrived({ epoch, seq, ms: 7, from: 'a' });
    }
    expect(s.pendingJoins).toBe(0);
    const r = s.summary(cases.length, 0, 10);
    expect(r.links.map((l) => l.communicationMs)).toEqual([2, 4]);
  });
});

describe('recent sample keys', () => {
  it('forget the oldest first, keep exactly the last cap keys, and ignore a repeat', () => {
    const keys = new RecentKeys(3);
    for (const k of [10, 11, 12]) keys.remember(k);
    keys.remember(11); // a repeat neither moves nor evicts anything
    expect([10, 11, 12].map((k) => keys.has(k))).toEqual([true, true, true]);
    for (let k = 13; k < 20; k++) {
      keys.remember(k);
      // after each key: exactly the last three remembered
      expect([k - 3, k - 2, k - 1, k].map((x) => keys.has(x))).toEqual([false, true, true, true]);
    }
    keys.clear();
    expect([17, 18, 19].some((k) => keys.has(k))).toBe(false);
    for (const k of [1, 2, 3, 4]) keys.remember(k);
    expect([1, 2, 3, 4].map((k) => keys.has(k))).toEqual([false, true, true, true]);
  });
});

describe('run ledger timelines without kept records', () => {
  it('fold a timeline batch into the same summary as the per-record path', () => {
    const plan: RuntimePlan = {
      ...planWith(['y']),
      stages: [
        { id: '0', modelPath: 'a', inputs: [t('x')], outputs: [t('h')], devices: [{ name: 'a' }] },
        { id: '1', modelPath: 'b', inputs: [t('h')], outputs: [t('y')], devices: [{ name: 'b' }] },
      ],
    };
    const summaries = [true, false].map((keepRecords) => {
      const ledger = new RunLedger(plan, { keepRecords, keepOutputs: false });
      for (let s = 0; s < 4; s++) {
        ledger.start(s, s);
        ledger.sent({ epoch: 1, seq: s, sendStart: s, sendEnd: s + 0.25, bytes: 64, target: 'a' });
      }
      for (const [stageIndex, device, target] of [
        [0, 'a', 'b'],
        [1, 'b', 'coordinator'],
      ] as const) {
        const w = new TimelineWriter();
        for (let s = 0; s < 4; s++) {
          const at = 10 * (stageIndex + 1) + s;
          // stage 1 drops seq 3: it must count as compute but not as a delivery
          const to = stageIndex === 1 && s === 3 ? '' : target;
          w.push(1, s, at, at + 0.5, at + 1.5 + s / 8, at + 2, at + 2.25, 32 + stageIndex, to, 1);
        }
        const from = { stageIndex, endpoint: { device }, offset: { offsetMs: 1.5 } };
        ledger.timeline(from, decodeTimeline(w.take(), device));
      }
      for (let s = 0; s < 3; s++) ledger.result('b', frame(1, s, 'y', s), 40 + s);
      return ledger.summary(0, 50);
    });
    expect(summaries[1]).toEqual(summaries[0]);
    expect(summaries[0].stages.map((s) => s.processed)).toEqual([4, 3]);
  });
});
