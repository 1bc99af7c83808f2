/** How each kind of zoo model is evaluated, derived from its manifest entry. */
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { packageRoot } from '../data/package-root.js';
import type { EvalOptions } from './evaluate.js';
import { zooModel, type ZooManifest, type ZooModel } from './manifest.js';

/** Seed of the noise PRNG used for every recorded denoising metric. */
export const ZOO_NOISE_SEED = 0;

/** True when a manifest entry has a metric to measure (classifiers, autoencoders, decoders with an encoder). */
export function isEvaluable(entry: Pick<ZooModel, 'task'>): boolean {
  return entry.task !== 'feature';
}

/**
 * Evaluation options implied by a manifest entry: the task, the noise of denoisers, and for decoders the
 * encoder to run first. Throws a usage error for feature extractors, which have no metric of their own.
 */
export function zooEvalOptions(
  entry: ZooModel,
  manifest: ZooManifest,
): Pick<EvalOptions, 'task' | 'noiseSigma' | 'noiseClip' | 'noiseSeed' | 'encoderPath'> {
  if (!isEvaluable(entry)) {
    throw new UsageError(
      `zoo model '${entry.name}' is a feature extractor (task 'feature'${entry.parent ? `, piece of '${entry.parent}'` : ''}); it has no metric to evaluate`,
    );
  }
  if (entry.task === 'classification') return { task: 'classification' };
  const opts: Pick<EvalOptions, 'task' | 'noiseSigma' | 'noiseClip' | 'noiseSeed' | 'encoderPath'> = {
    task: entry.task === 'denoising' ? 'denoising' : 'reconstruction',
  };
  if (entry.encoder) opts.encoderPath = join(packageRoot(), zooModel(entry.encoder, manifest).file);
  if (entry.task === 'denoising') {
    if (entry.noiseSigma === undefined)
      throw new UsageError(
        `zoo model '${entry.name}' is a denoiser but its manifest entry has no noiseSigma`,
      );
    Object.assign(opts, {
      noiseSigma: entry.noiseSigma,
      noiseClip: entry.noiseClip ?? true,
      noiseSeed: ZOO_NOISE_SEED,
    });
  }
  return opts;
}
