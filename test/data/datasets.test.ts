import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DATASETS,
  DEBIAN_FASHION_MNIST_DIR,
  batches,
  loadDataset,
  resolveDatasetFiles,
  datasetSpec,
} from '../../src/data/datasets.js';
import { loadIdxImageSet } from '../../src/data/idx.js';

// an override directory without the files makes the lookup fall through to the committed copy
const committedOnly = { EDGESPLIT_FASHION_MNIST_DIR: join(tmpdir(), 'edgesplit-no-such-dir') };
const debianPresent = existsSync(join(DEBIAN_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

describe('committed Fashion-MNIST splits', () => {
  it('test split: 10,000 images in [0,1], 1,000 per class', () => {
    const ds = loadDataset('fashion-mnist-test', { env: committedOnly });
    expect(ds.imagesPath).toMatch(/data[/\\]fashion-mnist[/\\]t10k-images-idx3-ubyte\.gz$/);
    expect(ds).toMatchObject({ count: 10_000, height: 28, width: 28 });
    expect(ds.images.length).toBe(10_000 * 784);
    expect(histogram(ds.labels)).toEqual(new Array(10).fill(1000));
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('calibration split: 5,000 images with the documented class counts', () => {
    const ds = loadDataset('fashion-mnist-calib', { env: committedOnly });
    expect(ds.count).toBe(5000);
    expect(histogram(ds.labels)).toEqual([521, 497, 490, 508, 527, 503, 467, 450, 515, 522]);
  });

  it.skipIf(!debianPresent)('calibration split equals Debian train images 55,000..59,999', () => {
    const calib = loadDataset('fashion-mnist-calib', { env: committedOnly });
    const train = loadIdxImageSet(
      join(DEBIAN_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'),
      join(DEBIAN_FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'),
    );
    expect(Buffer.from(calib.labels).equals(Buffer.from(train.labels.subarray(55_000)))).toBe(true);
    const tail = train.pixels.subarray(55_000 * 784);
    let mismatches = 0;
    for (let i = 0; i < tail.length; i++) if (Math.round(calib.images[i] * 255) !== tail[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('--limit keeps the first N images', () => {
    const full = loadDataset('fashion-mnist-test', { env: committedOnly });
    const ds = loadDataset('fashion-mnist-test', { limit: 300, env: committedOnly });
    expect(ds.count).toBe(300);
    expect(ds.images.length).toBe(300 * 784);
    expect([...ds.labels]).toEqual([...full.labels.subarray(0, 300)]);
    expect(loadDataset('fashion-mnist-test', { limit: 20_000, env: committedOnly }).count).toBe(10_000);
    expect(() => loadDataset('fashion-mnist-test', { limit: 0 })).toThrow(/limit must be a positive integer/);
  });

  it('batches are [B,1,28,28] views covering every image once', () => {
    const ds = loadDataset('fashion-mnist-test', { limit: 1000, env: committedOnly });
    const seen: number[] = [];
    for (const b of batches(ds, 256)) {
      expect(b.input.dims).toEqual([b.size, 1, 28, 28]);
      expect(b.input.data[0]).toBe(ds.images[b.start * 784]);
      expect(b.labels[b.size - 1]).toBe(ds.labels[b.start + b.size - 1]);
      seen.push(b.size);
    }
    expect(seen).toEqual([256, 256, 256, 232]);
    expect(() => [...batches(ds, 0)]).toThrow(/batch size/);
  });
});

describe('dataset lookup', () => {
  it('lists the known names for an unknown dataset', () => {
    expect(() => datasetSpec('mnist')).toThrow(
      `unknown dataset 'mnist'; known datasets: ${DATASETS.map((d) => d.name).join(', ')}`,
    );
  });

  it.skipIf(!debianPresent)('prefers the Debian files when present', () => {
    expect(resolveDatasetFiles(datasetSpec('fashion-mnist-test'), {}).imagesPath).toBe(
      join(DEBIAN_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'),
    );
  });

  it('uses the override directory and checks the expected image count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesplit-ds-'));
    const header = (dims: number[]) => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b[2] = 8;
      b[3] = dims.length;
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      return b;
    };
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([header([2, 28, 28]), Buffer.alloc(2 * 784)])));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(Buffer.concat([header([2]), Buffer.from([1, 2])])));
    expect(() => loadDataset('fashion-mnist-train', { env: { EDGESPLIT_FASHION_MNIST_DIR: dir } })).toThrow(
      /train-images-idx3-ubyte\.gz: dataset 'fashion-mnist-train' must hold 60000 images, found 2/,
    );
    expect(() => resolveDatasetFiles(datasetSpec('fashion-mnist-train'), { EDGESPLIT_FASHION_MNIST_DIR: '/nonexistent' })).toThrow(
      /dataset 'fashion-mnist-train': train-\{images-idx3,labels-idx1\}-ubyte\.gz not found in \/nonexistent/,
    );
  });
});
