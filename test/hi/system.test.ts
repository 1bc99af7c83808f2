import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { float32Tensor } from '../../src/core/tensor.js';
import { loadDataset, type Dataset } from '../../src/data/datasets.js';
import { runHiSystem, type HiSystemReport } from '../../src/serve/hi/system.js';
import { hiCost } from '../../src/strategy/hi/accounting.js';
import { writeHiModels } from './fixtures/hi-models.js';

let models: ReturnType<typeof writeHiModels>;
let test: Dataset;
let report: HiSystemReport;

async function directAccuracy(path: string, data: Dataset): Promise<number> {
  const s = await onnxruntimeBackend.load(path);
  const out = await s.run({ input: float32Tensor([data.count, 1, data.height, data.width], data.images) });
  await s.release();
  const logits = Object.values(out)[0].data as Float32Array;
  let right = 0;
  for (let i = 0; i < data.count; i++) {
    const row = logits.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === data.labels[i]) right++;
  }
  return right / data.count;
}

beforeAll(async () => {
  const calib = loadDataset('fashion-mnist-calib', { limit: 800 });
  test = loadDataset('fashion-mnist-test', { limit: 300 });
  models = writeHiModels(calib);
  report = await runHiSystem({
    local: models.local,
    remote: models.remote,
    earlyExit: models['ee-full'],
    decision: 'lr',
    device: getDevice('rpi4b'),
    hub: getDevice('t4'),
    link: getLink('wifi'),
    offloadLink: getLink('wifi'),
    qosAccuracy: 0.6,
    test,
    calib,
    latencySamples: 20,
    tableDevices: [getDevice('rpi4b'), getDevice('esp32s3')],
    backend: onnxruntimeBackend,
  });
});
afterAll(() => rmSync(models.dir, { recursive: true, force: true }));

describe('HI system end to end (real onnxruntime, real HTTP to an in-process v2 server)', () => {
  it('reports on-device, HI, EE-HI and remote with the JSON fields the CLI promises', () => {
    expect(report.strategies.map((s) => s.name)).toEqual(['on-device', 'hi', 'ee-hi', 'remote']);
    for (const s of report.strategies) {
      for (const k of ['accuracy', 'offloadFraction', 'latencyMs', 'energyMJ'] as const)
        expect(Number.isFinite(s[k]), `${s.name}.${k}`).toBe(true);
    }
    expect(report.strategies[1].decision?.f1).toBeGreaterThanOrEqual(0);
    expect(report.remote.inProcess).toBe(true);
    expect(report.samples).toBe(300);
  });

  it('offloads travel through the emulated link: measured remote latency >= its bytes / link throughput', () => {
    const t = report.linkTraffic!;
    const wifi = getLink('wifi');
    expect(report.offloadLink).toBe('wifi');
    expect(report.remoteAgreement).toBe(report.latencySamples);
    // warm-up (3) + one per latency sample for the remote strategy + the HI and EE-HI offloads
    expect(t.offloads).toBe(
      3 +
        report.latencySamples +
        report.strategies[1].measuredOffloads +
        report.strategies[2].measuredOffloads,
    );
    expect(report.strategies[3].measuredOffloads).toBe(report.latencySamples);
    expect(t.bytesUpPerOffload).toBeGreaterThan(test.height * test.width * 4);
    expect(t.stats.up.deliveredBytes).toBe(t.stats.up.linkBytes);
    const boundMs =
      ((t.bytesUpPerOffload + t.bytesDownPerOffload) * 8 * 1000) / wifi.throughputBps +
      2 * wifi.latencyS * 1000;
    expect(report.strategies[3].latencyMs).toBeGreaterThanOrEqual(boundMs);
    expect(report.linkNote).toMatch(/through the emulated wifi link/);
  });

  it('on-device and remote accuracies equal a direct onnxruntime evaluation', async () => {
    expect(report.strategies[0].accuracy).toBeCloseTo(await directAccuracy(models.local, test), 12);
    expect(report.strategies[3].accuracy).toBeCloseTo(await directAccuracy(models.remote, test), 12);
  });

  it("HI's modelled cost follows Eqs. (3)-(4) from the reported costs and offload fraction", () => {
    const hi = report.strategies[1];
    const c = hiCost({ device: report.costs.local, offload: report.costs.offload }, hi.offloadFraction);
    expect(hi.modelLatencyMs).toBeCloseTo(c.latencyMs, 9);
    expect(hi.energyMJ).toBeCloseTo(c.energyMJ, 9);
    expect(report.strategies[3].offloadFraction).toBe(1);
    expect(report.strategies[3].energyMJ).toBeCloseTo(report.costs.offload.energyMJ, 9);
  });

  it('EE-HI exits early for some samples and never runs more device MACs than the full early-exit model', () => {
    const ee = report.strategies[2];
    const fr = ee.point!.exitFractions;
    expect(fr.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(ee.offloadFraction).toBeLessThanOrEqual(fr[2] + 1e-12);
    expect(ee.meanDeviceMacs).toBeGreaterThan(0);
  });

  it("reports HI on the early-exit backbone with exits off (the seed's Table 6 baseline)", () => {
    const b = report.eeBackboneHi!;
    const ee = report.strategies[2];
    expect(b.exitThresholds).toEqual([]);
    expect(b.exitFractions).toEqual([1]);
    expect(ee.meanDeviceMacs).toBeLessThanOrEqual(b.meanDeviceMacs!);
    expect(report.qosAccuracy).toBe(0.6);
  });

  it('builds the strategy table for each requested device with all five strategies', () => {
    const rows = report.strategyTable!;
    expect(rows.map((r) => `${r.device}/${r.qos}`)).toEqual([
      'rpi4b/accuracy',
      'rpi4b/latency',
      'rpi4b/energy',
      'esp32s3/accuracy',
      'esp32s3/latency',
      'esp32s3/energy',
    ]);
    for (const r of rows) {
      expect(r.candidates.map((c) => c.name)).toEqual([
        'on-device-small',
        'on-device-large',
        'remote',
        'hi',
        'ee-hi',
      ]);
      if (r.best) expect(r.candidates.find((c) => c.name === r.best)!.feasible).toBe(true);
    }
  });
});
