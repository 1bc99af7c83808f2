/**
 * Where the coordinator's nodes come from: already-running hosts (a hosts file) or local processes
 * it starts itself (`local-nodes.ts`). Only a pool that can start nodes can replace a dead one.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EdgesplitError, UsageError, errorMessage } from '../core/errors.js';
import { parseAddress } from './address.js';
import type { NodeEndpoint } from './node-link.js';

/** A source of nodes, one per plan device. */
export interface NodePool {
  /** "local" pools start processes; "hosts" pools connect to running nodes. */
  readonly kind: 'local' | 'hosts';
  /** Endpoints for these devices, in the same order. */
  start(devices: readonly string[]): Promise<NodeEndpoint[]>;
  /** A fresh node for a device whose node died; absent when the pool cannot start nodes. */
  readonly replace?: (device: string) => Promise<NodeEndpoint>;
  /** Stops whatever the pool started (never leaves processes behind). */
  close(): Promise<void>;
}

/** A hosts file: plan device name -> host:port of a running `edgesplit node`. */
export const hostsFileSchema = z.record(z.string().min(1), z.string().min(3));

/** Parses a hosts file's JSON; errors name the file and the device. */
export function parseHostsFile(json: unknown, file: string): Map<string, string> {
  const r = hostsFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(
      `${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'} (expected {"<device>": "host:port", ...})`,
    );
  }
  const map = new Map<string, string>();
  const byAddress = new Map<string, string>();
  for (const [device, address] of Object.entries(r.data)) {
    const { host, port } = parseAddress(address, `${file}: device "${device}"`);
    const key = `${host.toLowerCase()}:${port}`;
    const other = byAddress.get(key);
    if (other !== undefined)
      throw new UsageError(
        `${file}: devices "${other}" and "${device}" both have address ${address}; each device needs its own node`,
      );
    byAddress.set(key, device);
    map.set(device, address);
  }
  return map;
}

/** Reads a hosts file. */
export function loadHostsFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EdgesplitError('E_IO', `cannot read hosts file ${file}: ${errorMessage(err)}`);
  }
  try {
    return parseHostsFile(JSON.parse(text), file);
  } catch (err) {
    if (err instanceof EdgesplitError) throw err;
    throw new UsageError(`${file}: not JSON (${errorMessage(err)})`);
  }
}

/** Nodes already running at fixed addresses; a dead node cannot be replaced (replicas still take over). */
export function hostsPool(hosts: ReadonlyMap<string, string>, file = 'hosts'): NodePool {
  return {
    kind: 'hosts',
    async start(devices) {
      return devices.map((device) => {
        const address = hosts.get(device);
        if (!address)
          throw new UsageError(
            `${file}: no address for plan device "${device}" (known: ${[...hosts.keys()].join(', ') || 'none'})`,
          );
        return { device, address };
      });
    },
    async close() {},
  };
}
