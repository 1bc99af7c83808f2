/**
 * KServe / Triton Open Inference Protocol v2 over HTTP (node:http), with Triton's binary tensor
 * extension, dynamic batching and an optional pre-shared key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { InferenceBackend } from '../backend/backend.js';
import { checkAuth } from './auth.js';
import {
  DEFAULT_LIMITS,
  ProtocolError,
  encodeError,
  encodeInferResponse,
  parseInferRequest,
  splitBody,
  type ServeLimits,
} from './protocol.js';
import { loadServedModels, type ServedModel } from './served-model.js';

/** Server name reported by `GET /v2`. */
export const SERVER_NAME = 'edgesplit';
/** Protocol extensions reported by `GET /v2`. */
export const SERVER_EXTENSIONS = ['binary_tensor_data'];

/** One handled request, for logs. */
export interface RequestLog {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly error?: string;
}

/** Options of `startServer`. */
export interface ServeOptions {
  /** ONNX files to serve; each is named by its basename without `.onnx`. */
  readonly models: readonly string[];
  readonly backend: InferenceBackend;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8000; 0 picks a free port. */
  readonly port?: number;
  readonly limits?: Partial<ServeLimits>;
  /** Dynamic batching delay in ms (default 2). */
  readonly maxDelayMs?: number;
  /** Pre-shared key; when set every endpoint except the two server health probes needs it. */
  readonly key?: string;
  /** Called once per request after the response is sent. */
  readonly onRequest?: (log: RequestLog) => void;
}

/** A running v2 server. */
export interface V2Server {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly models: ReadonlyMap<string, ServedModel>;
  /** Stops accepting connections, waits for in-flight requests, frees the sessions. */
  close(): Promise<void>;
}

const VERSION = '0.1.0';
const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;

interface Reply {
  status: number;
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  error?: string;
}

function json(status: number, value: unknown): Reply {
  return { status, body: Buffer.from(JSON.stringify(value)), contentType: 'application/json' };
}

function fail(status: number, message: string, headers?: Record<string, string>): Reply {
  return { status, body: encodeError(message), contentType: 'application/json', error: message, headers };
}

/** Reads a body up to `max` bytes; rejects with 413 beyond it (checking Content-Length first). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      reject(new ProtocolError(413, `body of ${declared} bytes exceeds the limit of ${max}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        reject(new ProtocolError(413, `body exceeds the limit of ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (err) => {
      if (!done) reject(new ProtocolError(400, `body could not be read: ${err.message}`));
      done = true;
    });
  });
}

function checkContentType(req: IncomingMessage): void {
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (ct !== '' && ct !== 'application/json' && ct !== 'application/octet-stream') {
    throw new ProtocolError(
      415,
      `content type '${ct}' is not supported; use application/json or application/octet-stream`,
    );
  }
}

async function handleInfer(
  model: ServedModel,
  req: IncomingMessage,
  body: Buffer,
  limits: ServeLimits,
): Promise<Reply> {
  checkContentType(req);
  const headerLength = req.headers['inference-header-content-length'];
  const { json: jsonPart, binary } = splitBody(
    body,
    Array.isArray(headerLength) ? headerLength[0] : headerLength,
  );
  const parsed = parseInferRequest(jsonPart, binary, model.signature, limits);
  const out = await model.infer(parsed.feeds, parsed.batch);
  const enc = encodeInferResponse(
    model.name,
    parsed.id,
    parsed.outputs.map((o) => ({ name: o.name, tensor: out[o.name], binary: o.binary })),
  );
  const headers: Record<string, string> = {};
  if (enc.headerLength !== undefined) headers['Inference-Header-Content-Length'] = String(enc.headerLength);
  return { status: 200, body: enc.body, contentType: enc.contentType, headers };
}

function modelMetadata(m: ServedModel): unknown {
  return {
    name: m.name,
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: m.signature.inputs,
    outputs: m.signature.outputs,
  };
}

async function route(
  req: IncomingMessage,
  path: string,
  models: ReadonlyMap<string, ServedModel>,
  opts: ServeOptions,
  limits: ServeLimits,
): Promise<Reply> {
  const method = req.method ?? 'GET';
  const isPost = path.endsWith('/infer');
  const body = isPost && method === 'POST' ? await readBody(req, limits.maxBodyBytes) : Buffer.alloc(0);
  if (path === '/v2/health/live' || path === '/v2/health/ready') {
    if (method !== 'GET' && method !== 'HEAD')
      return fail(405, `${method} is not allowed on ${path}`, { Allow: 'GET' });
    return { status: 200 };
  }
  if (opts.key !== undefined) {
    const why = checkAuth(opts.key, method, req.url ?? path, req.headers, body);
    if (why) return fail(401, `unauthorized: ${why}`, { 'WWW-Authenticate': 'Bearer' });
  }
  if (path === '/v2' || path === '/v2/') {
    if (method !== 'GET') return fail(405, `${method} is not allowed on ${path}`, { Allow: 'GET' });
    return json(200, { name: SERVER_NAME, version: VERSION, extensions: SERVER_EXTENSIONS });
  }
  const m = MODEL_ROUTE.exec(path);
  if (!m) return fail(404, `no such endpoint: ${path}`);
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    return fail(400, `model name in ${path} is not valid URL encoding`);
  }
  const model = models.get(name);
  if (!model) return fail(404, `unknown model '${name}' (serving: ${[...models.keys()].join(', ')})`);
  if (m[2] !== undefined && m[2] !== '1')
    return fail(404, `model '${name}' has no version '${m[2]}' (only '1')`);
  const action = m[3];
  if (action === '/infer') {
    if (method !== 'POST')
      return fail(405, `${method} is not allowed on ${path}; use POST`, { Allow: 'POST' });
    return handleInfer(model, req, body, limits);
  }
  if (method !== 'GET') return fail(405, `${method} is not allowed on ${path}`, { Allow: 'GET' });
  return action === '/ready' ? { status: 200 } : json(200, modelMetadata(model));
}

function send(res: ServerResponse, reply: Reply): number {
  const body = reply.body ?? Buffer.alloc(0);
  const headers: Record<string, string | number> = {
    'Content-Length': body.length,
    ...(reply.headers ?? {}),
  };
  if (reply.contentType) headers['Content-Type'] = reply.contentType;
  res.writeHead(reply.status, headers);
  res.end(body);
  return body.length;
}

/** Loads the models and starts listening; resolves once the port is bound. */
export async function startServer(opts: ServeOptions): Promise<V2Server> {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
  const models = await loadServedModels(opts.models, opts.backend, {
    maxBatch: limits.maxBatch,
    maxDelayMs: opts.maxDelayMs ?? 2,
  });
  const server: Server = createServer((req, res) => {
    const t0 = performance.now();
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      path = req.url ?? '/';
    }
    route(req, path, models, opts, limits)
      .catch((err: unknown): Reply => {
        if (err instanceof ProtocolError) return fail(err.status, err.message);
        if (err instanceof EdgesplitError && err.code === 'E_BACKEND')
          return fail(400, `inference failed: ${err.message}`);
        return fail(500, `internal error: ${errorMessage(err)}`);
      })
      .then((reply) => {
        // a request rejected before its body was read must not leave a half-read keep-alive socket
        if (!req.complete) reply.headers = { ...(reply.headers ?? {}), Connection: 'close' };
        const bytesOut = send(res, reply);
        const bytesIn = Number(req.headers['content-length'] ?? 0);
        opts.onRequest?.({
          method: req.method ?? '?',
          path,
          status: reply.status,
          ms: performance.now() - t0,
          bytesIn,
          bytesOut,
          error: reply.error,
        });
      })
      .catch(() => res.destroy());
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":"malformed HTTP request"}',
      );
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new EdgesplitError(
          'E_TRANSPORT',
          `cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 8000}: ${err.message}`,
        ),
      ),
    );
    server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    models,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      for (const m of models.values()) await m.release();
    },
  };
}
