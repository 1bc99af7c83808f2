/**
 * The gRPC transport of `V2Client`: KServe's `inference.GRPCInferenceService` with @grpc/grpc-js and
 * the same .proto files the server loads. Inputs go as `raw_input_contents` (or typed `contents`
 * with `binaryInputs: false`); outputs are read from `raw_output_contents` or typed contents.
 * gRPC errors become `V2HttpError`s whose `status` is the HTTP equivalent of the gRPC code.
 */
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { EdgesplitError, UsageError } from '../core/errors.js';
import { DTYPE_BYTES, shapeSize, type Tensor } from '../core/tensor.js';
import { signRequest } from './auth.js';
import {
  V2HttpError,
  type InferOptions,
  type InferResult,
  type ModelMetadata,
  type ServerMetadata,
  type V2ClientOptions,
  type V2Transport,
} from './client-api.js';
import {
  DTYPE_TO_V2,
  V2_TO_DTYPE,
  allocArray,
  arrayFromBytes,
  arrayToJson,
  bytesOfArray,
  type V2Datatype,
} from './datatypes.js';
import { GRPC_SERVICE, httpStatusOf, inferenceService } from './grpc-proto.js';
import type { TritonModelConfig } from './model-config.js';
import { decodeBytesElements } from './protocol.js';

type Msg = Record<string, unknown>;

const CONTENTS_FIELD: Readonly<Partial<Record<V2Datatype, string>>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  FP32: 'fp32_contents',
};

/** `host:port` of a `grpc://host:port[/...]` URL. */
export function grpcTarget(url: string): string {
  const m = /^grpc:\/\/([^/]+)/i.exec(url);
  if (!m) throw new UsageError(`'${url}' is not a grpc://host:port URL`);
  return m[1];
}

function decodeOutputs(res: Msg): Pick<InferResult, 'outputs' | 'strings'> {
  const outs =
    (res.outputs as { name: string; datatype: string; shape: string[]; contents: Msg | null }[]) ?? [];
  const raw = (res.raw_output_contents as Uint8Array[]) ?? [];
  const outputs: Record<string, Tensor> = {};
  const strings: NonNullable<InferResult['strings']> = {};
  outs.forEach((o, i) => {
    const shape = o.shape.map(Number);
    const n = shapeSize(shape);
    if (o.datatype === 'BYTES') {
      const values = raw[i]
        ? decodeBytesElements(raw[i], n, `output '${o.name}'`)
        : ((o.contents?.bytes_contents as Uint8Array[]) ?? []).map((b) => Buffer.from(b).toString('utf8'));
      strings[o.name] = { shape, values };
      return;
    }
    const dtype = V2_TO_DTYPE[o.datatype as V2Datatype];
    if (!dtype)
      throw new EdgesplitError(
        'E_PROTOCOL',
        `output '${o.name}': datatype ${o.datatype} cannot be represented`,
      );
    if (raw[i]) {
      if (raw[i].length !== n * DTYPE_BYTES[dtype])
        throw new EdgesplitError(
          'E_PROTOCOL',
          `output '${o.name}': ${raw[i].length} raw bytes do not fit shape [${shape.join(',')}]`,
        );
      outputs[o.name] = { dtype, dims: shape, data: arrayFromBytes(dtype, raw[i], n) };
      return;
    }
    const field = CONTENTS_FIELD[o.datatype as V2Datatype];
    const values = ((field ? (o.contents?.[field] as unknown[] | undefined) : undefined) ?? []).map(Number);
    if (values.length !== n)
      throw new EdgesplitError(
        'E_PROTOCOL',
        `output '${o.name}': ${values.length} values for shape [${shape.join(',')}]`,
      );
    const data = allocArray(dtype, n);
    values.forEach((v, k) => {
      if (data instanceof BigInt64Array) data[k] = BigInt(v);
      else data[k] = v;
    });
    outputs[o.name] = { dtype, dims: shape, data };
  });
  return { outputs, ...(Object.keys(strings).length > 0 ? { strings } : {}) };
}

/** Builds a ModelInferRequest message for the given tensors. */
export function inferRequestMessage(
  name: string,
  inputs: Readonly<Record<string, Tensor>>,
  opts: InferOptions = {},
): Msg {
  const raw = opts.binaryInputs ?? true;
  const entries = Object.entries(inputs);
  const classification =
    opts.classCount !== undefined ? { classification: { int64_param: String(opts.classCount) } } : {};
  return {
    model_name: name,
    model_version: '',
    id: opts.id ?? '',
    inputs: entries.map(([n, t]) => {
      const datatype = DTYPE_TO_V2[t.dtype];
      const base = { name: n, datatype, shape: t.dims.map(String), parameters: {} };
      if (raw || t.dtype === 'float16') return base;
      const field = CONTENTS_FIELD[datatype]!;
      const values = arrayToJson(t.dtype, t.data);
      return { ...base, contents: { [field]: t.dtype === 'int64' ? values.map(String) : values } };
    }),
    outputs: (opts.outputs ?? []).map((o) => ({ name: o, parameters: classification })),
    raw_input_contents: raw ? entries.map(([, t]) => Buffer.from(bytesOfArray(t.data))) : [],
  };
}

/** A v2 client over gRPC. */
export class V2GrpcTransport implements V2Transport {
  private readonly client: Client;
  constructor(
    url: string,
    private readonly options: V2ClientOptions = {},
  ) {
    this.client = new Client(grpcTarget(url), credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
    });
  }

  private call<T>(rpc: string, request: Msg): Promise<T> {
    const def = inferenceService()[rpc];
    const bytes = def.requestSerialize(request);
    const md = new Metadata();
    const path = `/${GRPC_SERVICE}/${rpc}`;
    if (this.options.key !== undefined) {
      if (this.options.auth === 'hmac')
        for (const [k, v] of Object.entries(signRequest(this.options.key, 'POST', path, bytes))) md.set(k, v);
      else md.set('authorization', `Bearer ${this.options.key}`);
    }
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => def.responseDeserialize(b) as T,
        bytes,
        md,
        { deadline },
        (err: ServiceError | null, res?: T) => {
          if (err) reject(new V2HttpError(httpStatusOf(err.code), `${rpc}: ${err.details || err.message}`));
          else resolve(res as T);
        },
      );
    });
  }

  async live(): Promise<boolean> {
    return (await this.call<{ live: boolean }>('ServerLive', {})).live;
  }
  async ready(): Promise<boolean> {
    return (await this.call<{ ready: boolean }>('ServerReady', {})).ready;
  }
  async modelReady(name: string): Promise<boolean> {
    try {
      return (await this.call<{ ready: boolean }>('ModelReady', { name, version: '' })).ready;
    } catch (err) {
      // the HTTP form answers an unknown model with 404, which reads as "not ready"
      if (err instanceof V2HttpError && err.status === 404) return false;
      throw err;
    }
  }
  serverMetadata(): Promise<ServerMetadata> {
    return this.call('ServerMetadata', {});
  }
  async modelMetadata(name: string): Promise<ModelMetadata> {
    const m = await this.call<
      ModelMetadata & { inputs: { shape: string[] }[]; outputs: { shape: string[] }[] }
    >('ModelMetadata', { name, version: '' });
    const meta = (ts: readonly { name: string; datatype: string; shape: readonly (string | number)[] }[]) =>
      ts.map((t) => ({ name: t.name, datatype: t.datatype as V2Datatype, shape: t.shape.map(Number) }));
    return { ...m, inputs: meta(m.inputs), outputs: meta(m.outputs) };
  }
  async modelConfig(name: string): Promise<TritonModelConfig> {
    const c = (await this.call<{ config: TritonModelConfig }>('ModelConfig', { name, version: '' })).config;
    // int64 fields arrive as decimal strings (PROTO_OPTIONS); the REST form has numbers
    const num = <T extends { dims: readonly (number | string)[] }>(t: T): T => ({
      ...t,
      dims: t.dims.map(Number),
    });
    const db = c.dynamic_batching;
    return {
      ...c,
      input: c.input.map(num),
      output: c.output.map(num),
      ...(db
        ? {
            dynamic_batching: {
              ...db,
              max_queue_delay_microseconds: Number(db.max_queue_delay_microseconds),
            },
          }
        : {}),
    };
  }
  async infer(
    name: string,
    inputs: Readonly<Record<string, Tensor>>,
    opts: InferOptions = {},
  ): Promise<InferResult> {
    if (opts.classCount !== undefined && !opts.outputs)
      throw new UsageError('classCount needs the outputs to classify (InferOptions.outputs)');
    const res = await this.call<Msg>('ModelInfer', inferRequestMessage(name, inputs, opts));
    return {
      modelName: String(res.model_name),
      ...(res.id ? { id: String(res.id) } : {}),
      ...decodeOutputs(res),
    };
  }
  close(): void {
    this.client.close();
  }
}
