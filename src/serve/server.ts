/**
 * `edgesplit serve` as a library: one {@link ServeCore} (models, batchers, limits, key) with its REST
 * transport and, when asked, its gRPC transport.
 */
import type { InferenceBackend } from '../backend/backend.js';
import { createServeCore, type ServeCore } from './core.js';
import { startGrpcTransport } from './grpc-server.js';
import { startHttpTransport, type ListeningTransport, type RequestLog } from './http-server.js';
import type { ServeLimits } from './protocol.js';
import type { ServedModel } from './served-model.js';

export { SERVER_EXTENSIONS, SERVER_NAME } from './core.js';
export type { RequestLog } from './http-server.js';

/** Options of `startServer`. */
export interface ServeOptions {
  /** ONNX files to serve; each is named by its basename without `.onnx`. */
  readonly models: readonly string[];
  readonly backend: InferenceBackend;
  /** Default 127.0.0.1 (both transports). */
  readonly host?: string;
  /** HTTP port, default 8000; 0 picks a free port. */
  readonly port?: number;
  /** gRPC port; omitted = no gRPC transport; 0 picks a free port. */
  readonly grpcPort?: number;
  readonly limits?: Partial<ServeLimits>;
  /** Dynamic batching delay in ms (default 2). */
  readonly maxDelayMs?: number;
  /** Pre-shared key; when set every endpoint except the two server health probes needs it. */
  readonly key?: string;
  /** HTTP: 408 when a body has not fully arrived this long after its headers (default 10,000 ms). */
  readonly bodyTimeoutMs?: number;
  /** HTTP: largest request head; larger ones get 431 (default 16 KiB). */
  readonly maxHeaderBytes?: number;
  /** Worker threads parsing large JSON bodies (default: cores - 1, at least 1). */
  readonly parseWorkers?: number;
  /** Called once per request after the response is sent. */
  readonly onRequest?: (log: RequestLog) => void;
}

/** A running v2 server. */
export interface V2Server {
  /** Base URL of the REST transport, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** `grpc://host:port` of the gRPC transport, when started. */
  readonly grpcUrl?: string;
  readonly models: ReadonlyMap<string, ServedModel>;
  readonly core: ServeCore;
  /** Stops accepting connections, waits for in-flight requests, frees the sessions. */
  close(): Promise<void>;
}

/** Loads the models and starts listening; resolves once the ports are bound. */
export async function startServer(opts: ServeOptions): Promise<V2Server> {
  const core = await createServeCore(opts);
  const transports: ListeningTransport[] = [];
  try {
    const http = await startHttpTransport(core, opts);
    transports.push(http);
    const grpc =
      opts.grpcPort === undefined
        ? undefined
        : await startGrpcTransport(core, { host: opts.host, port: opts.grpcPort, onRequest: opts.onRequest });
    if (grpc) transports.push(grpc);
    return {
      url: http.url,
      ...(grpc ? { grpcUrl: grpc.url } : {}),
      models: core.models,
      core,
      async close() {
        await Promise.all(transports.map((t) => t.close()));
        await core.close();
      },
    };
  } catch (err) {
    await Promise.all(transports.map((t) => t.close()));
    await core.close();
    throw err;
  }
}
