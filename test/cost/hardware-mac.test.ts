import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { macLayerEstimate, macNetworkEstimate, type MacArrangement } from '../../src/cost/hardware-mac.js';

interface Row {
  arrangement: MacArrangement;
  input: [number, number, number];
  kernel: number;
  kernels: number;
  stride: number;
  output: [number, number, number];
  blocks: number;
  energyPerBlockJ: number;
  energyJ: number;
  powerW: number;
  latencyS: number;
  printed: { energy: string; power: string; latencyMs: string };
}
const table = JSON.parse(
  readFileSync(new URL('../../src/cost/data/distnn-table-iv.json', import.meta.url), 'utf8'),
) as {
  clockHz: number;
  fps: number;
  rows: Row[];
};

/**
 * Table IV prints rounded numbers (5.12 us prints as "0.01" ms). A value matches when it is within 5%
 * of the printed value plus half a unit of its last printed digit.
 */
function tolerance(si: number, printed: string): number {
  const num = /[\d.]+/.exec(printed)![0];
  const decimals = num.includes('.') ? num.split('.')[1].length : 0;
  const printedValue = Number(num);
  return 0.05 * si + 0.5 * 10 ** -decimals * (si / printedValue);
}

describe('DistNN Table IV hardware MAC model', () => {
  it.each(table.rows.map((r, i) => [i + 1, r] as const))(
    'reproduces row %i within 5%% (memoryOverhead 0)',
    (_i, row) => {
      const est = macLayerEstimate(
        { input: row.input, kernel: row.kernel, kernels: row.kernels, stride: row.stride },
        { arrangement: row.arrangement, energyPerBlockJ: row.energyPerBlockJ, clockHz: table.clockHz },
        table.fps,
      );
      expect(est.output).toEqual(row.output);
      expect(est.blocks).toBe(row.blocks);
      expect(Math.abs(est.energyJ - row.energyJ)).toBeLessThanOrEqual(
        tolerance(row.energyJ, row.printed.energy),
      );
      expect(Math.abs(est.powerW - row.powerW)).toBeLessThanOrEqual(tolerance(row.powerW, row.printed.power));
      expect(Math.abs(est.latencyS - row.latencyS)).toBeLessThanOrEqual(
        tolerance(row.latencyS, row.printed.latencyMs),
      );
    },
  );

  it('matches the headline numbers of the text to 1%', () => {
    const layer = { input: [128, 128, 3], kernel: 5, kernels: 128, stride: 2 } as const;
    const par = macLayerEstimate(layer, { arrangement: 'kxk-parallel', energyPerBlockJ: 8e-12 }, 30);
    expect(par.macsPerBlock).toBe(25);
    expect(par.energyJ).toBeCloseTo(4.194e-6, 9);
    expect(par.powerW / 126e-6).toBeCloseTo(1, 2);
    expect(par.latencyS / 5.24e-3).toBeCloseTo(1, 2);
    const ser = macLayerEstimate(layer, { arrangement: 'k-parallel', energyPerBlockJ: 6e-12 }, 30);
    expect(ser.macsPerBlock).toBe(5);
    expect(ser.blocks).toBe(2_621_440);
    expect(ser.powerW / 470e-6).toBeCloseTo(1, 2);
  });

  it('does not reproduce the table when the 80% overhead the text claims is added', () => {
    const row = table.rows[0];
    const est = macLayerEstimate(
      { input: row.input, kernel: row.kernel, kernels: row.kernels, stride: row.stride },
      { arrangement: row.arrangement, energyPerBlockJ: row.energyPerBlockJ, memoryOverhead: 0.8 },
      30,
    );
    expect(est.powerW / row.powerW).toBeCloseTo(1.8, 1);
  });

  it('counts input channels when asked (a 5x5x3 kernel is 75 MACs per output)', () => {
    const est = macLayerEstimate(
      { input: [128, 128, 3], kernel: 5, kernels: 128, stride: 2 },
      { arrangement: 'kxk-parallel', energyPerBlockJ: 8e-12, countInputChannels: true },
      30,
    );
    expect(est.blocks).toBe(524_288 * 3);
  });

  it('sums node layers: parallel ~0.13 mW at ~5.4 ms, serial ~0.47 mW at ~26.7 ms', () => {
    const layers = (arr: MacArrangement) =>
      table.rows
        .filter((r) => r.arrangement === arr)
        .map((r) => ({
          layer: { input: r.input, kernel: r.kernel, kernels: r.kernels, stride: r.stride },
          hw: { arrangement: arr, energyPerBlockJ: r.energyPerBlockJ },
        }));
    const par = macNetworkEstimate(layers('kxk-parallel'), 30);
    const ser = macNetworkEstimate(layers('k-parallel'), 30);
    expect(par.powerW * 1e3).toBeCloseTo(0.127, 2);
    expect(ser.powerW * 1e3).toBeCloseTo(0.475, 2);
    expect(par.latencyS * 1e3).toBeCloseTo(5.41, 1);
    expect(ser.latencyS * 1e3).toBeCloseTo(26.73, 1);
  });

  it('rejects bad layer parameters', () => {
    expect(() =>
      macLayerEstimate(
        { input: [0, 4, 4], kernel: 3, kernels: 1 },
        { arrangement: 'k-parallel', energyPerBlockJ: 1e-12 },
        30,
      ),
    ).toThrow(/input height/);
    expect(() =>
      macLayerEstimate(
        { input: [4, 4, 4], kernel: 3, kernels: 1 },
        { arrangement: 'k-parallel', energyPerBlockJ: 1e-12 },
        0,
      ),
    ).toThrow(/fps/);
  });
});
