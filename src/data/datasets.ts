/**
 * Named datasets. Fashion-MNIST files are looked up in the Debian dataset directory first
 * (`/usr/share/datasets/fashion-mnist/`, or the directory in EDGESPLIT_FASHION_MNIST_DIR), then in the
 * copy committed under `data/fashion-mnist/` of the package root.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EdgesplitError, UsageError } from '../core/errors.js';
import { float32Tensor, type Tensor } from '../core/tensor.js';
import { loadIdxImageSet } from './idx.js';
import { packageRoot } from './package-root.js';

/** Debian's `dataset-fashion-mnist` install directory. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** Environment variable that replaces the Debian directory in the lookup. */
export const FASHION_MNIST_DIR_ENV = 'EDGESPLIT_FASHION_MNIST_DIR';

/** How one named dataset is stored. */
export interface DatasetSpec {
  readonly name: string;
  readonly description: string;
  /** File name prefix: `<prefix>-images-idx3-ubyte.gz` and `<prefix>-labels-idx1-ubyte.gz`. */
  readonly filePrefix: string;
  /** Number of images the files must hold. */
  readonly count: number;
  /** Whether a copy is committed under data/fashion-mnist/. */
  readonly committed: boolean;
  /** Whether Debian's dataset-fashion-mnist ships it. */
  readonly debian: boolean;
}

/** The datasets edgesplit knows, by name. */
export const DATASETS: readonly DatasetSpec[] = [
  {
    name: 'fashion-mnist-test',
    description: 'Fashion-MNIST test split (10,000 images)',
    filePrefix: 't10k',
    count: 10_000,
    committed: true,
    debian: true,
  },
  {
    name: 'fashion-mnist-calib',
    description: 'held-out calibration split of the Fashion-MNIST train set (5,000 images, unseen by every zoo model)',
    filePrefix: 'calib',
    count: 5_000,
    committed: true,
    debian: false,
  },
  {
    name: 'fashion-mnist-train',
    description: 'Fashion-MNIST train split (60,000 images; only with Debian dataset-fashion-mnist)',
    filePrefix: 'train',
    count: 60_000,
    committed: false,
    debian: true,
  },
];

/** A loaded image-classification dataset in edgesplit's tensor convention. */
export interface Dataset {
  readonly name: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** N*1*H*W floats, pixel/255 in [0,1], row-major ([N,1,H,W]). */
  readonly images: Float32Array;
  /** N class labels 0..9. */
  readonly labels: Uint8Array;
  /** The image file the data came from. */
  readonly imagesPath: string;
}

/** Options of loadDataset. */
export interface LoadDatasetOptions {
  /** Keep only the first `limit` images (all when omitted). */
  limit?: number;
  /** Environment to read EDGESPLIT_FASHION_MNIST_DIR from; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Returns the spec of a named dataset, or a usage error listing the known names. */
export function datasetSpec(name: string): DatasetSpec {
  const spec = DATASETS.find((d) => d.name === name);
  if (!spec) {
    throw new UsageError(`unknown dataset '${name}'; known datasets: ${DATASETS.map((d) => d.name).join(', ')}`);
  }
  return spec;
}

/** Directories searched for a dataset's files, in order. */
export function datasetSearchDirs(spec: DatasetSpec, env: Readonly<Record<string, string | undefined>>): string[] {
  const dirs: string[] = [];
  const override = env[FASHION_MNIST_DIR_ENV];
  if (override) dirs.push(override);
  else if (spec.debian) dirs.push(DEBIAN_FASHION_MNIST_DIR);
  if (spec.committed) dirs.push(join(packageRoot(), 'data', 'fashion-mnist'));
  return dirs;
}

/** Finds the image and label files of a dataset; throws E_DATA naming the directories searched. */
export function resolveDatasetFiles(
  spec: DatasetSpec,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { imagesPath: string; labelsPath: string } {
  const dirs = datasetSearchDirs(spec, env);
  for (const dir of dirs) {
    const imagesPath = join(dir, `${spec.filePrefix}-images-idx3-ubyte.gz`);
    const labelsPath = join(dir, `${spec.filePrefix}-labels-idx1-ubyte.gz`);
    if (existsSync(imagesPath) && existsSync(labelsPath)) return { imagesPath, labelsPath };
  }
  const hint = spec.debian ? ' (install Debian dataset-fashion-mnist)' : '';
  throw new EdgesplitError(
    'E_DATA',
    `dataset '${spec.name}': ${spec.filePrefix}-{images-idx3,labels-idx1}-ubyte.gz not found in ${dirs.join(', ')}${hint}`,
  );
}

/** Converts bytes to floats pixel/255. */
export function bytesToUnitFloats(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

/** Loads a named dataset as float32 [N,1,H,W] images in [0,1] plus labels. */
export function loadDataset(name: string, options: LoadDatasetOptions = {}): Dataset {
  const spec = datasetSpec(name);
  const { limit } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError(`limit must be a positive integer, got ${limit}`);
  }
  const { imagesPath, labelsPath } = resolveDatasetFiles(spec, options.env ?? process.env);
  const set = loadIdxImageSet(imagesPath, labelsPath);
  if (set.count !== spec.count) {
    throw new EdgesplitError('E_DATA', `${imagesPath}: dataset '${spec.name}' must hold ${spec.count} images, found ${set.count}`);
  }
  const count = Math.min(set.count, limit ?? set.count);
  const pixelsPerImage = set.height * set.width;
  for (let i = 0; i < count; i++) {
    if (set.labels[i] > 9) throw new EdgesplitError('E_DATA', `${labelsPath}: label ${set.labels[i]} at index ${i} is not in 0..9`);
  }
  return {
    name: spec.name,
    count,
    height: set.height,
    width: set.width,
    images: bytesToUnitFloats(set.pixels.subarray(0, count * pixelsPerImage)),
    labels: set.labels.slice(0, count),
    imagesPath,
  };
}

/** One batch of a dataset. */
export interface Batch {
  /** Index of the batch's first image in the dataset. */
  readonly start: number;
  /** Images in this batch (the last batch may be short). */
  readonly size: number;
  /** float32 [size,1,H,W], a view into the dataset's images (no copy). */
  readonly input: Tensor;
  /** The batch's labels. */
  readonly labels: Uint8Array;
}

/** Yields consecutive batches of at most `batchSize` images as [B,1,H,W] tensors. */
export function* batches(dataset: Dataset, batchSize: number): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UsageError(`batch size must be a positive integer, got ${batchSize}`);
  }
  const per = dataset.height * dataset.width;
  for (let start = 0; start < dataset.count; start += batchSize) {
    const size = Math.min(batchSize, dataset.count - start);
    yield {
      start,
      size,
      input: float32Tensor([size, 1, dataset.height, dataset.width], dataset.images.subarray(start * per, (start + size) * per)),
      labels: dataset.labels.subarray(start, start + size),
    };
  }
}
