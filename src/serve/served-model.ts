import { basename } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { InferenceBackend, InferenceSession } from '../backend/backend.js';
import { DynamicBatcher, type BatcherOptions, type BatcherStats } from './batcher.js';
import { isBatchable, type ModelSignature } from './protocol.js';
import { readModelSignature } from './signature.js';

/** A model loaded for serving: its v2 name, signature, session and (when batchable) its batcher. */
export interface ServedModel {
  readonly name: string;
  readonly path: string;
  readonly signature: ModelSignature;
  /** True when concurrent requests are merged along dimension 0. */
  readonly batched: boolean;
  /** Runs one request's feeds (through the batcher when batched) and returns every output. */
  infer(feeds: Record<string, Tensor>, batch: number): Promise<Record<string, Tensor>>;
  /** Batching counters (runs equal requests when not batched). */
  readonly stats: BatcherStats;
  release(): Promise<void>;
}

/** The v2 model name of a file: its basename without `.onnx`. */
export function modelNameOf(path: string): string {
  return basename(path).replace(/\.onnx$/i, '');
}

/** Loads one model file for serving. */
export async function loadServedModel(
  path: string,
  backend: InferenceBackend,
  batching: BatcherOptions,
): Promise<ServedModel> {
  const signature = await readModelSignature(path);
  const session: InferenceSession = await backend.load(path);
  const run = (feeds: Record<string, Tensor>) => session.run(feeds);
  const batched = isBatchable(signature) && batching.maxBatch > 1;
  const batcher = new DynamicBatcher(run, batched ? batching : { maxBatch: 1, maxDelayMs: 0 });
  return {
    name: modelNameOf(path),
    path,
    signature,
    batched,
    stats: batcher.stats,
    infer: (feeds, batch) => batcher.infer(feeds, batch),
    release: () => session.release(),
  };
}

/** Loads several model files; two files with the same v2 name are refused. */
export async function loadServedModels(
  paths: readonly string[],
  backend: InferenceBackend,
  batching: BatcherOptions,
): Promise<Map<string, ServedModel>> {
  const models = new Map<string, ServedModel>();
  for (const p of paths) {
    const name = modelNameOf(p);
    const prior = models.get(name);
    if (prior) throw new UsageError(`two models are named '${name}': ${prior.path} and ${p}`);
    models.set(name, await loadServedModel(p, backend, batching));
  }
  return models;
}
