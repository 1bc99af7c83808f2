/**
 * Client of the Open Inference Protocol v2 over HTTP (KServe, Triton, or `edgesplit serve`),
 * with Triton's binary tensor extension for inputs and outputs.
 */
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { DTYPE_BYTES, shapeSize, type Tensor } from '../core/tensor.js';
import { signRequest } from './auth.js';
import {
  DTYPE_TO_V2,
  V2_TO_DTYPE,
  arrayFromBytes,
  arrayToJson,
  bytesOfArray,
  type V2Datatype,
} from './datatypes.js';
import {
  decodeBytesElements,
  decodeJsonData,
  encodeWithBinary,
  parseJsonObject,
  splitBody,
} from './protocol.js';
import {
  V2HttpError,
  type InferOptions,
  type InferResult,
  type ModelMetadata,
  type ServerMetadata,
  type V2ClientOptions,
  type V2Transport,
} from './client-api.js';
import type { TritonModelConfig } from './model-config.js';
import { V2GrpcTransport } from './grpc-client.js';

export * from './client-api.js';

/** Decodes an inference response body (JSON, optionally followed by binary outputs). */
export function decodeInferResponse(body: Uint8Array, headerLength: string | undefined): InferResult {
  const { json, binary } = splitBody(body, headerLength ?? undefined);
  const res = parseJsonObject(json, 'inference response');
  if (!Array.isArray(res.outputs))
    throw new EdgesplitError('E_PROTOCOL', `inference response has no 'outputs' array`);
  const outputs: Record<string, Tensor> = {};
  const strings: NonNullable<InferResult['strings']> = {};
  let offset = 0;
  for (const o of res.outputs as Record<string, unknown>[]) {
    const name = String(o?.name);
    if (o?.datatype === 'BYTES') {
      const shape = (Array.isArray(o.shape) ? o.shape : []).map(Number);
      const size = (o.parameters as Record<string, unknown> | undefined)?.binary_data_size;
      if (typeof size === 'number') {
        if (offset + size > binary.length)
          throw new EdgesplitError(
            'E_PROTOCOL',
            `output '${name}': binary_data_size ${size} overruns the body`,
          );
        strings[name] = {
          shape,
          values: decodeBytesElements(
            binary.subarray(offset, offset + size),
            shapeSize(shape),
            `output '${name}'`,
          ),
        };
        offset += size;
      } else strings[name] = { shape, values: Array.isArray(o.data) ? o.data.map(String) : [] };
      continue;
    }
    const dtype = V2_TO_DTYPE[o?.datatype as V2Datatype];
    if (!dtype)
      throw new EdgesplitError(
        'E_PROTOCOL',
        `output '${name}': datatype ${String(o?.datatype)} cannot be represented`,
      );
    const shape = (Array.isArray(o.shape) ? o.shape : []).map(Number);
    const n = shapeSize(shape);
    const size = (o.parameters as Record<string, unknown> | undefined)?.binary_data_size;
    if (typeof size === 'number') {
      if (size !== n * DTYPE_BYTES[dtype] || offset + size > binary.length) {
        throw new EdgesplitError(
          'E_PROTOCOL',
          `output '${name}': binary_data_size ${size} does not fit shape [${shape.join(',')}] or the body`,
        );
      }
      outputs[name] = {
        dtype,
        dims: shape,
        data: arrayFromBytes(dtype, binary.subarray(offset, offset + size), n),
      };
      offset += size;
    } else {
      outputs[name] = { dtype, dims: shape, data: decodeJsonData(o.data, shape, dtype, `output '${name}'`) };
    }
  }
  return {
    modelName: String(res.model_name ?? ''),
    id: typeof res.id === 'string' ? res.id : undefined,
    outputs,
    ...(Object.keys(strings).length > 0 ? { strings } : {}),
  };
}

/** Encodes an inference request for the given tensors. */
export function encodeInferRequest(
  inputs: Readonly<Record<string, Tensor>>,
  opts: InferOptions = {},
): ReturnType<typeof encodeWithBinary> {
  const binaryIn = opts.binaryInputs ?? true;
  const binaryOut = opts.binaryOutputs ?? true;
  const chunks: Uint8Array[] = [];
  const entries = Object.entries(inputs).map(([name, t]) => {
    const base = { name, shape: [...t.dims], datatype: DTYPE_TO_V2[t.dtype] };
    if (!binaryIn && t.dtype !== 'float16') return { ...base, data: arrayToJson(t.dtype, t.data) };
    const bytes = bytesOfArray(t.data);
    chunks.push(bytes);
    return { ...base, parameters: { binary_data_size: bytes.byteLength } };
  });
  const header = {
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    ...(binaryOut ? { parameters: { binary_data_output: true } } : {}),
    inputs: entries,
    ...(opts.outputs
      ? {
          outputs: opts.outputs.map((name) => ({
            name,
            parameters: {
              binary_data: binaryOut,
              ...(opts.classCount !== undefined ? { classification: opts.classCount } : {}),
            },
          })),
        }
      : {}),
  };
  return encodeWithBinary(header, chunks);
}

/** The HTTP transport of {@link V2Client}. */
export class V2HttpTransport implements V2Transport {
  private readonly base: string;
  constructor(
    baseUrl: string,
    private readonly options: V2ClientOptions = {},
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async request(
    method: string,
    path: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (this.options.key !== undefined) {
      if (this.options.auth === 'hmac')
        Object.assign(all, signRequest(this.options.key, method, path, body ?? new Uint8Array(0)));
      else all.Authorization = `Bearer ${this.options.key}`;
    }
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        headers: all,
        body: body as unknown as BodyInit | undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new EdgesplitError('E_TRANSPORT', `${method} ${this.base}${path} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  private async getJson<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    const text = await res.text();
    if (!res.ok) throw new V2HttpError(res.status, `GET ${path}: ${res.status} ${errorText(text)}`);
    return JSON.parse(text) as T;
  }

  private async probe(path: string): Promise<boolean> {
    const res = await this.request('GET', path);
    await res.arrayBuffer();
    return res.ok;
  }

  /** `GET /v2/health/live`. */
  live(): Promise<boolean> {
    return this.probe('/v2/health/live');
  }
  /** `GET /v2/health/ready`. */
  ready(): Promise<boolean> {
    return this.probe('/v2/health/ready');
  }
  /** `GET /v2/models/{name}/ready`. */
  modelReady(name: string): Promise<boolean> {
    return this.probe(`/v2/models/${encodeURIComponent(name)}/ready`);
  }
  /** `GET /v2`. */
  serverMetadata(): Promise<ServerMetadata> {
    return this.getJson('/v2');
  }
  /** `GET /v2/models/{name}`. */
  modelMetadata(name: string): Promise<ModelMetadata> {
    return this.getJson(`/v2/models/${encodeURIComponent(name)}`);
  }
  /** `GET /v2/models/{name}/config` (Triton's model configuration extension). */
  modelConfig(name: string): Promise<TritonModelConfig> {
    return this.getJson(`/v2/models/${encodeURIComponent(name)}/config`);
  }
  /** Nothing to free: fetch pools its own connections. */
  close(): void {}

  /** `POST /v2/models/{name}/infer`; inputs and outputs travel as binary data unless told otherwise. */
  async infer(
    name: string,
    inputs: Readonly<Record<string, Tensor>>,
    opts: InferOptions = {},
  ): Promise<InferResult> {
    const enc = encodeInferRequest(inputs, opts);
    const headers: Record<string, string> = { 'Content-Type': enc.contentType };
    if (enc.headerLength !== undefined) headers['Inference-Header-Content-Length'] = String(enc.headerLength);
    const path = `/v2/models/${encodeURIComponent(name)}/infer`;
    const res = await this.request('POST', path, enc.body, headers);
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok)
      throw new V2HttpError(
        res.status,
        `POST ${path}: ${res.status} ${errorText(Buffer.from(body).toString('utf8'))}`,
      );
    return decodeInferResponse(body, res.headers.get('inference-header-content-length') ?? undefined);
  }
}

/**
 * A v2 client bound to one server, over HTTP (`http(s)://host:port`) or gRPC (`grpc://host:port`,
 * KServe's `inference.GRPCInferenceService`); every call means the same on both.
 */
export class V2Client implements V2Transport {
  private readonly transport: V2Transport;
  constructor(baseUrl: string, options: V2ClientOptions = {}) {
    this.transport = /^grpc:\/\//i.test(baseUrl)
      ? new V2GrpcTransport(baseUrl, options)
      : new V2HttpTransport(baseUrl, options);
  }
  /** Server liveness. */
  live(): Promise<boolean> {
    return this.transport.live();
  }
  /** Server readiness. */
  ready(): Promise<boolean> {
    return this.transport.ready();
  }
  /** Model readiness. */
  modelReady(name: string): Promise<boolean> {
    return this.transport.modelReady(name);
  }
  /** Server metadata. */
  serverMetadata(): Promise<ServerMetadata> {
    return this.transport.serverMetadata();
  }
  /** Model metadata. */
  modelMetadata(name: string): Promise<ModelMetadata> {
    return this.transport.modelMetadata(name);
  }
  /** Triton model configuration. */
  modelConfig(name: string): Promise<TritonModelConfig> {
    return this.transport.modelConfig(name);
  }
  /** One inference; inputs and outputs travel as binary (raw) data unless told otherwise. */
  infer(
    name: string,
    inputs: Readonly<Record<string, Tensor>>,
    opts: InferOptions = {},
  ): Promise<InferResult> {
    return this.transport.infer(name, inputs, opts);
  }
  /** Closes the transport's connection (gRPC channels keep the process alive until closed). */
  close(): void {
    this.transport.close();
  }
}

function errorText(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: unknown };
    if (typeof v.error === 'string') return v.error;
  } catch {
    // not JSON: show the raw text
  }
  return text.slice(0, 200);
}
