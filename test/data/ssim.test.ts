import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { meanSsim, ssim, sumSsim } from '../../src/data/metrics.js';

interface RefPair {
  name: string;
  height: number;
  width: number;
  ssim: number;
  a: number[];
  b: number[];
}
const refs = JSON.parse(readFileSync(new URL('../fixtures/ssim/refs.json', import.meta.url), 'utf8')) as {
  reference: string;
  pairs: RefPair[];
};

describe('ssim against scikit-image reference values', () => {
  it('has reference pairs of more than one size', () => {
    expect(refs.pairs.length).toBeGreaterThanOrEqual(8);
    expect(new Set(refs.pairs.map((p) => `${p.height}x${p.width}`)).size).toBeGreaterThanOrEqual(3);
  });

  for (const pair of refs.pairs) {
    it(`${pair.name} (${pair.height}x${pair.width}) matches skimage within 1e-4`, () => {
      const ours = ssim(Float32Array.from(pair.a), Float32Array.from(pair.b), pair.height, pair.width);
      expect(Math.abs(ours - pair.ssim)).toBeLessThan(1e-4);
    });
  }

  it('is symmetric and averages per-image values over a batch', () => {
    const [p, q] = refs.pairs.filter((x) => x.height === 28 && x.width === 28 && x.ssim < 0.99);
    const f = (v: number[]) => Float32Array.from(v);
    const a = f([...p.a, ...q.a]);
    const b = f([...p.b, ...q.b]);
    expect(ssim(p.b, p.a, 28, 28)).toBeCloseTo(ssim(p.a, p.b, 28, 28), 12);
    expect(sumSsim(a, b, 2, 28, 28)).toBeCloseTo(ssim(f(p.a), f(p.b), 28, 28) + ssim(f(q.a), f(q.b), 28, 28), 10);
    expect(meanSsim(a, b, 2, 28, 28)).toBeCloseTo((p.ssim + q.ssim) / 2, 4);
  });

  it('rejects images smaller than the window or of the wrong length', () => {
    expect(() => ssim(new Float32Array(100), new Float32Array(100), 10, 10)).toThrow(/at least 11x11/);
    expect(() => ssim(new Float32Array(784), new Float32Array(783), 28, 28)).toThrow(/expected 28x28/);
  });
});
