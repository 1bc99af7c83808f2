/**
 * The operator's setup of issue 10 for tests: plan P (three stages of a small CNN, stages 0 and 1
 * with two replicas each) and one long-running `edgesplit node` process per plan device, listed in a
 * hosts map and file, as `edgesplit run --hosts` reads them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGraph } from '../../src/graph/build.js';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import { writePlanDir } from './plan-fixture.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

/** The built CLI entry. */
export const BIN = fileURLToPath(new URL('../../bin/edgesplit.js', import.meta.url));

/** Plan P on running nodes. */
export interface HostsFixture {
  readonly model: ModelProto;
  readonly plan: RuntimePlan;
  readonly dir: string;
  readonly devices: string[];
  readonly nodes: Map<string, SpawnedNode>;
  /** The pre-shared key every node was started with (keyless nodes obey no coordinator). */
  readonly key: Uint8Array;
  /** The same key as a file, for `edgesplit run --key`. */
  readonly keyFile: string;
  /** Device -> address, as in the hosts file. */
  hosts(): Map<string, string>;
  /** Writes the hosts file and returns its path. */
  hostsFile(): string;
  /** Starts a fresh node for a device (after a kill). */
  restart(device: string, args?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/** Writes plan P and starts its five keyed nodes with `nodeArgs` (per device) after `--key`. */
export async function startHostsFixture(
  nodeArgs: (device: string) => readonly string[] = () => [],
): Promise<HostsFixture> {
  const model = vggSmall({ seed: 10 });
  const n = buildGraph(model).nodes.length;
  const fx = writePlanDir(model, {
    cuts: [Math.floor(n / 3), Math.floor((2 * n) / 3)],
    replicas: [2, 2, 1],
  });
  const plan = loadRuntimePlan(fx.dir);
  const devices = fx.devices.flat();
  const key = randomBytes(32);
  const keyFile = join(fx.dir, 'psk.hex');
  writeFileSync(keyFile, key.toString('hex'), { mode: 0o600 });
  const keyed = (args: readonly string[]) => ['--key', keyFile, ...args];
  const nodes = new Map<string, SpawnedNode>();
  await Promise.all(devices.map(async (d) => nodes.set(d, await spawnNode(keyed(nodeArgs(d))))));
  const hosts = () => new Map(devices.map((d) => [d, nodes.get(d)!.address]));
  return {
    model,
    plan,
    dir: fx.dir,
    devices,
    nodes,
    key,
    keyFile,
    hosts,
    hostsFile() {
      const file = join(fx.dir, 'hosts.json');
      writeFileSync(file, JSON.stringify(Object.fromEntries(hosts())));
      return file;
    },
    async restart(device, args = nodeArgs(device)) {
      nodes.set(device, await spawnNode(keyed(args)));
    },
    async stop() {
      for (const node of nodes.values()) {
        if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGCONT');
      }
      await Promise.all([...nodes.values()].map((node) => node.stop()));
    },
  };
}

/** What a CLI run printed and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI; `onSpawn` sees the child (e.g. to signal a node once it started). */
export function runCli(args: readonly string[], onSpawn?: () => void): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  onSpawn?.();
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}
