/**
 * Precision at the edges: calibration images from a named dataset, quantising a model file, and the
 * precision table (our DistNN Table V): each model's metric on a dataset under several weight /
 * feature-map formats, all run through onnxruntime.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { InferenceBackend } from '../backend/backend.js';
import { onnxruntimeBackend } from '../backend/onnxruntime/onnxruntime-backend.js';
import { UsageError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';
import { float32Tensor, type Tensor } from '../core/tensor.js';
import { batches, loadDataset, type Dataset } from '../data/datasets.js';
import { buildGraph } from '../graph/build.js';
import { decodeModel, loadModelFile, saveModelFile } from '../onnx/io.js';
import type { ModelProto } from '../onnx/proto.js';
import type { CalibrationMethod } from '../strategy/quantize/calibrate.js';
import { pairLabel, type PrecisionPair } from '../strategy/quantize/formats.js';
import { quantizeModel, type QuantizedModel } from '../strategy/quantize/quantize-model.js';
import { evaluateModel, type EvalOptions } from './evaluate.js';
import { addGaussianNoise, gaussianSource } from './noise.js';

/** Default number of calibration images. */
export const DEFAULT_CALIBRATION_LIMIT = 1000;
/** Seed of the noise added to calibration images of denoisers (differs from the evaluation seed). */
export const CALIBRATION_NOISE_SEED = 99;

/** Where calibration images come from. */
export interface CalibrationSource {
  /** Dataset name, e.g. `fashion-mnist-calib`. */
  readonly dataset: string;
  readonly limit?: number;
  readonly method?: CalibrationMethod;
  readonly percentile?: number;
  /** Denoisers calibrate on noisy images, as they are fed. */
  readonly noiseSigma?: number;
  readonly noiseClip?: boolean;
}

/** Calibration batches of 250 images from a named dataset (noisy when `noiseSigma` is set). */
export function calibrationBatches(src: CalibrationSource, data?: Dataset): Tensor[] {
  const ds = data ?? loadDataset(src.dataset, { limit: src.limit ?? DEFAULT_CALIBRATION_LIMIT });
  const normal = gaussianSource(mulberry32(CALIBRATION_NOISE_SEED));
  return [...batches(ds, 250)].map((b) =>
    src.noiseSigma
      ? float32Tensor(
          b.input.dims,
          addGaussianNoise(b.input.data as Float32Array, normal, {
            sigma: src.noiseSigma,
            clip: src.noiseClip ?? true,
          }),
        )
      : b.input,
  );
}

/**
 * Resolves a cut given as a number (0..n, nodes [0, k) on the node) or as the name of the last node on
 * the node side; throws a usage error naming the model and listing nothing silently.
 */
export function resolveNodeCut(model: ModelProto, cut: string, source: string): number {
  const graph = buildGraph(model);
  const n = graph.nodes.length;
  if (/^\d+$/.test(cut)) {
    const k = Number(cut);
    if (k > n) throw new UsageError(`${source}: --node-cut ${k} is out of range 0..${n}`);
    return k;
  }
  const node = graph.nodes.find((x) => x.name === cut);
  if (!node)
    throw new UsageError(`${source}: --node-cut '${cut}' is neither a cut index 0..${n} nor a node name`);
  return node.index + 1;
}

/** Options of {@link quantizeFile}. */
export interface QuantizeFileOptions {
  readonly pair: PrecisionPair;
  readonly nodeCut?: number;
  readonly calibration?: CalibrationSource;
  readonly backend?: InferenceBackend;
  /** Already prepared calibration batches (skips loading `calibration.dataset`). */
  readonly batches?: readonly Tensor[];
}

/** Quantises a loaded model with calibration images from a named dataset. */
export async function quantizeLoaded(model: ModelProto, opts: QuantizeFileOptions): Promise<QuantizedModel> {
  const c = opts.calibration;
  return quantizeModel(model, {
    weights: opts.pair.weights,
    activations: opts.pair.activations,
    nodeCut: opts.nodeCut,
    calibration: c
      ? {
          backend: opts.backend ?? onnxruntimeBackend,
          batches: opts.batches ?? calibrationBatches(c),
          method: c.method,
          percentile: c.percentile,
          dataset: c.dataset,
        }
      : undefined,
  });
}

/** One cell of the precision table. */
export interface PrecisionCell {
  readonly model: string;
  readonly precision: string;
  readonly metric: 'accuracy' | 'ssim';
  readonly value: number;
  readonly samples: number;
  readonly file: string;
}

/** Options of {@link precisionTable}. */
export interface PrecisionTableOptions {
  /** Models: label, file and the evaluation options of its task. */
  readonly models: readonly {
    name: string;
    path: string;
    zooName?: string;
    eval: Omit<EvalOptions, 'data' | 'dataset'>;
  }[];
  readonly pairs: readonly PrecisionPair[];
  readonly dataset: string;
  readonly limit?: number;
  readonly calibration: CalibrationSource;
  /** Directory the quantised models are written to; default a new temp dir. */
  readonly outDir?: string;
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

/** Every model under every precision pair, evaluated on the dataset. */
export async function precisionTable(opts: PrecisionTableOptions): Promise<PrecisionCell[]> {
  const outDir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'edgesplit-precision-'));
  mkdirSync(outDir, { recursive: true });
  const data = loadDataset(opts.dataset, { limit: opts.limit });
  const calibData = loadDataset(opts.calibration.dataset, {
    limit: opts.calibration.limit ?? DEFAULT_CALIBRATION_LIMIT,
  });
  const cells: PrecisionCell[] = [];
  const total = opts.models.length * opts.pairs.length;
  for (const m of opts.models) {
    const model = await loadModelFile(m.path);
    const calib = calibrationBatches(
      { ...opts.calibration, noiseSigma: m.eval.noiseSigma, noiseClip: m.eval.noiseClip },
      calibData,
    );
    for (const pair of opts.pairs) {
      const label = pairLabel(pair);
      opts.onProgress?.(cells.length, total, `${m.name} ${label}`);
      const q = await quantizeLoaded(model, { pair, calibration: opts.calibration, batches: calib });
      if (m.zooName) tagZooSource(q.model, m.zooName);
      const file = join(
        outDir,
        `${basename(m.name, '.onnx')}.${pair.weights.name}.${pair.activations.name}.onnx`,
      );
      await saveModelFile(file, q.model);
      const r = await evaluateModel(file, { ...m.eval, data });
      cells.push({
        model: m.name,
        precision: label,
        metric: r.accuracy !== undefined ? 'accuracy' : 'ssim',
        value: r.accuracy ?? r.ssim ?? NaN,
        samples: r.samples,
        file,
      });
    }
  }
  opts.onProgress?.(total, total, 'done');
  return cells;
}

/** Metadata key naming the zoo model a quantised file was made from (so `eval` measures it the same way). */
export const ZOO_SOURCE_METADATA_KEY = 'edgesplit.zoo-model';

/** Records in `model` that it derives from zoo model `name`. */
export function tagZooSource(model: ModelProto, name: string): void {
  model.metadataProps = model.metadataProps.filter((m) => m.key !== ZOO_SOURCE_METADATA_KEY);
  model.metadataProps.push({
    key: ZOO_SOURCE_METADATA_KEY,
    value: name,
  } as ModelProto['metadataProps'][number]);
}

/** The zoo model a file derives from, if recorded. */
export function zooSourceOf(model: ModelProto): string | undefined {
  return model.metadataProps?.find((m) => m.key === ZOO_SOURCE_METADATA_KEY)?.value ?? undefined;
}

/** {@link zooSourceOf} of a model file; undefined when it is not a readable ONNX file. */
export function zooSourceOfFile(path: string): string | undefined {
  try {
    return zooSourceOf(decodeModel(readFileSync(path), path));
  } catch {
    return undefined;
  }
}
