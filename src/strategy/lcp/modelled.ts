/**
 * What the one cost model predicts for one way of running a model on devices over a link: bytes and
 * messages per inference, latency of one image, throughput when inferences overlap, energy. Shared by
 * LCP placement and the model- and data-parallel baselines it is compared with.
 */
import type { DeviceSpec, LinkSpec } from '../../catalog/schema.js';
import { computeCost, transferCost } from '../../cost/device-cost.js';

/** The ways of distributing inference that {@link ModelledRun} describes. */
export const DISTRIBUTIONS = [
  'lcp',
  'pipeline-balanced',
  'pipeline-fastest',
  'intra-layer',
  'data-parallel',
  'single-device',
] as const;
/** One of {@link DISTRIBUTIONS}. */
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** What each distribution is, for tables. */
export const DISTRIBUTION_LABELS: Readonly<Record<Distribution, string>> = {
  lcp: 'LCP branches',
  'pipeline-balanced': 'model parallel: pipeline, MAC-balanced cuts',
  'pipeline-fastest': 'model parallel: pipeline, throughput-optimal cuts',
  'intra-layer': 'model parallel: intra-layer output split (Fig. 4)',
  'data-parallel': 'data parallel (throughput only)',
  'single-device': 'single device',
};

/** Modelled costs of one distribution (per inference unless stated). */
export interface ModelledRun {
  readonly distribution: Distribution;
  readonly model: string;
  readonly devicesUsed: number;
  /** Payload bytes of every message of one inference (the coordinator's included). */
  readonly bytes: number;
  readonly messages: number;
  /** One image end to end (coordinator sends the input, receives the result); null for data parallelism. */
  readonly latencyS: number | null;
  /** Inferences per second when they overlap: 1 / the busiest device's (or the coordinator's) time per inference. */
  readonly throughputPerS: number;
  /** Compute energy of every device plus the send energy of every message. */
  readonly energyJ: number;
  readonly computeEnergyJ: number;
  readonly commEnergyJ: number;
  /** Whether every device holds its weights and activations. */
  readonly fitsMemory: boolean;
  /** What limits throughput (a device name or `coordinator`). */
  readonly bottleneck: string;
}

/** A device's load: what it computes and which messages its radio carries per inference. */
export interface DeviceLoad {
  readonly name: string;
  readonly spec: DeviceSpec;
  readonly macs: number;
  readonly ops: number;
  readonly weightBytes: number;
  readonly activationBytes: number;
  /** Payload sizes of the messages it receives and sends; one radio carries them one after another. */
  readonly recv: readonly number[];
  readonly send: readonly number[];
}

/** Seconds to carry one message of `bytes` over `link`. */
export function messageS(link: LinkSpec, bytes: number): number {
  return transferCost(link, bytes).timeS;
}

/** Seconds a message of `bytes` occupies a radio: its wire bits over the throughput (the fixed latency overlaps other work). */
export function occupancyS(link: LinkSpec, bytes: number): number {
  const t = transferCost(link, bytes);
  return t.packets === 0 ? 0 : t.timeS - link.latencyS;
}

/** Compute seconds of `macs` and `ops` on `device`. */
export function computeS(device: DeviceSpec, macs: number, ops: number): number {
  return computeCost(device, macs, ops).timeS;
}

/** Whether a device holds a load's weights (flash minus runtime overhead) and activations (SRAM). */
export function fits(load: Pick<DeviceLoad, 'spec' | 'weightBytes' | 'activationBytes'>): boolean {
  return (
    load.weightBytes <= load.spec.flashBytes - load.spec.runtimeOverheadBytes &&
    load.activationBytes <= load.spec.sramBytes
  );
}

/**
 * Sums the loads into a {@link ModelledRun}: throughput from the busiest cycle per inference, compute
 * plus radio occupancy of every message (device or coordinator; a message's fixed latency overlaps
 * other inferences), energy from compute and every message sent (devices' and coordinator's).
 */
export function modelledRun(
  distribution: Distribution,
  model: string,
  link: LinkSpec,
  loads: readonly DeviceLoad[],
  coordinator: { readonly send: readonly number[]; readonly recv: readonly number[] },
  latencyS: number | null,
): ModelledRun {
  const cycle = (l: { send: readonly number[]; recv: readonly number[] }) =>
    [...l.send, ...l.recv].reduce((s, b) => s + occupancyS(link, b), 0);
  let bottleneck = 'coordinator';
  let period = cycle(coordinator);
  let computeEnergyJ = 0;
  let commEnergyJ = coordinator.send.reduce((s, b) => s + transferCost(link, b).energyJ, 0);
  for (const l of loads) {
    const c = computeCost(l.spec, l.macs, l.ops);
    computeEnergyJ += c.energyJ;
    commEnergyJ += l.send.reduce((s, b) => s + transferCost(link, b).energyJ, 0);
    const t = c.timeS + cycle(l);
    if (t > period) {
      period = t;
      bottleneck = l.name;
    }
  }
  const all = [...coordinator.send, ...loads.flatMap((l) => l.send)];
  return {
    distribution,
    model,
    devicesUsed: loads.length,
    bytes: all.reduce((s, b) => s + b, 0),
    messages: all.filter((b) => b > 0).length,
    latencyS,
    throughputPerS: period > 0 ? 1 / period : Infinity,
    energyJ: computeEnergyJ + commEnergyJ,
    computeEnergyJ,
    commEnergyJ,
    fitsMemory: loads.every(fits),
    bottleneck,
  };
}
