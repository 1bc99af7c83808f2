import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import {
  eeHiCost,
  fitOffloadFraction,
  hiAccuracy,
  hiAccuracyFromRates,
  hiCost,
  type HiCosts,
} from '../../src/strategy/hi/accounting.js';
import { deviceInferenceCost, linkTransferCost, offloadCost } from '../../src/strategy/hi/costs.js';
import { decisionMetrics } from '../../src/strategy/hi/decision/metrics.js';
import { RESNET8_OFFLOAD_FRACTION_TABLE7, TABLE6_HI, type Table6Row } from './fixtures/seed-table6.js';
import { rng } from './synthetic.js';

/** Eqs. (3)-(4) inputs of a Table 6 row, from the catalog (seed Tables 3 and 4); t_LR = 0. */
function costsOf(row: Table6Row): HiCosts {
  return {
    device: deviceInferenceCost(getDevice(row.device), row.model),
    offload: offloadCost(getLink(row.link), { payload: 'cifar10-offload-roundtrip' }),
  };
}

const rel = (a: number, b: number) => Math.abs(a - b) / b;

describe('seed Table 6 HI column from Tables 3 and 4 through Eqs. (3)-(4)', () => {
  it("reproduces the issue's example: ResNet-8 on RPi at 22.6% offload -> ~3.8 ms, ~12.5 mJ", () => {
    const c = costsOf(TABLE6_HI[0]);
    expect(c.device.latencyMs).toBeCloseTo(1.63, 6);
    expect(c.offload.latencyMs).toBeCloseTo(9.68, 6);
    expect(c.offload.energyMJ).toBeCloseTo(27.67, 6);
    const p = hiCost(c, 0.226);
    expect(rel(p.latencyMs, 3.82)).toBeLessThan(0.05);
    expect(rel(p.energyMJ, 12.55)).toBeLessThan(0.05);
  });

  it("ResNet-8 rows on every device within 5% at the seed's stated 21.57% offload (Table 7)", () => {
    for (const row of TABLE6_HI.filter((r) => r.model === 'resnet8-cifar10')) {
      const p = hiCost(costsOf(row), RESNET8_OFFLOAD_FRACTION_TABLE7);
      expect(rel(p.latencyMs, row.hiTimeMs), `${row.device} time ${p.latencyMs}`).toBeLessThan(0.05);
      expect(rel(p.energyMJ, row.hiEnergyMJ), `${row.device} energy ${p.energyMJ}`).toBeLessThan(0.05);
    }
  });

  it('ResNet-56 and AlexNet: one offload fraction per model explains all six numbers within 5%', () => {
    for (const model of ['resnet8-cifar10', 'resnet56-cifar10', 'alexnet-cifar10']) {
      const rows = TABLE6_HI.filter((r) => r.model === model);
      const eta = fitOffloadFraction(
        rows.map((r) => ({ costs: costsOf(r), observed: { latencyMs: r.hiTimeMs, energyMJ: r.hiEnergyMJ } })),
      );
      expect(eta).toBeGreaterThan(0);
      expect(eta).toBeLessThan(1);
      for (const row of rows) {
        const p = hiCost(costsOf(row), eta);
        expect(rel(p.latencyMs, row.hiTimeMs), `${model} ${row.device} time at eta ${eta}`).toBeLessThan(
          0.05,
        );
        expect(rel(p.energyMJ, row.hiEnergyMJ), `${model} ${row.device} energy at eta ${eta}`).toBeLessThan(
          0.05,
        );
      }
      if (model === 'resnet8-cifar10')
        expect(Math.abs(eta - RESNET8_OFFLOAD_FRACTION_TABLE7)).toBeLessThan(0.02);
    }
  });
});

describe('Eqs. (1)-(4)', () => {
  it('Eq. (2) in the offload-positive convention equals Eq. (1) on random outcomes', () => {
    const r = rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const outs = Array.from({ length: 500 }, () => ({
        accepted: r() < 0.7,
        localCorrect: r() < 0.85,
        remoteCorrect: r() < 0.93,
      }));
      const m = decisionMetrics(
        outs.map((o) => !o.accepted),
        outs.map((o) => o.localCorrect),
      );
      const n = outs.length;
      const accOD = outs.filter((o) => o.localCorrect).length / n;
      const off = outs.filter((o) => !o.accepted);
      const accSoff = off.filter((o) => o.remoteCorrect).length / off.length;
      expect(hiAccuracyFromRates(accOD, m.falsePositives / n, accSoff, m.offloadFraction)).toBeCloseTo(
        hiAccuracy(outs),
        12,
      );
    }
  });

  it('EE-HI cost reduces to HI cost when every sample reaches the final exit', () => {
    const dev = { latencyMs: 2, energyMJ: 5 };
    const dec = { latencyMs: 0.1, energyMJ: 0.2 };
    const off = { latencyMs: 10, energyMJ: 30 };
    const ee = eeHiCost([0, 1], [{ latencyMs: 1, energyMJ: 2 }, dev], dec, off, 0.3);
    const hi = hiCost({ device: dev, decision: dec, offload: off }, 0.3);
    expect(ee.latencyMs).toBeCloseTo(hi.latencyMs, 12);
    expect(ee.energyMJ).toBeCloseTo(hi.energyMJ, 12);
    const early = eeHiCost([0.5, 0.5], [{ latencyMs: 1, energyMJ: 2 }, dev], dec, off, 0.3);
    expect(early.latencyMs).toBeCloseTo(0.5 * 1 + 0.5 * 2 + 0.5 * 0.1 + 0.3 * 10, 12);
    expect(() => eeHiCost([0.5, 0.4], [dev, dev], dec, off, 0.1)).toThrow(/sum to/);
    expect(() => eeHiCost([0.9, 0.1], [dev, dev], dec, off, 0.2)).toThrow(/exceeds/);
    expect(() => hiCost({ device: dev, offload: off }, 1.5)).toThrow(/fraction/);
  });

  it('catalog lookups fail clearly and estimates scale with the payload', () => {
    expect(() => deviceInferenceCost(getDevice('rpi4b'), 'no-such-model')).toThrow(
      /no measurement of model 'no-such-model'/,
    );
    expect(() => offloadCost(getLink('wifi-rpi4b'), { payload: 'nope' })).toThrow(
      /no measurement for payload 'nope'/,
    );
    const small = linkTransferCost(getLink('ble'), 1000);
    const big = linkTransferCost(getLink('ble'), 10000);
    expect(big.latencyMs).toBeGreaterThan(small.latencyMs * 5);
    expect(deviceInferenceCost(getDevice('rpi4b'), undefined, { macs: 1e6 }).basis).toMatch(/estimate/);
  });
});
