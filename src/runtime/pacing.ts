/**
 * Device compute pacing (the twin's compute half): each stage's per-sample compute time derived from
 * the plan's device and the stage's MACs exactly as the planner derives it, and a {@link Pacer} that
 * makes a node take max(real, modelled / timeScale) of wall time per sample, waiting after the
 * inference returned (never inside onnxruntime). A serial device does one thing at a time: its
 * compute holds the device's radio, as the pipeline seed's devices received, inferred and sent in
 * turn and as the planner's cycle time (receive + compute + send) assumes.
 */
import { z } from 'zod';
import type { DeviceCatalog } from '../catalog/catalog.js';
import { UsageError } from '../core/errors.js';
import { stageComputeCost } from '../strategy/plan/stage-compute.js';
import type { Radio } from '../transport/link/radio.js';
import { nowMs } from './clock.js';
import type { RuntimePlan, RuntimeStage } from './routes.js';

/** Pacing of one node's stage, as the `assign` message carries it. */
export const pacingSchema = z.object({
  /** Modelled compute time of one sample on the plan's device, deployment ms. */
  computeMs: z.number().nonnegative().finite(),
  /** Deployment time runs this many times faster than real time (10: ten times faster). */
  timeScale: z.number().positive().finite(),
  /** The device does one thing at a time: compute holds its radio (default true). */
  serial: z.boolean().default(true),
  /** Catalog device the time was modelled for (shown in logs). */
  device: z.string().min(1),
});
/** Parsed pacing parameters. */
export type StagePacing = z.infer<typeof pacingSchema>;

/** The planner's compute time of `stage` on catalog device `type`, seconds per sample. */
export function modelledComputeS(stage: RuntimeStage, type: string, devices: DeviceCatalog): number {
  if (stage.macs === undefined)
    throw new UsageError(`stage ${stage.id}: the plan gives no MAC count, so its device cannot be paced`);
  return stageComputeCost(devices.get(type), stage.macs, stage.ops ?? 0).timeS;
}

/** Why a plan's devices cannot be emulated (empty when every device is a catalog device and every stage has MACs). */
export function emulationGaps(plan: RuntimePlan, devices: DeviceCatalog): string[] {
  const gaps: string[] = [];
  for (const st of plan.stages) {
    if (st.macs === undefined) gaps.push(`stage ${st.id} has no MAC count`);
    for (const d of st.devices) {
      if (!d.type) gaps.push(`device ${d.name} names no catalog device type`);
      else if (!devices.entries.has(d.type))
        gaps.push(`device ${d.name}: unknown catalog device "${d.type}"`);
    }
  }
  return gaps;
}

/** Pacing of every plan device by device name; throws naming what is missing. */
export function planPacing(
  plan: RuntimePlan,
  devices: DeviceCatalog,
  timeScale: number,
): Map<string, StagePacing> {
  checkTimeScale(timeScale);
  const gaps = emulationGaps(plan, devices);
  if (gaps.length > 0)
    throw new UsageError(`${plan.dir}: cannot emulate the plan's devices: ${gaps.join('; ')}`);
  const out = new Map<string, StagePacing>();
  for (const st of plan.stages)
    for (const d of st.devices)
      out.set(d.name, {
        computeMs: modelledComputeS(st, d.type!, devices) * 1000,
        timeScale,
        serial: true,
        device: d.type!,
      });
  return out;
}

/**
 * Time scales a run takes: from 1000x slower than real time to a million times faster. Outside
 * them paced sleeps and emulated air times round to nothing or outlast any run, and the report's
 * deployment-time figures (measured x k) would be noise.
 */
export const TIME_SCALE_LIMITS = { min: 1e-3, max: 1e6 } as const;

/** Parses a `--time-scale` value, within {@link TIME_SCALE_LIMITS}. */
export function parseTimeScale(value: string): number {
  const k = Number(value);
  checkTimeScale(k, value);
  return k;
}

/** Throws unless `k` is a usable time scale; `typed` is what the user wrote, for the message. */
export function checkTimeScale(k: number, typed: string = String(k)): void {
  if (!(k >= TIME_SCALE_LIMITS.min && k <= TIME_SCALE_LIMITS.max))
    throw new UsageError(
      `--time-scale must be a number from ${TIME_SCALE_LIMITS.min} to ${TIME_SCALE_LIMITS.max}, got '${typed}'`,
    );
}

/** Wall clock and sleep, injectable for tests. */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: nowMs,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** When a paced sample computed, on the node's clock (ms). */
export interface PacedCompute {
  readonly start: number;
  readonly end: number;
  /** The host took longer than the scaled device would: the run cannot keep the device's pace. */
  readonly hostBound: boolean;
}

/** Options of {@link Pacer}. */
export interface PacerOptions {
  readonly clock?: PacerClock;
  /** The node's device radio (serial devices hold it while computing). */
  readonly radio?: Radio;
  /** Time scale of the node's emulated links, which a stage's pacing must agree with. */
  readonly linkTimeScale?: number;
}

/** Paces a node's samples to its device. */
export class Pacer {
  private readonly clock: PacerClock;
  /** Samples whose real compute exceeded the scaled modelled time. */
  hostBound = 0;

  constructor(private readonly o: PacerOptions = {}) {
    this.clock = o.clock ?? realClock;
  }

  /** A reason to refuse `pacing` (its time scale differs from the links'), or undefined. */
  check(pacing: StagePacing): string | undefined {
    const k = this.o.linkTimeScale;
    if (k !== undefined && Math.abs(k - pacing.timeScale) > 1e-9 * k)
      return `pacing time scale ${pacing.timeScale} differs from this node's link time scale ${k} (start the node with --time-scale ${pacing.timeScale})`;
    return undefined;
  }

  /**
   * Called after the inference of one sample ran from `startMs` to `endMs`: waits until the sample
   * has taken max(real, modelled / timeScale) (after the radio is free, for a serial device) and
   * returns when its compute started and ended on the emulated clock.
   */
  async pace(startMs: number, endMs: number, pacing: StagePacing): Promise<PacedCompute> {
    const real = endMs - startMs;
    const modelled = pacing.computeMs / pacing.timeScale;
    const d = Math.max(real, modelled);
    const radio = pacing.serial ? this.o.radio : undefined;
    // a serial device finishes sending the previous sample before it computes the next one
    if (radio) await radio.sendsDrained();
    const slot = radio
      ? radio.reserve(Math.max(startMs, this.clock.now()), d)
      : { start: startMs, end: startMs + d };
    const hostBound = real > modelled;
    if (hostBound) this.hostBound += 1;
    const wait = slot.end - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
    return { start: slot.start, end: slot.end, hostBound };
  }
}
