import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { buildGraph } from '../../src/graph/build.js';
import { convAutoencoder, lenet5, resnet, vggSmall } from '../../src/graph/builder/architectures.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { profileGraph } from '../../src/profile/index.js';
import { distnnSplit } from '../../src/strategy/split/index.js';
import { chainProfile } from '../cost/chain-profile.js';

const node = getDevice('distnn-asic-65nm');
const hub = getDevice('phone');

function profileOf(model: ModelProto) {
  return profileGraph(buildGraph(model), { activationBits: 8, weightBits: 8 });
}

describe('DistNN split on a hand-made profile', () => {
  // 1000 inputs -> 400 (1e6 MACs) -> 10 (1e4 MACs) -> 1000 (1e7 MACs)
  const profile = chainProfile('toy', 1000, [
    { name: 'enc', macs: 1e6, outElements: 400 },
    { name: 'latent', macs: 1e4, outElements: 10 },
    { name: 'dec', macs: 1e7, outElements: 1000 },
  ]);

  it('computes E_node = MACs x E_mac x 1.8 + bits x E_bit and ranks by it', () => {
    // 1.2 pJ per MAC is the seed's figure at 10-bit weights and 8-bit feature maps
    const r = distnnSplit(profile, { node, hub, link: getLink('ble'), bits: 8, weightBits: 10 });
    const c2 = r.candidates[2];
    const wireBits = (10 + 3) * 8;
    expect(c2.nodeEnergyJ).toBeCloseTo(1.01e6 * 1.2e-12 * 1.8 + wireBits * 30e-9, 15);
    expect(r.best.cut).toBe(2);
    expect(r.best.after).toBe('latent');
    expect(r.best.energyRank).toBe(1);
    const ranks = r.candidates.map((c) => c.energyRank).sort();
    expect(ranks).toEqual([1, 2, 3, 4]);
    expect(r.memoryOverhead).toBe(0.8);
    expect(r.memoryOverheadApplied).toBe(true);
  });

  it('normalises DV x CC by the maxima and leaves cut 0 without a DV x CC merit', () => {
    const r = distnnSplit(profile, { node, hub, link: getLink('ble'), bits: 8 });
    expect(r.candidates[0].dvCcMerit).toBeNull();
    expect(r.candidates[1].dvCcMerit).toBeCloseTo((3200 / 8000) * (1e6 / 1.101e7), 12);
    expect(r.candidates[3].dvCcMerit).toBeCloseTo(1, 12);
    expect(r.bestDvCc?.cut).toBe(2);
    expect(r.disagreement).toBeNull();
  });

  it('says when the two merits disagree', () => {
    // with a nearly free link E_node prefers sending the raw input; DV x CC never considers cut 0
    const r = distnnSplit(profile, { node, hub, link: getLink('hbc'), bits: 8 });
    expect(r.best.cut).toBe(0);
    expect(r.bestDvCc?.cut).toBe(2);
    expect(r.disagreement).toMatch(/DV x CC picks cut 2 \(after latent\), node energy picks cut 0 \(input\)/);
  });

  it('gives each energy condition a verdict with numbers', () => {
    const r = distnnSplit(profile, { node, hub, link: getLink('ble'), bits: 8, weightBits: 10 });
    const byId = Object.fromEntries(r.conditions.map((c) => [c.id, c]));
    expect(byId['node-vs-hub'].lhsJ).toBe(r.best.nodeEnergyJ);
    expect(byId['node-vs-hub'].rhsJ).toBe(r.best.estimate.hubCompute.energyJ);
    expect(byId['split-vs-all-on-node'].rhsJ).toBe(r.allOnNode.nodeEnergyJ);
    expect(byId['comm-vs-saved-compute'].lhsJ).toBe(r.best.estimate.transfer.energyJ);
    expect(byId['comm-vs-saved-compute'].rhsJ).toBeCloseTo(1e7 * 1.2e-12 * 1.8, 15);
    // 3.1 uJ of radio vs 21.6 uJ of node compute saved
    expect(byId['comm-vs-saved-compute'].verdict).toBe('holds');
    // node 5.3 uJ vs 80 uJ on the phone: ratio 0.066, an order of magnitude
    expect(byId['node-vs-hub'].ratio).toBeCloseTo(
      r.best.nodeEnergyJ / r.best.estimate.hubCompute.energyJ,
      12,
    );
    expect(byId['node-vs-hub'].verdict).toBe('holds');
    const lora = distnnSplit(profile, {
      node,
      hub,
      link: { ...getLink('lora'), energyPerBitJ: 1e-3 },
      bits: 8,
    });
    const c3 = lora.conditions.find((c) => c.id === 'comm-vs-saved-compute')!;
    // the latent cut stays cheapest, but its 104 bits now cost more than the decoder it avoids
    expect(lora.best.cut).toBe(2);
    expect(c3.verdict).toBe('fails');
  });

  it('skips cuts whose weights do not fit the node', () => {
    const heavy = chainProfile('heavy', 1000, [
      { name: 'a', macs: 1e3, outElements: 10, params: 10 },
      { name: 'b', macs: 1e3, outElements: 5, params: 5e6 },
    ]);
    const r = distnnSplit(heavy, { node, hub, link: getLink('lora'), bits: 8, weightBits: 8 });
    expect(r.candidates[2].fits).toBe(false);
    expect(r.candidates[2].energyRank).toBe(0);
    expect(r.best.cut).toBe(1);
  });
});

describe('DistNN split on built models (acceptance)', () => {
  it('picks the latent dense layer of the conv autoencoder for BLE', () => {
    const p = profileOf(convAutoencoder());
    const r = distnnSplit(p, { node, hub, link: getLink('ble'), bits: 8, weightBits: 8 });
    const gemms = p.nodes.filter((n) => n.op === 'Gemm');
    const latent = gemms.reduce((a, b) => (b.outputElements < a.outputElements ? b : a));
    expect(r.best.after).toBe(latent.name);
    expect(r.best.op).toBe('Gemm');
  });

  it.each([
    ['lenet5', lenet5({ size: 28 })],
    ['vgg-small', vggSmall()],
    ['resnet8', resnet()],
  ])('moves the cut toward the input for HBC and toward the output for LoRa on %s', (_name, model) => {
    const p = profileOf(model);
    const n = p.nodes.length;
    const cut = (link: string) =>
      distnnSplit(p, { node, hub, link: getLink(link), bits: 8, weightBits: 8 }).best;
    const hbc = cut('hbc');
    const ble = cut('ble');
    const lora = cut('lora');
    expect(hbc.cut).toBe(0);
    expect(lora.cut).toBeGreaterThan(n / 2);
    expect(hbc.ccMacs).toBeLessThanOrEqual(ble.ccMacs);
    expect(ble.ccMacs).toBeLessThanOrEqual(lora.ccMacs);
    expect(hbc.dvBits).toBeGreaterThan(lora.dvBits);
  });

  it('node computation never decreases as the link gets dearer', () => {
    const p = profileOf(vggSmall());
    let prev = -1;
    for (const e of [1e-14, 1e-12, 1e-10, 1e-9, 3e-9, 1e-8, 3e-8, 1e-7, 1e-6]) {
      const r = distnnSplit(p, {
        node,
        hub,
        link: { ...getLink('ble'), energyPerBitJ: e },
        bits: 8,
        weightBits: 8,
      });
      expect(r.best.ccMacs).toBeGreaterThanOrEqual(prev);
      prev = r.best.ccMacs;
    }
    expect(prev).toBe(p.totals.macs);
  });
});
