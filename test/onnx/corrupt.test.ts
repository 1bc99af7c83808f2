import { describe, expect, it } from 'vitest';
import { EdgesplitError } from '../../src/core/errors.js';
import { buildGraph } from '../../src/graph/build.js';
import { convAutoencoder, lenet5, resnet } from '../../src/graph/builder/architectures.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { profileGraph } from '../../src/profile/profile.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function corrupt(base: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 4);
  if (kind === 0) return base.slice(0, Math.floor(r() * base.length));
  const out = base.slice();
  const flips = 1 + Math.floor(r() * 20);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(r() * Math.min(out.length, kind === 1 ? 400 : out.length));
    out[at] = kind === 3 ? 0xff : Math.floor(r() * 256);
  }
  return kind === 3 ? out.slice(0, out.length - Math.floor(r() * 64)) : out;
}

describe('corrupted and truncated ONNX files', () => {
  it('200 random corruptions each give a clear EdgesplitError or a valid profile, never a crash', () => {
    const bases = [lenet5(), resnet(), convAutoencoder()].map(encodeModel);
    const r = rng(2026);
    let rejected = 0;
    for (let i = 0; i < 200; i++) {
      const bytes = corrupt(bases[i % bases.length], r);
      try {
        const g = buildGraph(decodeModel(bytes, `case-${i}.onnx`), `case-${i}.onnx`);
        const p = profileGraph(g);
        // a flip inside weight bytes leaves a valid model: it must still profile to finite numbers
        expect(Number.isFinite(p.totals.macs)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(EdgesplitError);
        const msg = (err as Error).message;
        expect(msg).toMatch(/case-\d+\.onnx/);
        expect(msg.split('\n')).toHaveLength(1);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });
});
