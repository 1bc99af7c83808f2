import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { EdgesplitError } from '../../src/core/errors.js';
import { profileModelFile } from '../../src/profile/index.js';
import { distnnSplit } from '../../src/strategy/split/index.js';
import { loadManifest, zooModelPath, type ZooManifest } from '../../src/zoo/manifest.js';

// The zoo is trained separately; until models/manifest.json is committed these acceptance tests are skipped
function manifestOrNull(): ZooManifest | null {
  try {
    return loadManifest();
  } catch (err) {
    if (err instanceof EdgesplitError && err.code === 'E_IO') return null;
    throw err;
  }
}
const manifest = manifestOrNull();
const node = getDevice('distnn-asic-65nm');
const hub = getDevice('phone');
const autoencoders = manifest?.models.filter((m) => m.task === 'reconstruction' && !m.parent) ?? [];
const classifiers = manifest?.models.filter((m) => m.task === 'classification' && !m.parent) ?? [];

describe.skipIf(!manifest)('DistNN split on the zoo (acceptance)', () => {
  it.each(autoencoders.map((m) => [m.name]))('cuts %s at its latent dense layer for BLE', async (name) => {
    const { profile } = await profileModelFile(zooModelPath(name, manifest!), {
      activationBits: 8,
      weightBits: 10,
    });
    const dense = profile.nodes.filter((n) => n.op === 'Gemm' || n.op === 'MatMul');
    const latent = dense.reduce((a, b) => (b.outputElements < a.outputElements ? b : a));
    const r = distnnSplit(profile, { node, hub, link: getLink('ble'), bits: 8, weightBits: 10 });
    expect(r.best.after).toBe(latent.name);
  });

  it.each(classifiers.map((m) => [m.name]))(
    'moves the cut of %s toward the input for HBC and toward the output for LoRa',
    async (name) => {
      const { profile } = await profileModelFile(zooModelPath(name, manifest!), {
        activationBits: 8,
        weightBits: 10,
      });
      const cut = (link: string) =>
        distnnSplit(profile, { node, hub, link: getLink(link), bits: 8, weightBits: 10 }).best;
      const [hbc, ble, lora] = [cut('hbc'), cut('ble'), cut('lora')];
      expect(hbc.ccMacs).toBeLessThan(lora.ccMacs);
      expect(hbc.ccMacs).toBeLessThanOrEqual(ble.ccMacs);
      expect(ble.ccMacs).toBeLessThanOrEqual(lora.ccMacs);
      expect(hbc.dvBits).toBeGreaterThan(lora.dvBits);
    },
  );
});
