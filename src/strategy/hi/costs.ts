/**
 * Per-sample HI costs from the device and link catalogs (seed Tables 3 and 4 are catalog data).
 * Measured numbers take precedence; otherwise the shared cost model's MAC-rate / link-throughput
 * estimate (`src/cost`) is used, and every result says which (`basis`). Pure: takes catalog entries, returns numbers in ms and mJ.
 */
import { EdgesplitError } from '../../core/errors.js';
import type { DeviceSpec, LinkSpec } from '../../catalog/index.js';
import { computeCost, transferCost } from '../../cost/index.js';
import type { CostPoint } from './accounting.js';

/** A cost with how it was obtained. */
export interface SourcedCost extends CostPoint {
  /** `measured: <source>` or `estimate: <how>`. */
  readonly basis: string;
}

/** Work of a model when no measurement exists: MACs and non-MAC ops. */
export interface ModelWork {
  readonly macs: number;
  readonly ops?: number;
}

/**
 * Device cost of running a model: the catalog's measurement for `modelId` when there is one,
 * else MACs / macsPerS with energy from energyPerMacJ (x (1 + memoryOverhead)) or activePowerW x time.
 */
export function deviceInferenceCost(
  device: DeviceSpec,
  modelId: string | undefined,
  work?: ModelWork,
): SourcedCost {
  const m = modelId === undefined ? undefined : device.measured?.find((x) => x.model === modelId);
  if (m) {
    const energyJ =
      m.energyJ ?? (device.activePowerW !== undefined ? device.activePowerW * m.latencyS : undefined);
    if (energyJ === undefined)
      throw new EdgesplitError(
        'E_CATALOG',
        `device ${device.id}: measurement of ${modelId} has no energy and the device no activePowerW`,
      );
    return {
      latencyMs: m.latencyS * 1e3,
      energyMJ: energyJ * 1e3,
      basis: `measured: ${m.source}${m.energyJ === undefined ? ' (energy = activePowerW x latency)' : ''}`,
    };
  }
  if (!work) {
    const known = (device.measured ?? []).map((x) => x.model).join(', ') || 'none';
    throw new EdgesplitError(
      'E_CATALOG',
      `device ${device.id} has no measurement of model '${modelId}' (measured: ${known}) and no MAC count was given`,
    );
  }
  const c = computeCost(device, work.macs, work.ops ?? 0);
  return {
    latencyMs: c.timeS * 1e3,
    energyMJ: c.energyJ * 1e3,
    basis: `estimate: ${work.macs} MACs at ${device.macsPerS} MAC/s on ${device.id}`,
  };
}

/** Time and sending energy of one message of `bytes` payload over a link (packetised at its MTU). */
export function linkTransferCost(link: LinkSpec, bytes: number): SourcedCost {
  if (!(bytes >= 0)) throw new EdgesplitError('E_USAGE', `payload bytes must be >= 0, got ${bytes}`);
  const t = transferCost(link, bytes);
  return {
    latencyMs: t.timeS * 1e3,
    energyMJ: t.energyJ * 1e3,
    basis: `estimate: ${bytes} B in ${t.packets} packet(s) over ${link.id}`,
  };
}

/** Options of `offloadCost`. */
export interface OffloadCostOptions {
  /** Name of a measured payload on the link (e.g. `cifar10-offload-roundtrip`, seed Table 3). */
  readonly payload?: string;
  /** Bytes sent per offloaded sample when no measurement is used. */
  readonly requestBytes?: number;
  /** Bytes of the reply (default 8). */
  readonly replyBytes?: number;
  /** Remote inference time per sample in ms (default 0). */
  readonly serverMs?: number;
  /** Device power while waiting for the server, W (default: the link's txPowerW, else 0). */
  readonly waitPowerW?: number;
}

/**
 * t_off and e_edge_off per offloaded sample: the link's measured round trip for `payload` when the
 * catalog has it, else request + reply transfer estimates plus the server time (during which the
 * device waits at `waitPowerW`).
 */
export function offloadCost(link: LinkSpec, opts: OffloadCostOptions): SourcedCost {
  if (opts.payload !== undefined) {
    const m = link.measured?.find((x) => x.payload === opts.payload);
    if (!m) {
      const known = (link.measured ?? []).map((x) => x.payload).join(', ') || 'none';
      throw new EdgesplitError(
        'E_CATALOG',
        `link ${link.id} has no measurement for payload '${opts.payload}' (measured: ${known})`,
      );
    }
    return { latencyMs: m.latencyS * 1e3, energyMJ: m.energyJ * 1e3, basis: `measured: ${m.source}` };
  }
  if (opts.requestBytes === undefined)
    throw new EdgesplitError('E_USAGE', 'offloadCost needs a measured payload name or requestBytes');
  const up = linkTransferCost(link, opts.requestBytes);
  const down = linkTransferCost(link, opts.replyBytes ?? 8);
  const serverMs = opts.serverMs ?? 0;
  const waitW = opts.waitPowerW ?? link.txPowerW ?? 0;
  return {
    latencyMs: up.latencyMs + down.latencyMs + serverMs,
    energyMJ: up.energyMJ + down.energyMJ + waitW * serverMs,
    basis: `estimate: ${opts.requestBytes} B up, ${opts.replyBytes ?? 8} B down over ${link.id}, server ${serverMs.toFixed(3)} ms`,
  };
}
