import { describe, expect, it } from 'vitest';
import { decodeTimeline, TimelineWriter } from '../../src/runtime/timeline-codec.js';

describe('binary node timelines', () => {
  it('round-trip records, targets and counts exactly', () => {
    const w = new TimelineWriter();
    const t0 = 1_764_590_000_123.456;
    for (let i = 0; i < 100; i++)
      w.push(
        2,
        32 * i,
        t0 + i,
        t0 + i + 0.25,
        t0 + i + 0.5,
        t0 + i + 0.75,
        t0 + i + 1,
        1000 + i,
        i % 3 === 0 ? '' : `10.0.0.${i % 2}:7000`,
        32,
      );
    expect(w.length).toBe(100);
    const b = decodeTimeline(w.take(), 'node a');
    expect(w.length).toBe(0);
    expect(b.records).toBe(100);
    expect(b.targets).toEqual(['10.0.0.1:7000', '10.0.0.0:7000']);
    const row = (r: number) => Array.from(b.values.subarray(r * 10, r * 10 + 10));
    expect(row(0)).toEqual([2, 0, t0, t0 + 0.25, t0 + 0.5, t0 + 0.75, t0 + 1, 1000, -1, 32]);
    expect(row(1)).toEqual([2, 32, t0 + 1, t0 + 1.25, t0 + 1.5, t0 + 1.75, t0 + 2, 1001, 0, 32]);
    expect(b.targets[row(2)[8]]).toBe('10.0.0.0:7000');
    // an empty batch after take() starts a fresh target table
    w.push(3, 0, 1, 2, 3, 4, 5, 6, 'coordinator', 1);
    const c = decodeTimeline(w.take(), 'node a');
    expect(c.targets).toEqual(['coordinator']);
    expect(c.values[8]).toBe(0);
  });

  it('refuses malformed frames with one line naming the node', () => {
    const w = new TimelineWriter();
    w.push(1, 0, 1, 2, 3, 4, 5, 6, 'x', 1);
    const good = w.take();
    expect(() => decodeTimeline(good.subarray(0, 10), 'node b')).toThrow(
      /node b: bad timeline frame: 10 bytes/,
    );
    expect(() => decodeTimeline(good.subarray(0, good.length - 8), 'node b')).toThrow(/expected/);
    const badTarget = good.slice();
    new DataView(badTarget.buffer).setFloat64(badTarget.length - 16, 5, true);
    expect(() => decodeTimeline(badTarget, 'node b')).toThrow(/record 0: target index 5/);
    const badCount = good.slice();
    new DataView(badCount.buffer).setFloat64(badCount.length - 8, 0, true);
    expect(() => decodeTimeline(badCount, 'node b')).toThrow(/record 0: count 0/);
    const badMagic = good.slice();
    badMagic[0] = 0;
    expect(() => decodeTimeline(badMagic, 'node b')).toThrow(/wrong magic/);
  });
});
