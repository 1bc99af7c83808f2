/**
 * Parameters of an emulated link, and the adapter from the link catalog's `LinkSpec`.
 * Model: packets of `packetBytes` (incl. `headerBytes`) go on air at `airBps`; the receiver holds
 * at most `bufferPackets` and processes them at the link's sustained payload rate `throughputBps`
 * (a full buffer silently drops, like the ESP32); every message takes `latencyMs` one way; packets
 * are lost on air with probability `lossRate`.
 */
import { UsageError } from '../../core/errors.js';

/** Emulated link parameters (SI-ish units in the names). */
export interface LinkParams {
  readonly id: string;
  /** Whole packet on air including the link header (BLE ATT MTU: 517). */
  readonly packetBytes: number;
  /** Link-layer header inside `packetBytes` (BLE: 3). */
  readonly headerBytes: number;
  /** Sustained payload throughput, bits/s: the rate the receiver absorbs payload; goodput is measured against it. */
  readonly throughputBps: number;
  /** Rate at which a burst of packets goes on air, bits/s (>= throughputBps). */
  readonly airBps: number;
  /** One-way latency of every message, ms. */
  readonly latencyMs: number;
  /** Probability a packet is lost on air, in [0, 1). */
  readonly lossRate: number;
  /** Packets the receiver can hold before it silently drops. */
  readonly bufferPackets: number;
  /** Per-packet processing time varies uniformly by +-this fraction (0 = constant). */
  readonly serviceJitter: number;
}

/** The catalog fields this adapter reads (structurally compatible with the catalog's `LinkSpec`). */
export interface LinkSpecLike {
  readonly id: string;
  readonly throughputBps: number;
  readonly mtuBytes: number;
  readonly headerBytes: number;
  readonly latencyS: number;
  readonly bufferPackets?: number;
  readonly lossRate?: number;
}

/** Bytes of edgesplit's own sequence number inside each packet's payload (the seed used an 8-byte timer id). */
export const LINK_SEQ_BYTES = 4;

/**
 * Defaults for fields the catalog does not give. `airBps`: the BLE 1M PHY symbol rate (Bluetooth Core
 * spec; estimate of how fast a burst leaves the radio). `bufferPackets`: used when a link entry has none.
 */
export const LINK_DEFAULTS = {
  airBps: 1_000_000,
  bufferPackets: 64,
  serviceJitter: 0,
  source:
    'airBps: BLE 1M PHY (Bluetooth Core spec), an estimate; bufferPackets 64: an arbitrary roomy default when the catalog has none',
} as const;

/** Builds link parameters from a catalog entry; `overrides` win. Throws for unusable values. */
export function linkParamsFromSpec(spec: LinkSpecLike, overrides: Partial<LinkParams> = {}): LinkParams {
  const params: LinkParams = {
    id: spec.id,
    packetBytes: spec.mtuBytes,
    headerBytes: spec.headerBytes,
    throughputBps: spec.throughputBps,
    airBps: Math.max(LINK_DEFAULTS.airBps, spec.throughputBps),
    latencyMs: spec.latencyS * 1000,
    lossRate: spec.lossRate ?? 0,
    bufferPackets: spec.bufferPackets ?? LINK_DEFAULTS.bufferPackets,
    serviceJitter: LINK_DEFAULTS.serviceJitter,
    ...overrides,
  };
  return validateLinkParams(params);
}

/** Checks every field, naming the bad one. */
export function validateLinkParams(p: LinkParams): LinkParams {
  const bad = (field: string, why: string) => new UsageError(`link ${p.id}: ${field} ${why}`);
  if (!Number.isInteger(p.packetBytes) || !Number.isFinite(p.packetBytes))
    throw bad(
      'packetBytes',
      `must be a finite whole number (unlimited links cannot be emulated), got ${p.packetBytes}`,
    );
  if (!Number.isInteger(p.headerBytes) || p.headerBytes < 0)
    throw bad('headerBytes', `must be a whole number >= 0, got ${p.headerBytes}`);
  if (p.packetBytes - p.headerBytes - LINK_SEQ_BYTES < 1)
    throw bad(
      'packetBytes',
      `leaves no payload after ${p.headerBytes} header + ${LINK_SEQ_BYTES} sequence bytes`,
    );
  if (!(p.throughputBps > 0) || !Number.isFinite(p.throughputBps))
    throw bad('throughputBps', `must be finite and > 0, got ${p.throughputBps}`);
  if (!(p.airBps >= p.throughputBps) || !Number.isFinite(p.airBps))
    throw bad('airBps', `must be finite and >= throughputBps, got ${p.airBps}`);
  if (!(p.latencyMs >= 0)) throw bad('latencyMs', `must be >= 0, got ${p.latencyMs}`);
  if (!(p.lossRate >= 0 && p.lossRate < 1)) throw bad('lossRate', `must be in [0, 1), got ${p.lossRate}`);
  if (!Number.isInteger(p.bufferPackets) || p.bufferPackets < 1)
    throw bad('bufferPackets', `must be a whole number >= 1, got ${p.bufferPackets}`);
  if (!(p.serviceJitter >= 0 && p.serviceJitter < 1))
    throw bad('serviceJitter', `must be in [0, 1), got ${p.serviceJitter}`);
  return p;
}

/** Payload bytes per second the link can carry (after the link header): the goodput reference. */
export function payloadCapacityBytesPerS(p: LinkParams): number {
  return p.throughputBps / 8;
}
