/**
 * The one owner of a stage node's process: what `edgesplit node` runs in the foreground (ready line,
 * signals, exit when stdin closes) and how `edgesplit run` starts local nodes (a child process of
 * this package's `node-main` entry, not the CLI). Both take the same {@link NodeProcessOptions}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { onnxruntimeBackend } from '../backend/onnxruntime/onnxruntime-backend.js';
import { loadLinkCatalog } from '../catalog/index.js';
import { errorMessage } from '../core/errors.js';
import { packageRoot } from '../data/package-root.js';
import { UsageError } from '../core/errors.js';
import { loadKeyFile, loadKeyFromEnv } from '../transport/auth/key-file.js';
import { stderrLog } from '../transport/connection-impl.js';
import { rateLimitedLog } from '../transport/log-limit.js';
import { tcpTransport } from '../transport/tcp/tcp-transport.js';
import { parseAddress } from './address.js';
import { nodeEmulation, type EmulationMode } from './device-emulation.js';
import { checkListenPolicy } from './listen-policy.js';
import { startStageNode } from './node.js';

/** How a node process is configured (CLI flags of `edgesplit node`, or a local pool's choice). */
export interface NodeProcessOptions {
  /** host:port to listen on (port 0 picks a free one). */
  readonly listen: string;
  /** Pre-shared key file. */
  readonly keyFile?: string;
  /** Name of an environment variable holding the key as hex (never the key itself: argv is public). */
  readonly keyEnv?: string;
  /** The only directory `assign.modelFile` paths may point into (absent: paths from the wire are never read). */
  readonly modelDir?: string;
  /** Accept control without a key and allow a keyless non-loopback listen (warned about). */
  readonly insecure?: boolean;
  /** Catalog link emulated on stage-to-stage traffic ("none" or absent: real sockets). */
  readonly link?: string;
  /** Extra link catalog files the link id is looked up in (besides the built-in catalog). */
  readonly linkCatalogFiles?: readonly string[];
  /** `--emulate` (default links: the link only, no compute pacing). */
  readonly emulate?: EmulationMode;
  /** `--time-scale`: deployment time runs this many times faster (default 1). */
  readonly timeScale?: number;
  /** Exit when stdin closes (local nodes never outlive their coordinator). */
  readonly exitOnStdinClose?: boolean;
  /** Print the ready line as JSON instead of `ready <host:port>`. */
  readonly json?: boolean;
}

/** Runs a node in this process until it is shut down, signalled or (optionally) its stdin closes. */
export async function runNodeProcess(o: NodeProcessOptions): Promise<void> {
  const { host, port } = parseAddress(o.listen, '--listen');
  if (o.keyFile && o.keyEnv) throw new UsageError('give --key or --key-env, not both');
  const key = o.keyFile ? loadKeyFile(o.keyFile) : o.keyEnv ? loadKeyFromEnv(o.keyEnv) : undefined;
  const warning = checkListenPolicy({ host, port, keyed: !!key, insecure: !!o.insecure });
  if (warning) process.stderr.write(`edgesplit node: ${warning}\n`);
  const link = o.link ?? 'none';
  const emulation = nodeEmulation({
    mode: o.emulate ?? 'links',
    link,
    timeScale: o.timeScale ?? 1,
    links: loadLinkCatalog(o.linkCatalogFiles ?? []),
  });
  const wrap = emulation.linkWrap;
  const refusals = rateLimitedLog(stderrLog);
  const handle = await startStageNode({
    transport: tcpTransport,
    backend: onnxruntimeBackend,
    host,
    port,
    connection: { ...(key ? { key } : {}), log: refusals },
    ...(o.modelDir ? { modelDir: o.modelDir } : {}),
    ...(o.insecure ? { insecure: true } : {}),
    ...(wrap ? { linkWrap: wrap } : {}),
    linkId: o.emulate === 'none' ? 'none' : link,
    pacer: emulation.pacer,
    onShutdown: () => {
      refusals.flush();
      process.exit(0);
    },
  });
  if (o.json)
    process.stdout.write(
      `${JSON.stringify({ ready: handle.address, pid: process.pid, authenticated: !!key, link })}\n`,
    );
  else process.stdout.write(`ready ${handle.address}\n`);
  const peers =
    handle.peerAddress !== handle.address
      ? `, stage-to-stage traffic on ${handle.peerAddress} over emulated ${link}`
      : '';
  process.stderr.write(
    `edgesplit node: listening on ${handle.address}${peers}${key ? ' (pre-shared key required, encrypted)' : ''}, pid ${process.pid}; ${emulation.description}\n`,
  );
  const stop = (why: string) => {
    refusals.flush();
    process.stderr.write(`edgesplit node: ${why}; stopping\n`);
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`edgesplit node: ${errorMessage(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (o.exitOnStdinClose) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin error'));
    process.stdin.resume();
  }
  await new Promise<never>(() => undefined);
}

/**
 * V8 flags of a node process. A stage node's garbage is mostly tensor buffers (ArrayBuffers, outside
 * the JS heap) held by few small objects. A 1 MiB semi-space keeps minor GCs frequent enough to free
 * them young (at batch 1 a grown young generation had let them pile up and start 17-60 full GCs per
 * node). At the automatic batch (frames of ~1 MB) V8's small starting old-generation limit still
 * started 23-46 full GCs per node in a 6,000-sample run of the zoo's `local` plan, their concurrent
 * marking ~30% of each node's CPU; a 64 MiB starting limit leaves 0-1 with the same peak RSS
 * (docs/runtime-performance.md, "Full GCs and the young generation").
 */
export const NODE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--initial-old-space-size=64'];

/** The script a spawned node process runs (built output; it takes the options as one JSON argument). */
export function nodeMainPath(): string {
  return join(packageRoot(), 'dist', 'runtime', 'node-main.js');
}

/**
 * Spawns a node process with piped stdio (stdin open, so closing it stops the node). `env` adds
 * variables to the child's environment (how a key named by `keyEnv` reaches it without argv).
 */
export function spawnNodeProcess(
  o: NodeProcessOptions,
  mainPath = nodeMainPath(),
  env?: Readonly<Record<string, string>>,
): ChildProcess {
  return spawn(process.execPath, [...NODE_V8_FLAGS, mainPath, JSON.stringify(o)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
}
