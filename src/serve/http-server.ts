/**
 * The REST transport of `edgesplit serve`: KServe / Triton Open Inference Protocol v2 over HTTP
 * (node:http) with Triton's binary tensor, classification and model-configuration extensions and
 * compressed request bodies, on the shared {@link ServeCore}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { EdgesplitError } from '../core/errors.js';
import type { ServeCore } from './core.js';
import { scanJsonLimits } from './json-guard.js';
import { ProtocolError, answerError } from './protocol-error.js';
import { encodeError, encodeInferResponse, splitBody } from './protocol.js';

/** One handled request, for logs. */
export interface RequestLog {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly error?: string;
  /** 'grpc' for calls of the gRPC transport (path is then the RPC's, status its HTTP equivalent). */
  readonly transport?: 'http' | 'grpc';
  /** gRPC status code name of a gRPC call (OK, NOT_FOUND, ...). */
  readonly grpcStatus?: string;
}

/** Options of the HTTP transport. */
export interface HttpTransportOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8000; 0 picks a free port. */
  readonly port?: number;
  /** A request whose body has not fully arrived this long after its headers gets 408 (default 10,000 ms). */
  readonly bodyTimeoutMs?: number;
  /** Largest request head (request line and headers); larger ones get 431 (default 16 KiB). */
  readonly maxHeaderBytes?: number;
  readonly onRequest?: (log: RequestLog) => void;
}

/** A listening transport. */
export interface ListeningTransport {
  readonly url: string;
  close(): Promise<void>;
}

/** Default `bodyTimeoutMs`. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** Default `maxHeaderBytes`. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/config)?$/;
const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

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

/** Bytes of a body's start checked while it is still arriving. */
const PREFIX_BYTES = 64 * 1024;

/**
 * Reads a body up to `max` bytes within `timeoutMs`: 413 beyond the size (Content-Length checked
 * first), 408 past the time. `checkPrefix` sees the first {@link PREFIX_BYTES} (or the whole body if
 * shorter) as soon as they arrived; what it throws answers the request, the rest of the body (within
 * `max`) being drained unbuffered first so that the client, still writing, can read the answer.
 */
function readBody(
  req: IncomingMessage,
  max: number,
  timeoutMs: number,
  checkPrefix?: (prefix: Buffer) => void,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      reject(new ProtocolError(413, `body of ${declared} bytes exceeds the limit of ${max}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let checked = checkPrefix === undefined;
    let refused: ProtocolError | undefined;
    const check = (): void => {
      if (checked) return;
      checked = true;
      try {
        checkPrefix!(Buffer.concat(chunks).subarray(0, PREFIX_BYTES));
      } catch (err) {
        refused = err instanceof ProtocolError ? err : new ProtocolError(400, String(err));
        chunks.length = 0;
      }
    };
    const finish = (err?: ProtocolError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(
      () =>
        finish(
          new ProtocolError(
            408,
            `body not complete after ${timeoutMs} ms (${size} of ${declared ?? 'unknown'} bytes arrived)`,
          ),
        ),
      timeoutMs,
    );
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) finish(new ProtocolError(413, `body exceeds the limit of ${max} bytes`));
      else if (!refused) {
        chunks.push(c);
        if (size >= PREFIX_BYTES) check();
      }
    });
    req.on('end', () => {
      check();
      finish(refused);
    });
    req.on('error', (err) => finish(new ProtocolError(400, `body could not be read: ${err.message}`)));
  });
}

/** Decodes `Content-Encoding: gzip | deflate` with the decoded size bounded by `max` (a bomb gets 413). */
async function decodeBody(req: IncomingMessage, body: Buffer, max: number): Promise<Buffer> {
  const enc = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return body;
  if (enc !== 'gzip' && enc !== 'deflate')
    throw new ProtocolError(415, `Content-Encoding '${enc}' is not supported; use gzip, deflate or identity`);
  try {
    return await (enc === 'gzip' ? gunzipAsync : inflateAsync)(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ProtocolError(413, `${enc} body decodes to more than the limit of ${max} bytes`);
    throw new ProtocolError(400, `${enc} body could not be decoded: ${(err as Error).message}`);
  }
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

/**
 * For an uncompressed body, the JSON limits checked on its first bytes while it arrives (a nesting
 * bomb is refused after 64 KiB, not 16 MB); only the JSON part counts when binary data follows.
 */
function jsonPrefixCheck(req: IncomingMessage, core: ServeCore): ((prefix: Buffer) => void) | undefined {
  const enc = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (enc !== 'identity' && enc !== '') return undefined;
  const h = req.headers['inference-header-content-length'];
  const jsonBytes = Number(Array.isArray(h) ? h[0] : (h ?? Infinity));
  return (prefix) => {
    if (Number.isFinite(jsonBytes) || h === undefined)
      scanJsonLimits(
        prefix.subarray(0, Math.min(prefix.length, jsonBytes)),
        core.limits,
        'inference request',
      );
  };
}

async function route(
  req: IncomingMessage,
  path: string,
  core: ServeCore,
  bodyTimeoutMs: number,
): Promise<Reply> {
  const method = req.method ?? 'GET';
  const isPost = path.endsWith('/infer') && method === 'POST';
  const raw = isPost
    ? await readBody(req, core.limits.maxBodyBytes, bodyTimeoutMs, jsonPrefixCheck(req, core))
    : Buffer.alloc(0);
  if (path === '/v2/health/live' || path === '/v2/health/ready') {
    if (method !== 'GET' && method !== 'HEAD')
      return fail(405, `${method} is not allowed on ${path}`, { Allow: 'GET' });
    return json(200, path.endsWith('live') ? { live: true } : { ready: true });
  }
  core.authorize(method, req.url ?? path, req.headers, raw);
  if (path === '/v2' || path === '/v2/') {
    if (method !== 'GET') return fail(405, `${method} is not allowed on ${path}`, { Allow: 'GET' });
    return json(200, core.serverMetadata());
  }
  const m = MODEL_ROUTE.exec(path);
  if (!m) return fail(404, `no such endpoint: ${path}`);
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    return fail(400, `model name in ${path} is not valid URL encoding`);
  }
  const model = core.model(name, m[2]);
  const action = m[3];
  if (action === '/infer') {
    if (method !== 'POST')
      return fail(405, `${method} is not allowed on ${path}; use POST`, { Allow: 'POST' });
    checkContentType(req);
    const body = await decodeBody(req, raw, core.limits.maxBodyBytes);
    const headerLength = req.headers['inference-header-content-length'];
    const parts = splitBody(body, Array.isArray(headerLength) ? headerLength[0] : headerLength);
    const parsed = await core.parser.parse(parts.json, parts.binary, model.signature, core.limits);
    const enc = encodeInferResponse(model.name, parsed.id, await core.infer(model, parsed));
    const headers: Record<string, string> = {};
    if (enc.headerLength !== undefined) headers['Inference-Header-Content-Length'] = String(enc.headerLength);
    return { status: 200, body: enc.body, contentType: enc.contentType, headers };
  }
  if (method !== 'GET') return fail(405, `${method} is not allowed on ${path}`, { Allow: 'GET' });
  if (action === '/ready') return json(200, { name: model.name, ready: true });
  if (action === '/config') return json(200, core.modelConfig(model));
  return json(200, core.modelMetadata(model));
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

function rawReply(status: string, message: string): string {
  const body = JSON.stringify({ error: message });
  return `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

/** Starts the HTTP transport of a core; resolves once the port is bound. */
export async function startHttpTransport(
  core: ServeCore,
  opts: HttpTransportOptions,
): Promise<ListeningTransport> {
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const server: Server = createServer({ maxHeaderSize: maxHeaderBytes }, (req, res) => {
    const t0 = performance.now();
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      path = req.url ?? '/';
    }
    route(req, path, core, bodyTimeoutMs)
      .catch((err: unknown): Reply => {
        const a = answerError(err);
        return fail(a.status, a.message, a.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : undefined);
      })
      .then((reply) => {
        // a request answered before its body was read must not leave a half-read keep-alive socket
        if (!req.complete) reply.headers = { ...(reply.headers ?? {}), Connection: 'close' };
        const bytesOut = send(res, reply);
        opts.onRequest?.({
          method: req.method ?? '?',
          path,
          status: reply.status,
          ms: performance.now() - t0,
          bytesIn: Number(req.headers['content-length'] ?? 0),
          bytesOut,
          error: reply.error,
          transport: 'http',
        });
      })
      .catch(() => res.destroy());
  });
  // the body timer answers 408 itself; Node's own request timeout is only the backstop
  server.requestTimeout = bodyTimeoutMs + 5_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW')
      socket.end(
        rawReply('431 Request Header Fields Too Large', `request headers exceed ${maxHeaderBytes} bytes`),
      );
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      socket.end(rawReply('408 Request Timeout', 'request did not arrive in time'));
    else socket.end(rawReply('400 Bad Request', 'malformed HTTP request'));
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
