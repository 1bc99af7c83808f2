/**
 * Local node processes: one node process (see `node-process.ts`) listening on 127.0.0.1:0 per plan
 * device, its address read from the `ready <host:port>` line. Every child is killed when the pool closes, when this process
 * exits, and (through its stdin pipe closing) when this process dies without cleaning up.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EdgesplitError } from '../core/errors.js';
import type { EmulationMode } from './device-emulation.js';
import type { NodeEndpoint } from './node-link.js';
import type { NodePool } from './node-pool.js';
import { spawnNodeProcess } from './node-process.js';

/** Options of {@link localPool}. */
export interface LocalPoolOptions {
  /** Key file passed to every node (`--key`). */
  readonly keyFile?: string;
  /** Key passed to every node privately, in its environment (`--key-env`), never in argv; wins over keyFile. */
  readonly key?: Uint8Array;
  /** The plan directory: the only place nodes read stage model files from (`--model-dir`). */
  readonly modelDir?: string;
  /** Link id passed to every node (`--link`). */
  readonly link?: string;
  /** Extra link catalog files the nodes look the link up in. */
  readonly linkCatalogFiles?: readonly string[];
  /** Device emulation of every node (`--emulate`, `--time-scale`). */
  readonly emulation?: { readonly emulate: EmulationMode; readonly timeScale: number };
  /** Forward node stderr lines (prefixed with the device) to this process's stderr. */
  readonly nodeLogs?: boolean;
  /** A node must print its ready line within this time (default 20 s). */
  readonly startTimeoutMs?: number;
  /** The node entry script to run (default the package's built `node-main`). */
  readonly mainPath?: string;
}

/** A pool of local node processes; `pid(device)` exposes the current process of a device (for tests and kill -9 drills). */
export interface LocalPool extends NodePool {
  pid(device: string): number | undefined;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** Environment variable that carries the key to local nodes. */
export const NODE_KEY_ENV = 'EDGESPLIT_NODE_KEY';

/** Starts nodes as child processes of this one. */
export function localPool(o: LocalPoolOptions = {}): LocalPool {
  installExitHook();
  const byDevice = new Map<string, ChildProcess>();
  const mine = new Set<ChildProcess>();

  const startOne = (device: string): Promise<NodeEndpoint> => {
    const child = spawnNodeProcess(
      {
        listen: '127.0.0.1:0',
        exitOnStdinClose: true,
        ...(o.key ? { keyEnv: NODE_KEY_ENV } : o.keyFile ? { keyFile: o.keyFile } : {}),
        ...(o.modelDir ? { modelDir: o.modelDir } : {}),
        ...(o.link ? { link: o.link } : {}),
        ...(o.linkCatalogFiles?.length ? { linkCatalogFiles: o.linkCatalogFiles } : {}),
        ...(o.emulation ?? {}),
      },
      o.mainPath,
      o.key ? { [NODE_KEY_ENV]: Buffer.from(o.key).toString('hex') } : undefined,
    );
    live.add(child);
    mine.add(child);
    byDevice.set(device, child);
    const tail: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (o.nodeLogs) process.stderr.write(`[${device}] ${line}\n`);
    });
    child.on('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(
          new EdgesplitError(
            'E_TRANSPORT',
            `node for device ${device} ${why}${tail.length ? `; its stderr: ${tail.slice(-5).join(' | ')}` : ''}`,
          ),
        );
      };
      const timer = setTimeout(
        () => fail(`printed no ready line within ${o.startTimeoutMs ?? 20_000} ms`),
        o.startTimeoutMs ?? 20_000,
      );
      child.once('error', (err) => fail(`could not start: ${err.message}`));
      child.once('exit', (code, signal) =>
        fail(`exited before it was ready (code ${code}, signal ${signal})`),
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^ready (\S+)$/.exec(line.trim());
        if (!m) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.on('exit', () => live.delete(child));
        resolve({ device, address: m[1], pid: child.pid });
      });
    });
  };

  return {
    kind: 'local',
    pid: (device) => byDevice.get(device)?.pid,
    start: (devices) => Promise.all(devices.map(startOne)),
    replace: (device) => startOne(device),
    async close() {
      await Promise.all(
        [...mine].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
              c.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
      mine.clear();
    },
  };
}
