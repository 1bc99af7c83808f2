/**
 * A user's catalog reaches every place `run` uses one: local nodes emulate the user's link (they get
 * the catalog file), and energy estimates use the user's device and link numbers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeviceCatalog, loadLinkCatalog } from '../../src/catalog/index.js';
import { computeCost, transferCost } from '../../src/cost/index.js';
import { buildGraph } from '../../src/graph/build.js';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { writePlanDir } from './plan-fixture.js';

const userDevice = {
  id: 'test-user-mcu',
  name: 'a user-measured MCU (test)',
  kind: 'mcu',
  flashBytes: '2 MiB',
  sramBytes: '512 KiB',
  runtimeOverheadBytes: '64 KiB',
  clockHz: '100 MHz',
  idlePowerW: '0.1 W',
  macsPerS: '3 MMAC/s',
  activePowerW: '0.77 W',
  sources: { macsPerS: 'test value', activePowerW: 'test value' },
};
const userLink = {
  id: 'test-user-radio',
  name: 'a user-measured radio (test)',
  throughputBps: '8 Mb/s',
  energyPerBitJ: '123 nJ/bit',
  mtuBytes: 1000,
  headerBytes: 10,
  latencyS: '1 ms',
  sources: { throughputBps: 'test value', energyPerBitJ: 'test value' },
};

describe('user catalogs in run', () => {
  it('a user device and link change the energy, and local nodes emulate the user link', async () => {
    const model = vggSmall({ seed: 5 });
    const n = buildGraph(model).nodes.length;
    const fx = writePlanDir(model, {
      cuts: [Math.floor(n / 2)],
      deviceType: userDevice.id,
      link: userLink.id,
    });
    const devFile = join(fx.dir, 'my-devices.json');
    const linkFile = join(fx.dir, 'my-links.json');
    writeFileSync(devFile, JSON.stringify({ devices: [userDevice] }));
    writeFileSync(linkFile, JSON.stringify({ links: [userLink] }));
    const plan = loadRuntimePlan(fx.dir);
    const samples = datasetSamples(plan, 'fashion-mnist-test', 20);
    // without the catalogs the ids are unknown: nothing falls back to the built-in catalog silently
    await expect(runPlan({ plan, samples, link: userLink.id })).rejects.toThrow(/test-user-radio/);
    const { report } = await runPlan({
      plan,
      samples,
      link: userLink.id,
      deviceCatalogFiles: [devFile],
      linkCatalogFiles: [linkFile],
    });
    expect(report.lost).toBe(0);
    expect(report.link).toBe(userLink.id);
    if (!('perSampleJ' in report.energy)) throw new Error(report.energy.unavailable);
    const device = loadDeviceCatalog([devFile]).get(userDevice.id);
    const link = loadLinkCatalog([linkFile]).get(userLink.id);
    const hop = report.links[1];
    expect(report.energy.computeJ).toBeCloseTo(2 * computeCost(device, 1000).energyJ, 12);
    expect(report.energy.communicationJ).toBeCloseTo(transferCost(link, hop.bytesPerSample).energyJ, 12);
    // the same run with a built-in device and link gives other numbers
    const builtin = await runPlan({
      plan: {
        ...plan,
        stages: plan.stages.map((s) => ({ ...s, devices: s.devices.map((d) => ({ ...d, type: 'rpi4b' })) })),
      },
      samples,
      link: 'wifi',
    });
    if (!('perSampleJ' in builtin.report.energy)) throw new Error(builtin.report.energy.unavailable);
    expect(builtin.report.energy.perSampleJ).not.toBeCloseTo(report.energy.perSampleJ, 6);
  }, 120_000);
});
