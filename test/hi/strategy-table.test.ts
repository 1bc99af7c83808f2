import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { deviceInferenceCost, offloadCost } from '../../src/strategy/hi/costs.js';
import type { HiSearchSample } from '../../src/strategy/hi/search.js';
import { strategyTable, type DeviceScenario } from '../../src/strategy/hi/strategy-table.js';
import { rng } from './synthetic.js';

/**
 * Synthetic HI evaluation set shaped like the seed's ResNet-8 / ViT-H/14 pair on CIFAR-10: local accuracy
 * ~0.87 with confidence carrying signal, remote accuracy ~0.988 (seed Table 4 and section 4.1). The
 * per-sample data are ours (the seed publishes none); the costs are the seed's, from the catalog.
 */
function resnet8LikeSamples(n: number): HiSearchSample[] {
  const r = rng(42);
  return Array.from({ length: n }, () => {
    const score = r();
    return {
      exitConfidence: [],
      exitCorrect: [],
      score,
      localCorrect: r() < 0.6 + 0.4 * Math.sqrt(score),
      remoteCorrect: r() < 0.988,
    };
  });
}

function scenario(device: string, link: string, samples: HiSearchSample[]): DeviceScenario {
  const d = getDevice(device);
  const small = deviceInferenceCost(d, 'resnet8-cifar10');
  const large = deviceInferenceCost(d, 'resnet56-cifar10');
  const offload = offloadCost(getLink(link), { payload: 'cifar10-offload-roundtrip' });
  const localAcc = samples.filter((s) => s.localCorrect).length / samples.length;
  const remoteAcc = samples.filter((s) => s.remoteCorrect).length / samples.length;
  return {
    device,
    offload,
    fixed: [
      { name: 'on-device-small', accuracy: localAcc, cost: small },
      { name: 'on-device-large', accuracy: 0.9353, cost: large },
      { name: 'remote', accuracy: remoteAcc, cost: offload },
    ],
    hi: { samples, costs: { exits: [small], offload } },
  };
}

describe('strategy table (seed Table 5)', () => {
  const samples = resnet8LikeSamples(3000);
  const rows = strategyTable(
    [
      scenario('rpi4b', 'wifi-rpi4b', samples),
      scenario('jetson-orin-nano-15w', 'wifi-jetson-orin-nano-15w', samples),
      scenario('coral-micro', 'wifi-coral-micro', samples),
    ],
    { minAccuracy: 0.9 },
  );
  const best = (device: string, qos: string) => rows.find((r) => r.device === device && r.qos === qos)?.best;

  it('matches Table 5 CIFAR-10: RPi and Coral pick HI under all three QoS', () => {
    for (const d of ['rpi4b', 'coral-micro'])
      for (const q of ['accuracy', 'latency', 'energy']) expect(best(d, q), `${d} ${q}`).toBe('hi');
  });

  it('matches Table 5 CIFAR-10: Jetson picks the large on-device model for accuracy, HI for latency and energy', () => {
    expect(best('jetson-orin-nano-15w', 'accuracy')).toBe('on-device-large');
    expect(best('jetson-orin-nano-15w', 'latency')).toBe('hi');
    expect(best('jetson-orin-nano-15w', 'energy')).toBe('hi');
  });

  it('every best candidate is feasible and no feasible candidate beats it on the QoS objective', () => {
    for (const row of rows) {
      const b = row.candidates.find((c) => c.name === row.best)!;
      expect(b.feasible).toBe(true);
      for (const c of row.candidates.filter((x) => x.feasible)) {
        if (row.qos === 'accuracy') expect(b.latencyMs).toBeLessThanOrEqual(c.latencyMs + 1e-12);
        else expect(b.accuracy).toBeGreaterThanOrEqual(c.accuracy - 1e-12);
      }
    }
  });

  it('reports no best when nothing meets the requirement', () => {
    const r = strategyTable([scenario('rpi4b', 'wifi-rpi4b', samples)], { minAccuracy: 0.999 });
    expect(r[0].best).toBeUndefined();
    expect(r[0].candidates.find((c) => c.name === 'hi')?.note).toMatch(/accuracy >= 0.999/);
  });
});
