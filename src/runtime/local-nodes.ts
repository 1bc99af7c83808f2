/**
 * Local node processes: one `edgesplit node --listen 127.0.0.1:0` per plan device, its address read
 * from the `ready <host:port>` line. Every child is killed when the pool closes, when this process
 * exits, and (through its stdin pipe closing) when this process dies without cleaning up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EdgesplitError } from '../core/errors.js';
import { packageRoot } from '../data/package-root.js';
import type { NodeEndpoint } from './node-link.js';
import type { NodePool } from './node-pool.js';

/** Options of {@link localPool}. */
export interface LocalPoolOptions {
  /** Key file passed to every node (`--key`). */
  readonly keyFile?: string;
  /** Link id passed to every node (`--link`). */
  readonly link?: string;
  /** More `edgesplit node` arguments (device emulation: `--emulate devices --time-scale k`). */
  readonly nodeArgs?: readonly string[];
  /** Forward node stderr lines (prefixed with the device) to this process's stderr. */
  readonly nodeLogs?: boolean;
  /** A node must print its ready line within this time (default 20 s). */
  readonly startTimeoutMs?: number;
  /** The CLI entry to run (default the package's bin/edgesplit.js). */
  readonly binPath?: string;
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

/** Starts nodes as child processes of this one. */
export function localPool(o: LocalPoolOptions = {}): LocalPool {
  installExitHook();
  const bin = o.binPath ?? join(packageRoot(), 'bin', 'edgesplit.js');
  const byDevice = new Map<string, ChildProcess>();
  const mine = new Set<ChildProcess>();

  const startOne = (device: string): Promise<NodeEndpoint> => {
    const args = [
      bin,
      'node',
      '--listen',
      '127.0.0.1:0',
      '--exit-on-stdin-close',
      ...(o.keyFile ? ['--key', o.keyFile] : []),
      ...(o.link ? ['--link', o.link] : []),
      ...(o.nodeArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
