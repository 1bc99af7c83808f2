import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/datasets.js';
import { packageRoot } from '../../src/data/package-root.js';
import { measureMetric, profileSize, readTrainingRecord } from '../../src/zoo/build-manifest.js';
import { loadManifest, parseManifest, zooModel, zooModelPath } from '../../src/zoo/manifest.js';
import { readSignature } from '../../src/zoo/signature.js';
import { isEvaluable } from '../../src/zoo/zoo-eval.js';

const manifest = loadManifest();
// an override directory without files makes the lookup use the committed copy of the test split
const test = loadDataset('fashion-mnist-test', {
  env: { EDGESPLIT_FASHION_MNIST_DIR: '/nonexistent-edgesplit-dir' },
});

describe('models/manifest.json', () => {
  it('lists exactly the models of training/zoo.json, each file present', () => {
    const trained = readTrainingRecord()
      .models.map((m) => m.name)
      .sort();
    expect(manifest.models.map((m) => m.name).sort()).toEqual(trained);
    for (const m of manifest.models) expect(existsSync(zooModelPath(m.name, manifest)), m.file).toBe(true);
  });

  it('records the issue targets: local >= 0.88, remote >= 0.92 and 2 points above local, autoencoder SSIM >= 0.80', () => {
    const local = zooModel('local', manifest).metric!.value;
    const remote = zooModel('remote', manifest).metric!.value;
    expect(local).toBeGreaterThanOrEqual(0.88);
    expect(remote).toBeGreaterThanOrEqual(0.92);
    expect(remote - local).toBeGreaterThanOrEqual(0.02);
    expect(zooModel('ae', manifest).metric!.value).toBeGreaterThanOrEqual(0.8);
  });

  it('has a metric on the full test split for every classifier and autoencoder, none for pieces', () => {
    for (const m of manifest.models) {
      if (isEvaluable(m))
        expect(m.metric, m.name).toMatchObject({ samples: 10_000, dataset: 'fashion-mnist-test' });
      else expect(m.metric, m.name).toBeNull();
    }
  });

  it('declares the same inputs and outputs as the ONNX files', async () => {
    for (const m of manifest.models) {
      const sig = await readSignature(zooModelPath(m.name, manifest));
      expect(sig.inputs, m.name).toEqual(m.inputs);
      expect(sig.outputs, m.name).toEqual(m.outputs);
    }
  });

  it('records params and MACs as the profiler counts them', async () => {
    for (const m of manifest.models) {
      expect(await profileSize(zooModelPath(m.name, manifest)), m.name).toEqual({
        params: m.params,
        macs: m.macs,
      });
    }
  });

  it('rejects duplicate names and bad fields, naming the field', () => {
    const raw = structuredClone(manifest) as unknown as { models: Record<string, unknown>[] };
    raw.models.push({ ...raw.models[0] });
    expect(() => parseManifest(raw, 'm.json')).toThrow(
      /m\.json: invalid zoo manifest: .*duplicate model name/,
    );
    const bad = structuredClone(manifest) as unknown as { models: Record<string, unknown>[] };
    bad.models[1].file = '../etc/passwd';
    expect(() => parseManifest(bad, 'm.json')).toThrow(/models\.1\.file: models\/<name>\.onnx/);
  });
});

describe('recorded metrics re-measured on the committed test split (onnxruntime-node)', () => {
  for (const m of manifest.models.filter(isEvaluable)) {
    it(`${m.name}: ${m.metric?.name} within 0.001 of the manifest`, async () => {
      const got = await measureMetric(m, manifest, test, { batchSize: 1000, intraOpThreads: 2 });
      expect(got).not.toBeNull();
      expect(got!.name).toBe(m.metric!.name);
      expect(got!.samples).toBe(10_000);
      expect(Math.abs(got!.value - m.metric!.value)).toBeLessThanOrEqual(0.001);
      for (const [out, v] of Object.entries(m.metric!.perOutput ?? {})) {
        expect(Math.abs(got!.perOutput![out] - v), `${m.name} ${out}`).toBeLessThanOrEqual(0.001);
      }
    });
  }
  it('committed test split is the one every metric is recorded on', () => {
    expect(test.imagesPath).toBe(join(packageRoot(), 'data', 'fashion-mnist', 't10k-images-idx3-ubyte.gz'));
  });
});
