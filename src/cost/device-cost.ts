/**
 * Generic pieces of the cost model shared by every strategy: the time and energy of computing on a
 * device and of moving bytes over a link. Pure functions of catalog entries.
 */
import type { DeviceSpec, LinkSpec } from '../catalog/schema.js';

/** Time and energy of one piece of work; `source` says whether a seed measurement or the rate model produced it. */
export interface Cost {
  readonly timeS: number;
  readonly energyJ: number;
  readonly source: 'measured' | 'estimate';
}

/** Options of {@link computeCost}. */
export interface ComputeCostOptions {
  /**
   * Name of the whole model being run (as in `device.measured[].model`); when the device has a
   * measurement for it, that measurement is returned instead of the MAC-rate estimate.
   */
  readonly model?: string;
  /** Memory overhead added to per-MAC energy (DistNN: 0.8); default the device's `memoryOverhead` or 0. */
  readonly memoryOverhead?: number;
}

/**
 * Time and energy to run `macs` multiply-accumulates and `ops` other operations on `device`.
 * Energy is `macs * energyPerMacJ * (1 + memoryOverhead) + ops * energyPerOpJ` when the device gives a
 * per-MAC energy, otherwise `activePowerW * time` (a measured power already includes memory, so the
 * overhead is not added there). A whole-model measurement named by `opts.model` takes precedence.
 */
export function computeCost(device: DeviceSpec, macs: number, ops = 0, opts: ComputeCostOptions = {}): Cost {
  if (opts.model !== undefined) {
    const m = device.measured?.find((x) => x.model === opts.model);
    if (m) {
      return {
        timeS: m.latencyS,
        energyJ: m.energyJ ?? m.latencyS * (device.activePowerW ?? 0),
        source: 'measured',
      };
    }
  }
  const timeS = macs / device.macsPerS + ops / (device.opsPerS ?? device.macsPerS);
  if (device.energyPerMacJ !== undefined) {
    const overhead = opts.memoryOverhead ?? device.memoryOverhead ?? 0;
    const energyJ = macs * device.energyPerMacJ * (1 + overhead) + ops * (device.energyPerOpJ ?? 0);
    return { timeS, energyJ, source: 'estimate' };
  }
  return { timeS, energyJ: timeS * (device.activePowerW ?? 0), source: 'estimate' };
}

/** Whether {@link computeCost} applies a memory overhead for this device (it does only for per-MAC energies). */
export function usesPerMacEnergy(device: DeviceSpec): boolean {
  return device.energyPerMacJ !== undefined;
}

/** Energy of one MAC on the device: the catalog value, or active power over MAC rate. */
export function effectiveEnergyPerMacJ(device: DeviceSpec): number {
  return device.energyPerMacJ ?? (device.activePowerW ?? 0) / device.macsPerS;
}

/** Cost of moving a payload over a link, with the packetisation that produced it. */
export interface TransferCost extends Cost {
  /** Packets sent (0 for an empty payload). */
  readonly packets: number;
  /** Payload plus per-packet headers. */
  readonly wireBytes: number;
}

/** Options of {@link transferCost}. */
export interface TransferCostOptions {
  /** Named payload (as in `link.measured[].payload`); a measurement for it takes precedence. */
  readonly payload?: string;
}

/**
 * Time and node-side energy to send `bytes` over `link`: the payload is cut into packets of
 * `mtuBytes - headerBytes`, each carrying `headerBytes` of overhead; time is one `latencyS` plus wire
 * bits over throughput; energy is wire bits times `energyPerBitJ`, or `txPowerW` times the time when
 * the link is rated by power. Sending nothing costs nothing.
 */
export function transferCost(link: LinkSpec, bytes: number, opts: TransferCostOptions = {}): TransferCost {
  const packets =
    bytes <= 0
      ? 0
      : Number.isFinite(link.mtuBytes)
        ? Math.ceil(bytes / (link.mtuBytes - link.headerBytes))
        : 1;
  const wireBytes = Math.max(0, bytes) + packets * link.headerBytes;
  if (opts.payload !== undefined) {
    const m = link.measured?.find((x) => x.payload === opts.payload);
    if (m) return { timeS: m.latencyS, energyJ: m.energyJ, source: 'measured', packets, wireBytes };
  }
  if (packets === 0) return { timeS: 0, energyJ: 0, source: 'estimate', packets, wireBytes };
  const wireBits = wireBytes * 8;
  const timeS = link.latencyS + wireBits / link.throughputBps;
  const energyJ =
    link.energyPerBitJ !== undefined ? wireBits * link.energyPerBitJ : timeS * (link.txPowerW ?? 0);
  return { timeS, energyJ, source: 'estimate', packets, wireBytes };
}

/** Energy per payload bit on the link: the catalog value, or transmit power over throughput. */
export function effectiveEnergyPerBitJ(link: LinkSpec): number {
  if (link.energyPerBitJ !== undefined) return link.energyPerBitJ;
  return Number.isFinite(link.throughputBps) ? (link.txPowerW ?? 0) / link.throughputBps : 0;
}
