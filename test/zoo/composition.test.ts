import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from '../../src/backend/backend.js';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { float32Tensor, type Tensor } from '../../src/core/tensor.js';
import { loadDataset } from '../../src/data/datasets.js';
import { loadManifest, zooModelPath } from '../../src/zoo/manifest.js';

const N = 256;
const manifest = loadManifest();
const images = loadDataset('fashion-mnist-test', { limit: N });
const input = float32Tensor([N, 1, 28, 28], images.images);
const sessions = new Map<string, InferenceSession>();

async function run(name: string, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  let s = sessions.get(name);
  if (!s) {
    s = await onnxruntimeBackend.load(zooModelPath(name, manifest));
    sessions.set(name, s);
  }
  return s.run(feeds);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.dims).toEqual(b.dims);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

/** Concatenates [N,F_i] float tensors along axis 1. */
function concatColumns(parts: Tensor[]): Tensor {
  const n = parts[0].dims[0];
  const width = parts.reduce((s, p) => s + p.dims[1], 0);
  const out = new Float32Array(n * width);
  let col = 0;
  for (const p of parts) {
    const f = p.dims[1];
    for (let r = 0; r < n; r++)
      out.set((p.data as Float32Array).subarray(r * f, (r + 1) * f), r * width + col);
    col += f;
  }
  return float32Tensor([n, width], out);
}

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
});

describe('zoo pieces compose to their whole models (256 real test images, onnxruntime-node)', () => {
  let whole: Record<string, Tensor>;
  beforeAll(async () => {
    whole = await run('ee-full', { input });
  });

  it('early exit: prefix1+head1, +prefix2+head2, +rest reproduce ee-full exit1, exit2, final within 1e-5', async () => {
    const { feat1 } = await run('ee-prefix1', { input });
    const { exit1 } = await run('ee-head1', { feat1 });
    const { feat2 } = await run('ee-prefix2', { feat1 });
    const { exit2 } = await run('ee-head2', { feat2 });
    const { final } = await run('ee-rest', { feat2 });
    expect(maxAbsDiff(exit1, whole.exit1)).toBeLessThan(1e-5);
    expect(maxAbsDiff(exit2, whole.exit2)).toBeLessThan(1e-5);
    expect(maxAbsDiff(final, whole.final)).toBeLessThan(1e-5);
    // the exits are different classifiers, so agreement above is not trivially satisfied
    expect(maxAbsDiff(whole.exit1, whole.final)).toBeGreaterThan(1e-2);
  });

  const lcpWholes = manifest.models.filter((m) => /^lcp-split/.test(m.name) && m.parent === undefined);
  it('manifest lists LCP split models with branches and a classifier', () => {
    expect(lcpWholes.map((m) => m.name).sort()).toEqual([
      'lcp-split2',
      'lcp-split4',
      'lcp-split8',
      'lcp-split8-f20',
      'lcp-split8-f40',
    ]);
  });

  for (const w of lcpWholes) {
    it(`${w.name}: branches + concat + classifier reproduce the whole model within 1e-5`, async () => {
      const branches = manifest.models
        .filter((m) => m.parent === w.name && m.name.startsWith(`${w.name}-branch`))
        .sort(
          (a, b) =>
            Number(a.name.slice(a.name.lastIndexOf('branch') + 6)) -
            Number(b.name.slice(b.name.lastIndexOf('branch') + 6)),
        );
      const k = Number(/split(\d+)/.exec(w.name)![1]);
      expect(branches.length).toBe(k);
      const feats: Tensor[] = [];
      for (const b of branches) feats.push((await run(b.name, { input })).feat);
      const { logits } = await run(`${w.name}-classifier`, { feat: concatColumns(feats) });
      const { logits: expected } = await run(w.name, { input });
      expect(maxAbsDiff(logits, expected)).toBeLessThan(1e-5);
    });
  }

  it('autoencoders: ae-encoder + ae-decoder = ae, ae-encoder + ae-complex-decoder = ae-complex within 1e-5', async () => {
    const { latent } = await run('ae-encoder', { input });
    const simple = (await run('ae-decoder', { latent })).reconstruction;
    const complex = (await run('ae-complex-decoder', { latent })).reconstruction;
    expect(maxAbsDiff(simple, (await run('ae', { input })).reconstruction)).toBeLessThan(1e-5);
    expect(maxAbsDiff(complex, (await run('ae-complex', { input })).reconstruction)).toBeLessThan(1e-5);
    expect(maxAbsDiff(simple, complex)).toBeGreaterThan(1e-3);
  });
});
