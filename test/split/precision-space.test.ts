import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { distnnSplit, precisionSpace } from '../../src/strategy/split/index.js';
import { chainProfile } from '../cost/chain-profile.js';

describe('precision design space', () => {
  const node = getDevice('distnn-asic-65nm');
  const hub = getDevice('phone');
  const link = getLink('ble');
  const profile = chainProfile('toy', 1000, [
    { name: 'enc', macs: 1e6, outElements: 400 },
    { name: 'latent', macs: 1e4, outElements: 10 },
    { name: 'dec', macs: 1e7, outElements: 1000 },
  ]);
  const at = (bits: number, weightBits: number) =>
    distnnSplit(profile, { node, hub, link, bits, weightBits });

  it('prices each format at its bit widths and marks the energy-quality front', () => {
    const results = [
      { precision: 'W:fp32 FM:fp32', split: at(32, 32) },
      { precision: 'W:q1.8 FM:int8', split: at(8, 10) },
      { precision: 'W:q1.8 FM:int4', split: at(4, 10) },
    ];
    const quality: Record<string, number> = {
      'W:fp32 FM:fp32': 0.85,
      'W:q1.8 FM:int8': 0.84,
      'W:q1.8 FM:int4': 0.7,
    };
    const points = precisionSpace(results, (p, cut) => (cut === 2 ? quality[p] : quality[p] - 0.1));
    const latent = (p: string) => points.find((x) => x.precision === p && x.cut === 2)!;
    // 8-bit wire and operands cost less than 32-bit, 4-bit less still
    expect(latent('W:q1.8 FM:int8').nodeEnergyJ).toBeLessThan(latent('W:fp32 FM:fp32').nodeEnergyJ);
    expect(latent('W:q1.8 FM:int4').nodeEnergyJ).toBeLessThan(latent('W:q1.8 FM:int8').nodeEnergyJ);
    // each of the three latent points trades energy for quality: all on the front
    expect(['W:fp32 FM:fp32', 'W:q1.8 FM:int8', 'W:q1.8 FM:int4'].map((p) => latent(p).pareto)).toEqual([
      true,
      true,
      true,
    ]);
    // a point with more energy and less quality than another is off the front
    for (const p of points.filter((x) => x.pareto))
      expect(points.some((o) => o.nodeEnergyJ < p.nodeEnergyJ && o.quality > p.quality)).toBe(false);
    expect(points.every((p) => p.chosen === (p.cut === 2))).toBe(true);
  });
});
