import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../src/catalog/units.js';

function value(input: unknown, dim: Parameters<typeof parseQuantity>[1]): number {
  const r = parseQuantity(input, dim);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

describe('parseQuantity', () => {
  it('reads numbers as SI base units', () => {
    expect(value(90_000, 'bitrate')).toBe(90_000);
    expect(value('1e-9', 'energyPerBit')).toBe(1e-9);
  });

  it('applies decimal and binary prefixes', () => {
    expect(value('90Kb/s', 'bitrate')).toBe(90_000);
    expect(value('2.5 Mb/s', 'bitrate')).toBe(2_500_000);
    expect(value('1 kB/s', 'bitrate')).toBe(8000);
    expect(value('424 kbps', 'bitrate')).toBe(424_000);
    expect(value('10 nJ/bit', 'energyPerBit')).toBe(1e-8);
    expect(value('512 KiB', 'bytes')).toBe(524_288);
    expect(value('4 MB', 'bytes')).toBe(4_000_000);
    expect(value('177.13 ms', 'time')).toBeCloseTo(0.17713, 12);
    expect(value('240 MHz', 'frequency')).toBe(240e6);
    expect(value('1.2 pJ/MAC', 'energyPerMac')).toBe(1.2e-12);
    expect(value('5.924 GMAC/s', 'macRate')).toBe(5.924e9);
    expect(value('130 mA', 'current')).toBeCloseTo(0.13, 12);
  });

  it('rejects unknown units, wrong dimensions and bad syntax', () => {
    for (const [input, dim] of [
      ['5 furlongs', 'bitrate'],
      ['5 W', 'bitrate'],
      ['5 Mb', 'bitrate'],
      ['3 mB', 'bytes'],
      ['1 KiHz', 'frequency'],
      ['fast', 'bitrate'],
      ['', 'time'],
      ['unlimited', 'bitrate'],
    ] as const) {
      expect(parseQuantity(input, dim).ok, `${input} as ${dim}`).toBe(false);
    }
    expect(parseQuantity(true, 'time').ok).toBe(false);
    expect(parseQuantity(Number.NaN, 'time').ok).toBe(false);
    expect(parseQuantity('unlimited', 'bitrate', true)).toEqual({ ok: true, value: Infinity });
  });
});
