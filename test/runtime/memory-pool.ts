/**
 * Stage nodes in this process over the memory transport, as a node pool the coordinator can start,
 * restart and close (runtime unit tests with the fake backend).
 */
import { tmpdir } from 'node:os';
import type { InferenceBackend } from '../../src/backend/backend.js';
import type { NodeEndpoint } from '../../src/runtime/node-link.js';
import type { NodePool } from '../../src/runtime/node-pool.js';
import { startStageNode, type StageNodeHandle } from '../../src/runtime/node.js';
import type { Transport, TransportLogEvent } from '../../src/transport/transport.js';

/** Keyed, as local runs are: nodes take control only from a peer that proved the key. */
export const quiet = { log: (_e: TransportLogEvent) => undefined, key: Buffer.alloc(32, 7) };

/**
 * A pool whose nodes listen on `transport`; `transportOf(device)` may give one device's node its own
 * (e.g. one whose connects fail). A pool that cannot replace nodes acts as a hosts file.
 */
export function memoryPool(
  transport: Transport,
  backend: InferenceBackend,
  canReplace = true,
  transportOf: (device: string) => Transport = () => transport,
): NodePool & { nodes: Map<string, StageNodeHandle> } {
  const nodes = new Map<string, StageNodeHandle>();
  const startOne = async (device: string): Promise<NodeEndpoint> => {
    const h = await startStageNode({
      transport: transportOf(device),
      backend,
      host: 'mem',
      port: 0,
      connection: quiet,
      modelDir: tmpdir(),
      log: () => undefined,
    });
    nodes.set(device, h);
    return { device, address: h.address };
  };
  return {
    kind: canReplace ? 'local' : 'hosts',
    nodes,
    start: (devices) => Promise.all(devices.map(startOne)),
    ...(canReplace ? { replace: startOne } : {}),
    async close() {
      await Promise.all([...nodes.values()].map((h) => h.close()));
    },
  };
}
