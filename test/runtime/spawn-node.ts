/** Starts `edgesplit node` (built CLI) as a child process for tests and reads its ready line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/edgesplit.js', import.meta.url));

/** A running node process. */
export interface SpawnedNode {
  readonly child: ChildProcess;
  readonly address: string;
  readonly port: number;
  /** stderr lines so far. */
  readonly stderr: string[];
  stop(): Promise<void>;
}

/** Spawns a node with extra CLI args; rejects if it prints no ready line within 20 s. */
export function spawnNode(args: readonly string[] = []): Promise<SpawnedNode> {
  const child = spawn(
    process.execPath,
    [BIN, 'node', '--listen', '127.0.0.1:0', '--exit-on-stdin-close', ...args],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node printed no ready line; stderr: ${stderr.join(' | ')}`));
    }, 20_000);
    child.once('exit', (code) =>
      reject(new Error(`node exited with ${code}; stderr: ${stderr.join(' | ')}`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^ready (\S+):(\d+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, address: `${m[1]}:${m[2]}`, port: Number(m[2]), stderr, stop });
    });
  });
}
