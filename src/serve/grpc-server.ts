/**
 * The gRPC transport of `edgesplit serve`: KServe's `inference.GRPCInferenceService` (ServerLive,
 * ServerReady, ModelReady, ServerMetadata, ModelMetadata, ModelInfer) and Triton's ModelConfig with
 * @grpc/grpc-js, on the shared {@link ServeCore}: same batcher, limits, key (metadata
 * `authorization: Bearer <key>` or the HMAC headers over the serialized request) and error mapping.
 */
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type Metadata,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { EdgesplitError } from '../core/errors.js';
import type { ServeCore } from './core.js';
import type { RequestLog, ListeningTransport } from './http-server.js';
import { GRPC_SERVICE, grpcCodeOf, inferenceService } from './grpc-proto.js';
import { answerError, ProtocolError } from './protocol-error.js';
import { outputBytes, outputMeta, validateInferRequest, type ResponseOutput } from './protocol.js';

/** Options of the gRPC transport. */
export interface GrpcTransportOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly onRequest?: (log: RequestLog) => void;
}

type Msg = Record<string, unknown>;
interface Param {
  parameter_choice?: string;
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
}
interface Contents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: string[];
  uint_contents?: number[];
  uint64_contents?: string[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}
interface InputTensor {
  name: string;
  datatype: string;
  shape: string[];
  parameters: Record<string, Param>;
  contents: Contents | null;
}

const RAW = Symbol('raw request bytes');

function plainParams(p: Record<string, Param> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p ?? {})) {
    if (v.parameter_choice === 'bool_param') out[k] = v.bool_param;
    else if (v.parameter_choice === 'int64_param') out[k] = Number(v.int64_param);
    else if (v.parameter_choice === 'string_param') out[k] = v.string_param;
  }
  return out;
}

function contentsOf(datatype: string, c: Contents | null): unknown[] {
  if (!c) return [];
  switch (datatype) {
    case 'BOOL':
      return c.bool_contents ?? [];
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return c.int_contents ?? [];
    case 'INT64':
      return (c.int64_contents ?? []).map(Number);
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return c.uint_contents ?? [];
    case 'UINT64':
      return (c.uint64_contents ?? []).map(Number);
    case 'FP32':
      return c.fp32_contents ?? [];
    case 'FP64':
      return c.fp64_contents ?? [];
    default:
      return [];
  }
}

function hasContents(c: Contents | null): boolean {
  return c !== null && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);
}

/** A ModelInferRequest in the JSON form's structure, raw contents becoming the binary part. */
export function jsonFormOf(msg: Msg): { req: Msg; binary: Uint8Array } {
  const inputs = (msg.inputs as InputTensor[]) ?? [];
  const raw = (msg.raw_input_contents as Uint8Array[]) ?? [];
  if (raw.length > 0 && raw.length !== inputs.length)
    throw new ProtocolError(400, `raw_input_contents has ${raw.length} entries for ${inputs.length} inputs`);
  const entries = inputs.map((t, i) => {
    const parameters = plainParams(t.parameters);
    delete parameters.binary_data_size;
    const base = { name: t.name, datatype: t.datatype, shape: (t.shape ?? []).map(Number) };
    if (raw.length === 0) return { ...base, parameters, data: contentsOf(t.datatype, t.contents) };
    if (hasContents(t.contents))
      throw new ProtocolError(400, `input '${t.name}': both contents and raw_input_contents given`);
    return { ...base, parameters: { ...parameters, binary_data_size: raw[i].length } };
  });
  const outputs = (msg.outputs as { name: string; parameters: Record<string, Param> }[]) ?? [];
  return {
    req: {
      ...(msg.id ? { id: msg.id } : {}),
      inputs: entries,
      ...(outputs.length > 0
        ? { outputs: outputs.map((o) => ({ name: o.name, parameters: plainParams(o.parameters) })) }
        : {}),
    },
    binary: Buffer.concat(raw),
  };
}

function inferResponse(model: string, id: unknown, outputs: readonly ResponseOutput[]): Msg {
  return {
    model_name: model,
    model_version: '1',
    id: typeof id === 'string' ? id : '',
    outputs: outputs.map((o) => ({ ...outputMeta(o), parameters: {} })),
    raw_output_contents: outputs.map((o) => Buffer.from(outputBytes(o))),
  };
}

/** The service definition with each request's serialized bytes kept (the HMAC signs them). */
function keepingRawBytes(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m,
      requestDeserialize: (buf: Buffer) => {
        const msg = m.requestDeserialize(buf) as Msg;
        Object.defineProperty(msg, RAW, { value: buf });
        return msg;
      },
    };
  }
  return out as ServiceDefinition;
}

function headersOf(md: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap())) out[k] = typeof v === 'string' ? v : v.toString('utf8');
  return out;
}

/** Starts the gRPC transport of a core; resolves once the port is bound. */
export async function startGrpcTransport(
  core: ServeCore,
  opts: GrpcTransportOptions,
): Promise<ListeningTransport> {
  const server = new Server({
    'grpc.max_receive_message_length': core.limits.maxBodyBytes,
    'grpc.max_send_message_length': -1,
  });
  const unary =
    (rpc: string, open: boolean, handle: (req: Msg) => Msg | Promise<Msg>) =>
    (call: ServerUnaryCall<Msg, Msg>, callback: sendUnaryData<Msg>) => {
      const t0 = performance.now();
      const path = `/${GRPC_SERVICE}/${rpc}`;
      const raw = ((call.request as unknown as Record<symbol, Buffer>)[RAW] ?? Buffer.alloc(0)) as Buffer;
      const log = (status: number, error?: string) =>
        opts.onRequest?.({
          method: 'RPC',
          path,
          status,
          ms: performance.now() - t0,
          bytesIn: raw.length,
          // grpc-js serializes the reply after the handler; its size is not known here
          bytesOut: 0,
          error,
          transport: 'grpc',
          grpcStatus: GrpcStatus[status === 200 ? GrpcStatus.OK : grpcCodeOf(status)],
        });
      (async () => {
        if (!open) core.authorize('POST', path, headersOf(call.metadata), raw);
        return handle(call.request);
      })().then(
        (res) => {
          callback(null, res);
          log(200);
        },
        (err: unknown) => {
          const a = answerError(err);
          callback({ code: grpcCodeOf(a.status), details: a.message });
          log(a.status, a.message);
        },
      );
    };
  const handlers: UntypedServiceImplementation = {
    ServerLive: unary('ServerLive', true, () => ({ live: true })),
    ServerReady: unary('ServerReady', true, () => ({ ready: true })),
    ModelReady: unary('ModelReady', false, (r) => {
      core.model(String(r.name), String(r.version ?? ''));
      return { ready: true };
    }),
    ServerMetadata: unary('ServerMetadata', false, () => core.serverMetadata()),
    ModelMetadata: unary('ModelMetadata', false, (r) => {
      const md = core.modelMetadata(core.model(String(r.name), String(r.version ?? '')));
      return { ...md, versions: [...md.versions] };
    }),
    ModelConfig: unary('ModelConfig', false, (r) => ({
      config: core.modelConfig(core.model(String(r.name), String(r.version ?? ''))),
    })),
    ModelInfer: unary('ModelInfer', false, async (r) => {
      const model = core.model(String(r.model_name), String(r.model_version ?? ''));
      const { req, binary } = jsonFormOf(r);
      const parsed = validateInferRequest(req, binary, model.signature, core.limits);
      return inferResponse(model.name, parsed.id, await core.infer(model, parsed));
    }),
  };
  server.addService(keepingRawBytes(inferenceService()), handlers);
  const host = opts.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${opts.port}`,
      ServerCredentials.createInsecure(),
      (err, p) =>
        err
          ? reject(
              new EdgesplitError(
                'E_TRANSPORT',
                `cannot listen (gRPC) on ${host}:${opts.port}: ${err.message}`,
              ),
            )
          : resolve(p),
    ),
  );
  return {
    url: `grpc://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
