import { describe, expect, it } from 'vitest';
import {
  affineRange,
  activationQuant,
  fakeQuantize,
  parseFormat,
  parsePair,
  roundHalfEven,
  roundToHalf,
  weightQuant,
  type AffineQuant,
  type TensorQuant,
} from '../../src/strategy/quantize/index.js';
import { seededInput } from '../helpers/models.js';

/** Values spread over [-span, span], plus the exact edges and far outside. */
function probe(span: number): Float32Array {
  const u = seededInput(2000, 11);
  const v = Array.from(u, (x) => (2 * x - 1) * span);
  return Float32Array.from([...v, span, -span, 0, 10 * span, -10 * span]);
}

function checkAffine(q: AffineQuant, x: Float32Array, dims: number[]): void {
  const y = fakeQuantize(x, dims, q);
  const inner = q.axis === undefined ? x.length : dims.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  const bad: string[] = [];
  for (let i = 0; i < x.length; i++) {
    const c = q.axis === undefined ? 0 : Math.floor(i / inner) % dims[q.axis];
    const [lo, hi] = affineRange(q, c);
    const step = Math.fround(q.scale[c]);
    const inside = x[i] >= lo && x[i] <= hi;
    const ok =
      y[i] >= lo &&
      y[i] <= hi &&
      (inside ? Math.abs(y[i] - x[i]) <= step / 2 + 1e-7 * Math.abs(x[i]) : y[i] === (x[i] < lo ? lo : hi));
    if (!ok) bad.push(`x=${x[i]} -> ${y[i]} (range [${lo}, ${hi}], step ${step})`);
  }
  expect(bad).toEqual([]);
}

describe('number formats', () => {
  it('parses names and rejects unknown ones with the known list', () => {
    expect(parseFormat('Q1.8')).toMatchObject({ kind: 'fixed', bits: 10, intBits: 1, fracBits: 8 });
    expect(parseFormat('int8-tensor')).toMatchObject({ kind: 'int', bits: 8, granularity: 'tensor' });
    expect(parseFormat('dfp10')).toMatchObject({ kind: 'dynamic-fixed', bits: 10, granularity: 'channel' });
    expect(parsePair('q1.8/int8').activations.name).toBe('int8');
    expect(() => parseFormat('q1.80')).toThrow(/total bits must be in 2..24/);
    expect(() => parseFormat('bf16')).toThrow(/unknown number format 'bf16'; known formats: fp32/);
  });

  it('rounds half to even like ONNX Round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, -2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, -3]);
  });

  it('Q1.8 is within half a step (2^-9) and saturates at [-2, 2 - 2^-8]', () => {
    const q = weightQuant(parseFormat('q1.8'), new Float32Array(1), [1], 0) as AffineQuant;
    expect(affineRange(q)).toEqual([-2, 2 - 2 ** -8]);
    checkAffine(q, probe(2.5), [2005]);
    const y = fakeQuantize(Float32Array.from([3, -3, 1.999, 0.001953125, 0.005859375]), [5], q);
    expect(Array.from(y)).toEqual([2 - 2 ** -8, -2, 2 - 2 ** -8, 0, 0.0078125]);
  });

  it('every weight format is within half a step and saturates at its range', () => {
    const dims = [5, 401];
    const x = probe(3).subarray(0, 2005);
    for (const name of [
      'q1.8',
      'q3.4',
      'q0.7',
      'dfp10',
      'dfp10-tensor',
      'dfp4',
      'int8',
      'int8-tensor',
      'int4',
      'int16',
    ]) {
      const q = weightQuant(parseFormat(name), x, dims, 0) as AffineQuant;
      checkAffine(q, x, dims);
    }
  });

  it('every feature-map format is within half a step and saturates at its range', () => {
    const x = probe(6);
    for (const name of ['int8', 'int16', 'int4', 'dfp8', 'dfp16', 'q3.4']) {
      for (const range of [
        { min: -6, max: 6 },
        { min: 0, max: 5 },
        { min: -1, max: 3 },
      ]) {
        const q = activationQuant(parseFormat(name), range) as AffineQuant;
        checkAffine(q, x, [x.length]);
        if (q.zeroPoint[0] === 0 && q.qmin === 0) expect(affineRange(q)[0]).toBe(0);
      }
    }
  });

  it('fp16 is within half a unit in the last place and overflows to infinity', () => {
    const x = probe(70000);
    const y = fakeQuantize(x, [x.length], { kind: 'fp16' } as TensorQuant);
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]);
      if (a >= 65520) expect(Math.abs(y[i])).toBe(Infinity);
      else {
        const e = Math.max(Math.floor(Math.log2(a || 1)), -14);
        expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(2 ** (e - 11));
      }
    }
    expect(roundToHalf(65504)).toBe(65504);
    expect(roundToHalf(2 ** -24)).toBe(2 ** -24);
  });

  it('dynamic fixed point picks the integer bits from each channel range', () => {
    const w = Float32Array.from([0.3, -0.2, 1.7, -0.9, 5, 0.1]);
    const q = weightQuant(parseFormat('dfp8'), w, [3, 2], 0) as AffineQuant;
    // max |w| per channel 0.3, 1.7, 5 -> integer bits -1, 1, 3 -> fractional bits 8, 6, 4
    expect(q.fracBits).toEqual([8, 6, 4]);
  });
});
