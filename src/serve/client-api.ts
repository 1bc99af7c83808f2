/** Types shared by the v2 client's transports (HTTP and gRPC). */
import { EdgesplitError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { TritonModelConfig } from './model-config.js';
import type { TensorMeta } from './protocol.js';

/** A non-2xx answer from a v2 server. */
export class V2HttpError extends EdgesplitError {
  /** HTTP status code. */
  readonly status: number;
  constructor(status: number, message: string) {
    super('E_PROTOCOL', message);
    this.status = status;
    this.name = 'V2HttpError';
  }
}

/** Options of `V2Client`. */
export interface V2ClientOptions {
  /** Pre-shared key of an `edgesplit serve --key` server. */
  readonly key?: string;
  /** How to present the key: a bearer token (default) or an HMAC signature of each request. */
  readonly auth?: 'bearer' | 'hmac';
  /** Per-request timeout in ms (default 30,000). */
  readonly timeoutMs?: number;
}

/** Options of one inference call. */
export interface InferOptions {
  /** Send inputs as binary data (default true) instead of JSON arrays. */
  readonly binaryInputs?: boolean;
  /** Ask for outputs as binary data (default true). */
  readonly binaryOutputs?: boolean;
  /** Outputs to request (default: all the model has). */
  readonly outputs?: readonly string[];
  /** Triton classification extension: ask for the top `classCount` classes of each requested output. */
  readonly classCount?: number;
  readonly id?: string;
}

/** Decoded inference response. */
export interface InferResult {
  readonly modelName: string;
  readonly id?: string;
  readonly outputs: Record<string, Tensor>;
  /** BYTES outputs (classification results) as strings, by output name. */
  readonly strings?: Record<
    string,
    { readonly shape: readonly number[]; readonly values: readonly string[] }
  >;
}

/** Server metadata (`GET /v2`). */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** Model metadata (`GET /v2/models/{name}`). */
export interface ModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
}

/** What a v2 client can do, whatever the transport. */
export interface V2Transport {
  live(): Promise<boolean>;
  ready(): Promise<boolean>;
  modelReady(name: string): Promise<boolean>;
  serverMetadata(): Promise<ServerMetadata>;
  modelMetadata(name: string): Promise<ModelMetadata>;
  modelConfig(name: string): Promise<TritonModelConfig>;
  infer(name: string, inputs: Readonly<Record<string, Tensor>>, opts?: InferOptions): Promise<InferResult>;
  close(): void;
}
