/**
 * Measured quality of a split at a given precision: the model with its node side [0, k) quantised
 * (weights, feature maps and the tensors sent) run through onnxruntime on the calibration split,
 * scored as accuracy (classifiers) or SSIM (autoencoders). Results are cached on disk by model
 * content, cut, precision and calibration settings, so design-space sweeps pay once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadDataset } from '../data/datasets.js';
import { encodeModel, loadModelFile } from '../onnx/io.js';
import { pairLabel, type PrecisionPair } from '../strategy/quantize/formats.js';
import { evaluateModel, type EvalOptions } from './evaluate.js';
import { calibrationBatches, quantizeLoaded, type CalibrationSource } from './precision.js';

/** Environment variable naming the cache directory (default `$XDG_CACHE_HOME/edgesplit` or `~/.cache/edgesplit`). */
export const CACHE_DIR_ENV = 'EDGESPLIT_CACHE_DIR';

/** The quality cache file. */
export function qualityCachePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const dir =
    env[CACHE_DIR_ENV] ?? join(env.XDG_CACHE_HOME ?? join(homedir() || tmpdir(), '.cache'), 'edgesplit');
  return join(dir, 'quality.json');
}

/** Options of {@link measureCutQuality}. */
export interface CutQualityOptions {
  readonly modelPath: string;
  /** How the model's metric is measured (task, noise of denoisers). */
  readonly eval: Omit<EvalOptions, 'data' | 'dataset'>;
  readonly cuts: readonly number[];
  readonly pairs: readonly PrecisionPair[];
  /** Calibration images: also the images the quality is measured on (never the test split). */
  readonly calibration: CalibrationSource;
  readonly cacheFile?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Quality of one (cut, precision). */
export interface CutQuality {
  readonly cut: number;
  readonly precision: string;
  readonly metric: 'accuracy' | 'ssim';
  readonly value: number;
  readonly images: number;
  readonly cached: boolean;
}

function readCache(
  file: string,
): Record<string, { metric: 'accuracy' | 'ssim'; value: number; images: number }> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/** Quality of every (cut, pair), from the cache when measured before. */
export async function measureCutQuality(o: CutQualityOptions): Promise<CutQuality[]> {
  const file = o.cacheFile ?? qualityCachePath();
  const cache = readCache(file);
  const model = await loadModelFile(o.modelPath);
  const sha = createHash('sha256').update(encodeModel(model)).digest('hex').slice(0, 16);
  const c = o.calibration;
  const data = loadDataset(c.dataset, { limit: c.limit });
  const batches = calibrationBatches(
    { ...c, noiseSigma: o.eval.noiseSigma, noiseClip: o.eval.noiseClip },
    data,
  );
  const out: CutQuality[] = [];
  const total = o.cuts.length * o.pairs.length;
  const dir = join(tmpdir(), `edgesplit-quality-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  for (const pair of o.pairs) {
    for (const cut of o.cuts) {
      const label = pairLabel(pair);
      const key = [
        sha,
        cut,
        label,
        c.dataset,
        data.count,
        c.method ?? 'minmax',
        c.percentile ?? '',
        o.eval.noiseSigma ?? '',
      ].join('|');
      const hit = cache[key];
      if (hit) {
        out.push({ cut, precision: label, ...hit, cached: true });
      } else {
        const q = await quantizeLoaded(model, { pair, nodeCut: cut, calibration: c, batches });
        const path = join(dir, `cut-${cut}.onnx`);
        writeFileSync(path, encodeModel(q.model));
        const r = await evaluateModel(path, { ...o.eval, data });
        const entry = {
          metric: (r.accuracy !== undefined ? 'accuracy' : 'ssim') as 'accuracy' | 'ssim',
          value: r.accuracy ?? r.ssim ?? NaN,
          images: r.samples,
        };
        cache[key] = entry;
        out.push({ cut, precision: label, ...entry, cached: false });
      }
      o.onProgress?.(out.length, total);
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(cache));
  return out;
}
