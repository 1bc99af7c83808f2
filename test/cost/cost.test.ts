import { describe, expect, it } from 'vitest';
import {
  getDevice,
  getLink,
  loadLinkCatalog,
  parseDeviceEntries,
  parseLinkEntries,
} from '../../src/catalog/index.js';
import { computeCost, estimateCut, estimateSplit, transferCost } from '../../src/cost/index.js';
import { chainProfile } from './chain-profile.js';

const [asic] = parseDeviceEntries(
  {
    devices: [
      {
        id: 'asic',
        name: 'a',
        kind: 'asic',
        flashBytes: 1000,
        sramBytes: 1000,
        runtimeOverheadBytes: 0,
        clockHz: 1e8,
        macsPerS: 1e9,
        energyPerMacJ: 1e-12,
        memoryOverhead: 0.8,
        idlePowerW: 1e-6,
        sources: {},
      },
    ],
  },
  'test',
);
const [radio] = parseLinkEntries(
  {
    links: [
      {
        id: 'r',
        name: 'r',
        throughputBps: 1e6,
        energyPerBitJ: 1e-8,
        mtuBytes: 104,
        headerBytes: 4,
        latencyS: 0.001,
        sources: {},
      },
    ],
  },
  'test',
);

describe('computeCost', () => {
  it('uses energy per MAC with the memory overhead', () => {
    const c = computeCost(asic, 1e6);
    expect(c.timeS).toBeCloseTo(1e-3, 12);
    expect(c.energyJ).toBeCloseTo(1e6 * 1e-12 * 1.8, 15);
    expect(computeCost(asic, 1e6, 0, { memoryOverhead: 0 }).energyJ).toBeCloseTo(1e-6, 15);
  });

  it('uses active power for power-rated devices, without overhead', () => {
    const esp = getDevice('esp32s3');
    const c = computeCost(esp, 4e6, 0, { memoryOverhead: 0.8 });
    expect(c.timeS).toBeCloseTo(4e6 / esp.macsPerS, 12);
    expect(c.energyJ).toBeCloseTo(c.timeS * esp.activePowerW!, 12);
  });

  it('prefers a measured whole-model entry', () => {
    const coral = getDevice('coral-micro');
    const m = computeCost(coral, 1, 0, { model: 'resnet50-imagenet' });
    expect(m).toEqual({ timeS: 0.69043, energyJ: 0.93969, source: 'measured' });
    expect(computeCost(coral, 4.09e9, 0, { model: 'unknown-model' }).source).toBe('estimate');
    const esp = computeCost(getDevice('esp32'), 1, 0, { model: 'resnet8-cifar10' });
    expect(esp.timeS).toBeCloseTo(0.60252, 9);
    expect(esp.energyJ).toBeCloseTo(0.60252 * getDevice('esp32').activePowerW!, 9);
  });
});

describe('transferCost', () => {
  it('packetises the payload with per-packet headers', () => {
    const t = transferCost(radio, 250);
    expect(t.packets).toBe(3);
    expect(t.wireBytes).toBe(262);
    expect(t.timeS).toBeCloseTo(0.001 + (262 * 8) / 1e6, 12);
    expect(t.energyJ).toBeCloseTo(262 * 8 * 1e-8, 15);
  });

  it('uses 517-byte BLE packets with 3-byte headers', () => {
    const t = transferCost(getLink('ble'), 514 * 4 + 1);
    expect(t.packets).toBe(5);
    expect(t.wireBytes).toBe(514 * 4 + 1 + 15);
  });

  it('costs nothing for an empty payload or over loopback', () => {
    expect(transferCost(radio, 0)).toMatchObject({ timeS: 0, energyJ: 0, packets: 0 });
    expect(transferCost(getLink('loopback'), 1e6)).toMatchObject({ timeS: 0, energyJ: 0, packets: 1 });
  });

  it('uses transmit power when the link is rated by power, and measured payloads first', () => {
    const l = getLink('ble-esp32s3');
    const t = transferCost(l, 1000);
    expect(t.energyJ).toBeCloseTo(t.timeS * l.txPowerW!, 12);
    const links = loadLinkCatalog();
    const m = transferCost(links.get('ble-rpi4b'), 3072, { payload: 'cifar10-image' });
    expect(m.source).toBe('measured');
    expect(m.timeS).toBeCloseTo(0.17713, 9);
    expect(m.energyJ).toBeCloseTo(0.395, 9);
  });
});

describe('estimateSplit', () => {
  // input 1000 elements; a heavy first layer, a tiny bottleneck, then a large output
  const profile = chainProfile('toy', 1000, [
    { name: 'enc', macs: 1e6, outElements: 400, params: 100 },
    { name: 'latent', macs: 1e4, outElements: 10, params: 50 },
    { name: 'dec', macs: 1e7, outElements: 1000, params: 500 },
  ]);
  const config = { node: asic, hub: getDevice('laptop'), link: radio, bits: 8, weightBits: 8, fps: 30 };

  it('adds node compute, transfer and hub compute per cut', () => {
    const e = estimateCut(profile, 2, config);
    expect(e.after).toBe('latent');
    expect(e.nodeMacs).toBe(1.01e6);
    expect(e.hubMacs).toBe(1e7);
    expect(e.transfer.payloadBytes).toBe(10);
    expect(e.transfer.packets).toBe(1);
    expect(e.transfer.bits).toBe(14 * 8);
    expect(e.nodeCompute.energyJ).toBeCloseTo(1.01e6 * 1e-12 * 1.8, 15);
    expect(e.nodeEnergyJ).toBeCloseTo(e.nodeCompute.energyJ + 14 * 8 * 1e-8, 15);
    expect(e.latencyS).toBeCloseTo(
      e.nodeCompute.timeS + e.transfer.timeS + 1e7 / getDevice('laptop').macsPerS,
      12,
    );
    expect(e.nodeAvgPowerW).toBeCloseTo(e.nodeEnergyJ * 30 + 1e-6 * (1 - e.nodeCompute.timeS * 30), 12);
    expect(e.memory.weightBytes).toBe(150);
    expect(e.memory.activationBytes).toBe(1400);
    expect(e.memory.fitsActivations).toBe(false);
  });

  it('packs live tensors at the wire bit width', () => {
    expect(estimateCut(profile, 1, { ...config, bits: 10 }).transfer.payloadBytes).toBe(500);
    expect(estimateCut(profile, 1, { ...config, bits: 32 }).transfer.payloadBytes).toBe(1600);
  });

  it('has all-offloaded at cut 0 and all-on-node at cut n as baselines', () => {
    const s = estimateSplit(profile, config);
    expect(s.cuts).toHaveLength(4);
    expect(s.allOffloaded.nodeCompute.energyJ).toBe(0);
    expect(s.allOffloaded.transfer.payloadBytes).toBe(1000);
    expect(s.allOnNode.hubCompute.timeS).toBe(0);
    expect(s.allOnNode.nodeMacs).toBe(profile.totals.macs);
    expect(s.memoryOverheadApplied).toBe(true);
  });

  it('flags a frame rate the node cannot sustain', () => {
    const slow = estimateCut(profile, 3, { ...config, node: getDevice('nano33ble'), fps: 30 });
    expect(slow.sustainsFps).toBe(false);
    expect(slow.nodeAvgPowerW).toBeCloseTo(slow.nodeEnergyJ * 30, 12);
  });

  it('rejects bad cuts and bit widths', () => {
    expect(() => estimateCut(profile, 4, config)).toThrow(/cut 4 is out of range 0..3/);
    expect(() => estimateCut(profile, 1, { ...config, bits: 0 })).toThrow(/bits/);
    expect(() => estimateCut(profile, 1, { ...config, fps: -1 })).toThrow(/fps/);
  });
});
