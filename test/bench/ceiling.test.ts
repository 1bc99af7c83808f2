import { describe, expect, it } from 'vitest';
import { recordsOnlyCeiling } from '../../bench/ceiling.js';

describe('recordsOnlyCeiling', () => {
  it('is the cores over all CPU per sample, against the slowest stage per replica', () => {
    // 3 stages of 0.03 / 0.02 / 0.01 ms, 0.02 ms of records: 2 cores pay 0.08 ms per sample -> 25,000/s;
    // the slowest stage alone allows 1000 / 0.03 = 33,333/s, so the best measured / bound is 0.75
    const c = recordsOnlyCeiling(
      2,
      [
        { cpuMs: 0.03, replicas: 1 },
        { cpuMs: 0.02, replicas: 1 },
        { cpuMs: 0.01, replicas: 1 },
      ],
      0.02,
    );
    expect(c.throughputPerS).toBeCloseTo(25000, 6);
    expect(c.cpuBoundPerS).toBeCloseTo(1000 / 0.03, 6);
    expect(c.vsCpuBound).toBeCloseTo(0.75, 9);
  });

  it('is 1 when the cores outrun the slowest stage, and replicas divide a stage', () => {
    const c = recordsOnlyCeiling(
      8,
      [
        { cpuMs: 0.04, replicas: 2 },
        { cpuMs: 0.03, replicas: 1 },
      ],
      0,
    );
    expect(c.cpuBoundPerS).toBeCloseTo(1000 / 0.03, 6);
    expect(c.vsCpuBound).toBe(1);
  });

  it('refuses nonsense instead of returning a number', () => {
    expect(() => recordsOnlyCeiling(0, [{ cpuMs: 1, replicas: 1 }], 0)).toThrow(/cores > 0/);
    expect(() => recordsOnlyCeiling(2, [], 0)).toThrow(/stages/);
    expect(() => recordsOnlyCeiling(2, [{ cpuMs: 1, replicas: 1 }], -1)).toThrow(/recordMsPerSample/);
  });
});
