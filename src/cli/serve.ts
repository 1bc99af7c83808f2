import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EdgesplitError, UsageError, errorMessage } from '../core/errors.js';
import { onnxruntimeBackend } from '../backend/onnxruntime/onnxruntime-backend.js';
import { startServer, type RequestLog, type V2Server } from '../serve/server.js';
import { fmtBytes, fmtInt, formatTable, printJson } from './output.js';
import { MAX_TIMER_MS, parsePositiveInt } from './options.js';

interface ServeCliOptions {
  host: string;
  port: string;
  maxBatch: string;
  maxDelayMs: string;
  maxBodyBytes: string;
  grpcPort?: string;
  bodyTimeout: string;
  maxHeaderBytes: string;
  parseWorkers?: string;
  key?: string;
  quiet?: boolean;
  json?: boolean;
}

/** Reads a pre-shared key file (trimmed); refuses empty or short keys. */
export function readKeyFile(path: string): string {
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new EdgesplitError('E_IO', `cannot read key file ${path}: ${errorMessage(err)}`);
  }
  if (key.length < 16)
    throw new UsageError(`key file ${path} must hold at least 16 characters, has ${key.length}`);
  return key;
}

function nonNegative(flag: string, v: string, max = Infinity, unit = ''): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0, got '${v}'`);
  if (n > max) throw new UsageError(`${flag} must be at most ${max}${unit}, got '${v}'`);
  return n;
}

function logLine(l: RequestLog): string {
  const err = l.error ? `  ${l.error}` : '';
  if (l.transport === 'grpc')
    return `grpc ${l.path.split('/').pop()} ${l.grpcStatus} ${l.ms.toFixed(2)} ms in ${fmtBytes(l.bytesIn)}${err}\n`;
  return `${l.method} ${l.path} ${l.status} ${l.ms.toFixed(2)} ms in ${fmtBytes(l.bytesIn)} out ${fmtBytes(l.bytesOut)}${err}\n`;
}

function portOf(flag: string, v: string): number {
  const port = Number(v);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${flag} must be 0..65535, got '${v}'`);
  return port;
}

function summary(server: V2Server): string {
  const rows = [...server.models.values()].map((m) => [
    m.name,
    fmtInt(m.stats.requests),
    fmtInt(m.stats.samples),
    fmtInt(m.stats.runs),
    fmtInt(m.stats.maxRunBatch),
  ]);
  return formatTable(['model', 'requests', 'samples', 'onnxruntime runs', 'largest batch'], rows);
}

/** `edgesplit serve`: KServe / Triton v2 HTTP inference server for ONNX models. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve ONNX models over the KServe / Triton Open Inference Protocol v2 (HTTP, JSON + binary tensors, dynamic batching)',
    )
    .argument('<models...>', 'ONNX files; each is served under its basename without .onnx')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 = any free port)', '8000')
    .option('--max-batch <n>', 'most samples merged into one onnxruntime run, and per request', '64')
    .option('--max-delay-ms <ms>', 'how long a request waits for others to batch with', '2')
    .option(
      '--max-body-bytes <n>',
      'largest request body (also after gzip/deflate decoding, and per gRPC message)',
      String(16 * 1024 * 1024),
    )
    .option(
      '--grpc-port <port>',
      "also serve KServe's gRPC inference.GRPCInferenceService on this port (0 = any free port)",
    )
    .option(
      '--body-timeout <s>',
      'answer 408 when a request body has not fully arrived this many seconds after its headers',
      '10',
    )
    .option(
      '--parse-workers <n>',
      'worker threads parsing JSON bodies of 64 KiB or more off the event loop (default: cores - 1; 0 = parse on the event loop)',
    )
    .option('--max-header-bytes <n>', 'largest HTTP request head; larger ones get 431', String(16 * 1024))
    .option(
      '--key <file>',
      'pre-shared key file: requests need "Authorization: Bearer <key>" or an HMAC signature',
    )
    .option('--quiet', 'do not log each request')
    .option('--json', 'print the listening URL and models as JSON')
    .action(async (models: string[], opts: ServeCliOptions) => {
      const bodyTimeoutS = nonNegative(
        '--body-timeout',
        opts.bodyTimeout,
        Math.floor(MAX_TIMER_MS / 1000),
        ' s',
      );
      if (bodyTimeoutS === 0) throw new UsageError('--body-timeout must be > 0 seconds');
      const server = await startServer({
        models,
        backend: onnxruntimeBackend,
        host: opts.host,
        port: portOf('--port', opts.port),
        ...(opts.grpcPort !== undefined ? { grpcPort: portOf('--grpc-port', opts.grpcPort) } : {}),
        bodyTimeoutMs: bodyTimeoutS * 1000,
        maxHeaderBytes: parsePositiveInt('--max-header-bytes', opts.maxHeaderBytes),
        ...(opts.parseWorkers !== undefined
          ? { parseWorkers: Math.floor(nonNegative('--parse-workers', opts.parseWorkers)) }
          : {}),
        maxDelayMs: nonNegative('--max-delay-ms', opts.maxDelayMs, MAX_TIMER_MS, ' ms'),
        limits: {
          maxBatch: parsePositiveInt('--max-batch', opts.maxBatch),
          maxBodyBytes: parsePositiveInt('--max-body-bytes', opts.maxBodyBytes),
        },
        key: opts.key ? readKeyFile(opts.key) : undefined,
        onRequest: opts.quiet ? undefined : (l) => process.stderr.write(logLine(l)),
      });
      const list = [...server.models.values()];
      if (opts.json) {
        printJson({
          url: server.url,
          ...(server.grpcUrl ? { grpcUrl: server.grpcUrl } : {}),
          auth: opts.key ? 'key' : 'none',
          models: list.map((m) => ({
            name: m.name,
            path: m.path,
            batched: m.batched,
            inputs: m.signature.inputs,
            outputs: m.signature.outputs,
          })),
        });
      } else {
        process.stdout.write(
          `edgesplit serve: listening on ${server.url}${server.grpcUrl ? ` and ${server.grpcUrl} (gRPC)` : ''}${opts.key ? ' (key required)' : ''}\n`,
        );
        const shape = (ts: readonly { name: string; datatype: string; shape: readonly number[] }[]) =>
          ts.map((t) => `${t.name} ${t.datatype}[${t.shape.join(',')}]`).join(', ');
        process.stdout.write(
          `${formatTable(
            ['model', 'inputs', 'outputs', 'batching', 'infer URL'],
            list.map((m) => [
              m.name,
              shape(m.signature.inputs),
              shape(m.signature.outputs),
              m.batched ? 'dynamic' : 'off',
              `${server.url}/v2/models/${m.name}/infer`,
            ]),
          )}\n`,
        );
      }
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stderr.write(`edgesplit serve: ${sig}, shutting down\n`);
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve();
        };
        const onInt = () => stop('SIGINT');
        const onTerm = () => stop('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
      await server.close();
      process.stderr.write(`${summary(server)}\n`);
    });
}
