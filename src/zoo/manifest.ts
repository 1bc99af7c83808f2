/**
 * The model zoo manifest `models/manifest.json`: one entry per committed ONNX file with its task,
 * signature, size (params, MACs from the profiler), training recipe and the test-set metric measured
 * through onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { EdgesplitError, UsageError, errorMessage } from '../core/errors.js';
import { packageRoot } from '../data/package-root.js';

/** Largest manifest file read. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Manifest format version this code reads and writes. */
export const MANIFEST_VERSION = 1;

/** What a zoo model does, which decides how it is evaluated. */
export const ZooTask = z.enum(['classification', 'reconstruction', 'denoising', 'feature']);
/** What a zoo model does, which decides how it is evaluated. */
export type ZooTask = z.infer<typeof ZooTask>;

/** One graph input or output: name and shape, symbolic dims (the batch `N`) as strings. */
export const ZooTensorSpec = z.strictObject({
  name: z.string().min(1),
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
});
/** One graph input or output: name and shape, symbolic dims (the batch `N`) as strings. */
export type ZooTensorSpec = z.infer<typeof ZooTensorSpec>;

/** A metric measured by the TypeScript side through onnxruntime-node. */
export const ZooMetric = z.strictObject({
  name: z.enum(['accuracy', 'ssim']),
  value: z.number().min(-1).max(1),
  samples: z.number().int().positive(),
  dataset: z.string().min(1),
  /** The output the value is measured on (classifiers with several outputs use the last one). */
  output: z.string().min(1),
  /** The same metric for every output of a multi-output model (early-exit logits). */
  perOutput: z.record(z.string(), z.number()).optional(),
  /** For decoders: the encoder the images were passed through first. */
  composedWith: z.string().optional(),
});
/** A metric measured by the TypeScript side through onnxruntime-node. */
export type ZooMetric = z.infer<typeof ZooMetric>;

/** One model of the zoo. */
export const ZooModel = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case name'),
  /** Path relative to the package root, e.g. `models/local.onnx`. */
  file: z.string().regex(/^models\/[^/]+\.onnx$/, 'models/<name>.onnx'),
  task: ZooTask,
  inputs: z.array(ZooTensorSpec).min(1),
  outputs: z.array(ZooTensorSpec).min(1),
  params: z.number().int().nonnegative(),
  macs: z.number().int().nonnegative(),
  recipe: z.string().min(1),
  seed: z.number().int(),
  epochs: z.number().int().nonnegative().optional(),
  /** The whole model a piece was cut from (early-exit and LCP pieces). */
  parent: z.string().optional(),
  /** The encoder whose latent a decoder consumes (decoders are evaluated composed with it). */
  encoder: z.string().optional(),
  /** Std-dev of the Gaussian noise added to inputs of a denoising model (pixel units in [0,1]). */
  noiseSigma: z.number().positive().optional(),
  /** Whether noisy inputs are clipped to [0,1] (as in training). */
  noiseClip: z.boolean().optional(),
  metric: ZooMetric.nullable(),
  /** The metric the training script measured in PyTorch, for comparison only. */
  pythonMetric: z.record(z.string(), z.number()).nullable(),
  notes: z.string(),
});
/** One model of the zoo. */
export type ZooModel = z.infer<typeof ZooModel>;

/** The whole manifest. */
export const ZooManifest = z
  .strictObject({
    version: z.literal(MANIFEST_VERSION),
    convention: z.string(),
    dataset: z.string(),
    models: z.array(ZooModel),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    for (const [i, model] of m.models.entries()) {
      if (seen.has(model.name))
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'name'],
          message: `duplicate model name '${model.name}'`,
        });
      seen.add(model.name);
    }
  });
/** The whole manifest. */
export type ZooManifest = z.infer<typeof ZooManifest>;

/** Default manifest location: `models/manifest.json` under the package root. */
export function defaultManifestPath(): string {
  return join(packageRoot(), 'models', 'manifest.json');
}

/** Validates a parsed manifest; errors name the source and the offending field path. */
export function parseManifest(value: unknown, source: string): ZooManifest {
  const result = ZooManifest.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((iss) => `${iss.path.join('.') || '<root>'}: ${iss.message}`);
    throw new EdgesplitError('E_DATA', `${source}: invalid zoo manifest: ${issues.join('; ')}`);
  }
  return result.data;
}

const cache = new Map<string, ZooManifest>();

/** Reads and validates the manifest (cached per path). */
export function loadManifest(path: string = defaultManifestPath()): ZooManifest {
  const hit = cache.get(path);
  if (hit) return hit;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EdgesplitError('E_IO', `cannot read zoo manifest ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (text.length > MAX_MANIFEST_BYTES)
    throw new EdgesplitError('E_DATA', `${path}: manifest over ${MAX_MANIFEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EdgesplitError('E_DATA', `${path}: not valid JSON (${errorMessage(err)})`, { cause: err });
  }
  const manifest = parseManifest(json, path);
  cache.set(path, manifest);
  return manifest;
}

/** The manifest entry of a named model; a usage error lists the known names. */
export function zooModel(name: string, manifest: ZooManifest = loadManifest()): ZooModel {
  const entry = manifest.models.find((m) => m.name === name);
  if (!entry)
    throw new UsageError(
      `unknown zoo model '${name}'; known: ${manifest.models.map((m) => m.name).join(', ')}`,
    );
  return entry;
}

/** Absolute path of a named zoo model's ONNX file (resolved from the package root, not the cwd). */
export function zooModelPath(name: string, manifest: ZooManifest = loadManifest()): string {
  return join(packageRoot(), zooModel(name, manifest).file);
}

/** The manifest entry whose file is `modelPath` (any relative path is taken from the cwd), if any. */
export function findZooModelByPath(modelPath: string, manifest: ZooManifest): ZooModel | undefined {
  const abs = isAbsolute(modelPath) ? modelPath : resolve(modelPath);
  return manifest.models.find((m) => join(packageRoot(), m.file) === abs);
}
