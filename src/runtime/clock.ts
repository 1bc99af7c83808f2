/**
 * Clocks and NTP-style offset estimation (pure apart from {@link nowMs}). Each process stamps events
 * with its own clock; the coordinator maps a node's stamps onto its own with the offset measured by
 * ping exchanges at connect: offset = t1 - (t0 + t3) / 2 from the exchange with the smallest round trip.
 */

/** Read once: the getter costs as much as `performance.now()` itself, and this runs several times per sample. */
const ORIGIN_MS = performance.timeOrigin;

/** Wall-clock milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return ORIGIN_MS + performance.now();
}

/** One ping: coordinator send time t0, node time t1, coordinator receive time t3 (ms). */
export interface ClockSample {
  readonly t0: number;
  readonly t1: number;
  readonly t3: number;
}

/** An offset estimate: node clock minus coordinator clock, and the round trip it came from. */
export interface ClockOffset {
  readonly offsetMs: number;
  readonly rttMs: number;
  /** Half the round trip: the estimate's worst-case error. */
  readonly uncertaintyMs: number;
}

/** Estimates the offset from pings (the one with the least round trip wins); throws on none. */
export function estimateOffset(samples: readonly ClockSample[]): ClockOffset {
  if (samples.length === 0) throw new RangeError('clock offset needs at least one ping');
  let best = samples[0];
  for (const s of samples) if (s.t3 - s.t0 < best.t3 - best.t0) best = s;
  const rttMs = best.t3 - best.t0;
  return { offsetMs: best.t1 - (best.t0 + best.t3) / 2, rttMs, uncertaintyMs: rttMs / 2 };
}

/** Converts a node timestamp to the coordinator's clock. */
export function toCoordinatorMs(nodeMs: number, offset: ClockOffset): number {
  return nodeMs - offset.offsetMs;
}
