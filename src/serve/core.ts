/**
 * The transport-neutral core of `edgesplit serve`: loaded models with their dynamic batchers, the
 * limits, the pre-shared key, metadata, Triton's model config and the inference step. The REST
 * (`http-server.ts`) and gRPC (`grpc-server.ts`) transports both sit on one core, so they batch
 * together, enforce the same limits and answer errors the same way.
 */
import { availableParallelism } from 'node:os';
import type { InferenceBackend } from '../backend/backend.js';
import { profileModelFile } from '../profile/index.js';
import { checkAuth } from './auth.js';
import { CLASSIFICATION_EXTENSION, classify } from './classification.js';
import { modelConfigOf, type TritonModelConfig } from './model-config.js';
import { ParsePool } from './parse-pool.js';
import { ProtocolError } from './protocol-error.js';
import {
  DEFAULT_LIMITS,
  type ParsedInferRequest,
  type ResponseOutput,
  type ServeLimits,
  type TensorMeta,
} from './protocol.js';
import { loadServedModels, type ServedModel } from './served-model.js';

/** Server name reported by server metadata. */
export const SERVER_NAME = 'edgesplit';
/** Server version reported by server metadata. */
export const SERVER_VERSION = '0.1.0';
/** Protocol extensions reported by server metadata. */
export const SERVER_EXTENSIONS = ['binary_tensor_data', CLASSIFICATION_EXTENSION, 'model_configuration'];

/** Options of {@link createServeCore}. */
export interface ServeCoreOptions {
  /** ONNX files to serve; each is named by its basename without `.onnx`. */
  readonly models: readonly string[];
  readonly backend: InferenceBackend;
  readonly limits?: Partial<ServeLimits>;
  /** Dynamic batching delay in ms (default 2). */
  readonly maxDelayMs?: number;
  /** Pre-shared key; when set every call except the two server health probes needs it. */
  readonly key?: string;
  /** Worker threads parsing large JSON bodies (default: cores - 1, at least 1). */
  readonly parseWorkers?: number;
}

/** Model metadata as the protocol defines it. */
export interface ModelMetadataBody {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
}

/** The shared serving state and operations. */
export interface ServeCore {
  readonly models: ReadonlyMap<string, ServedModel>;
  readonly limits: ServeLimits;
  readonly maxDelayMs: number;
  readonly parser: ParsePool;
  serverMetadata(): { name: string; version: string; extensions: string[] };
  /** The model of that name and version (only '1', or none); 404 otherwise. */
  model(name: string, version?: string): ServedModel;
  modelMetadata(m: ServedModel): ModelMetadataBody;
  modelConfig(m: ServedModel): TritonModelConfig;
  /** Throws 401 unless the request carries the key (no-op without one). */
  authorize(
    method: string,
    path: string,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    body: Uint8Array,
  ): void;
  /** Runs a validated request through the model's batcher; outputs in the requested order. */
  infer(m: ServedModel, parsed: ParsedInferRequest): Promise<ResponseOutput[]>;
  close(): Promise<void>;
}

async function macsOf(path: string): Promise<number | undefined> {
  try {
    return (await profileModelFile(path)).profile.totals.macs;
  } catch {
    // a model the profiler cannot count is still served; its config just has no MAC parameter
    return undefined;
  }
}

/** Loads the models and builds the core both transports use. */
export async function createServeCore(opts: ServeCoreOptions): Promise<ServeCore> {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
  const maxDelayMs = opts.maxDelayMs ?? 2;
  const models = await loadServedModels(opts.models, opts.backend, { maxBatch: limits.maxBatch, maxDelayMs });
  const macs = new Map<string, number | undefined>();
  for (const m of models.values()) macs.set(m.name, await macsOf(m.path));
  const parser = new ParsePool(opts.parseWorkers ?? Math.max(1, availableParallelism() - 1));
  return {
    models,
    limits,
    maxDelayMs,
    parser,
    serverMetadata: () => ({
      name: SERVER_NAME,
      version: SERVER_VERSION,
      extensions: [...SERVER_EXTENSIONS],
    }),
    model(name, version) {
      const m = models.get(name);
      if (!m)
        throw new ProtocolError(404, `unknown model '${name}' (serving: ${[...models.keys()].join(', ')})`);
      if (version !== undefined && version !== '' && version !== '1')
        throw new ProtocolError(404, `model '${name}' has no version '${version}' (only '1')`);
      return m;
    },
    modelMetadata: (m) => ({
      name: m.name,
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: m.signature.inputs,
      outputs: m.signature.outputs,
    }),
    modelConfig: (m) => modelConfigOf(m, { maxBatch: limits.maxBatch, maxDelayMs }, macs.get(m.name)),
    authorize(method, path, headers, body) {
      if (opts.key === undefined) return;
      const why = checkAuth(opts.key, method, path, headers, body);
      if (why) throw new ProtocolError(401, `unauthorized: ${why}`);
    },
    async infer(m, parsed) {
      const out = await m.infer(parsed.feeds, parsed.batch);
      return parsed.outputs.map((o) =>
        o.classCount !== undefined
          ? { name: o.name, binary: o.binary, classes: classify(out[o.name], o.classCount, m.batched) }
          : { name: o.name, binary: o.binary, tensor: out[o.name] },
      );
    },
    async close() {
      await parser.close();
      for (const m of models.values()) await m.release();
    },
  };
}
