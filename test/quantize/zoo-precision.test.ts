import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { parsePair } from '../../src/strategy/quantize/index.js';
import { zooModelPath } from '../../src/zoo/manifest.js';
import { precisionTable } from '../../src/zoo/precision.js';
import { runWearable } from '../../src/zoo/wearable-run.js';

describe('precision on the zoo (full test split, onnxruntime)', () => {
  it('int8 QDQ of local stays within 1 point of FP32 accuracy on all 10,000 test images', async () => {
    const cells = await precisionTable({
      models: [{ name: 'local', path: zooModelPath('local'), eval: { task: 'classification' } }],
      pairs: [parsePair('fp32/fp32'), parsePair('int8/int8')],
      dataset: 'fashion-mnist-test',
      calibration: { dataset: 'fashion-mnist-calib', limit: 1000 },
    });
    const [fp32, int8] = cells;
    expect(fp32.samples).toBe(10_000);
    expect(fp32.value).toBeCloseTo(0.8911, 4);
    expect(int8.value).not.toBe(fp32.value);
    expect(Math.abs(int8.value - fp32.value)).toBeLessThanOrEqual(0.01);
  }, 180_000);
});

describe('the split autoencoder run', () => {
  it('cuts ae at the latent for the ASIC over BLE and the pipeline SSIM equals the whole quantised model', async () => {
    const r = await runWearable({
      model: { name: 'ae', path: zooModelPath('ae') },
      node: getDevice('distnn-asic-65nm'),
      hub: getDevice('phone'),
      link: getLink('ble'),
      pair: parsePair('q1.8/int8'),
      calibration: { dataset: 'fashion-mnist-calib', limit: 250 },
      limit: 40,
      outDir: mkdtempSync(join(tmpdir(), 'edgesplit-wearable-')),
    });
    expect(r.cut.after).toMatch(/Gemm/);
    // the latent: 64 values, one byte each on the wire
    expect(r.payloadBytesPerFrame).toBe(64);
    // one image per transport frame, as a wearable sends them: the codes, a frame header and the
    // 20 B of the frame's AES-GCM record (a micro-batched run would spread those over many images)
    expect(r.wireBytesPerFrame).toBeGreaterThan(64 + 20);
    expect(r.images).toBe(40);
    expect(r.ssim).toBeGreaterThan(0.7);
    expect(Math.abs(r.ssim - r.wholeModelSsim)).toBeLessThanOrEqual(1e-4);
    expect(r.sustainsFps).toBe(true);
  }, 180_000);
});
