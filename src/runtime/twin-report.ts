/**
 * The deployment twin's report (pure): a run's measured figures next to the plan's predictions, per
 * stage (compute, send, receive, queue) and for the whole run (throughput, latency p50/p95,
 * communication share, energy), each with measured/predicted. Measured times of a time-scaled run
 * are first multiplied back by the scale ({@link scaleRecords}), so both columns are deployment time.
 */
import type { EnergyEstimate } from './energy.js';
import type { RuntimePlan } from './routes.js';
import type { RunRecords, RunSummary } from './summary.js';

/** One quantity, predicted and measured; ratio = measured / predicted (null without a usable prediction). */
export interface TwinPair {
  readonly predicted: number | null;
  readonly measured: number;
  readonly ratio: number | null;
}

/** One stage: ms per sample. `send` is the hop to the next stage (send start to complete arrival). */
export interface TwinStage {
  readonly id: string;
  readonly computeMs: TwinPair;
  readonly sendMs: TwinPair;
  readonly receiveMs: TwinPair;
  readonly queueMs: TwinPair;
}

/** Predicted vs measured for one run. */
export interface TwinReport {
  readonly timeScale: number;
  readonly stages: readonly TwinStage[];
  /** Steady state: results after the first one over the time after the first one, samples/s. */
  readonly throughputPerS: TwinPair;
  readonly latencyP50Ms: TwinPair;
  readonly latencyP95Ms: TwinPair;
  /** Inter-stage communication / (compute + inter-stage communication), per sample, 0..1. */
  readonly communicationShare: TwinPair;
  /** Modelled energy per sample: the plan's vs the cost model applied to the run's measured bytes. */
  readonly energyPerSampleJ: TwinPair;
  /** Samples in flight at most during the run. */
  readonly window: number;
  /** Says what each column is. */
  readonly basis: string;
}

/**
 * Latency the plan predicts with `window` samples in flight: one sample alone takes the plan's
 * latency; a full pipeline holds `window` samples at the plan's throughput (Little's law).
 */
export function loadedLatencyMs(plan: RuntimePlan, window: number): number | undefined {
  const alone = plan.predictedLatencyS;
  const tput = plan.predictedThroughputPerS;
  if (alone === undefined) return undefined;
  const queued = tput !== undefined && tput > 0 ? window / tput : 0;
  return Math.max(alone, queued) * 1000;
}

/** The records with every instant moved to startMs + (t - startMs) x k: deployment time of a k-times-faster run. */
export function scaleRecords<T extends RunRecords>(r: T, k: number): T {
  if (k === 1) return r;
  const s = (t: number) => r.startMs + (t - r.startMs) * k;
  return {
    ...r,
    startMs: r.startMs,
    endMs: s(r.endMs),
    nodes: r.nodes.map((x) => ({
      ...x,
      received: s(x.received),
      inferStart: s(x.inferStart),
      inferEnd: s(x.inferEnd),
      sendStart: s(x.sendStart),
      sendEnd: s(x.sendEnd),
    })),
    sends: r.sends.map((x) => ({ ...x, sendStart: s(x.sendStart), sendEnd: s(x.sendEnd) })),
    arrivals: r.arrivals.map((x) => ({ ...x, ms: s(x.ms) })),
    firstSendMs: r.firstSendMs.map(s),
    doneMs: r.doneMs.map(s),
  };
}

/** A pair; the ratio is null when the prediction is missing, zero or not finite. */
export function twinPair(predicted: number | undefined | null, measured: number): TwinPair {
  const p = predicted ?? null;
  return { predicted: p, measured, ratio: p !== null && p > 0 && Number.isFinite(p) ? measured / p : null };
}

/**
 * A summary of a k-times-faster run in deployment time: every duration x k, every rate / k. Equal
 * to summarising {@link scaleRecords} of its records (all summary figures are linear in durations),
 * so a streaming run that kept no records scales the same way.
 */
export function scaleSummary(m: RunSummary, k: number): RunSummary {
  if (k === 1) return m;
  const t = (x: number) => x * k;
  const r = (x: number) => x / k;
  return {
    ...m,
    wallMs: t(m.wallMs),
    throughputPerS: r(m.throughputPerS),
    steadyThroughputPerS: r(m.steadyThroughputPerS),
    latencyMs: {
      p50: t(m.latencyMs.p50),
      p95: t(m.latencyMs.p95),
      p99: t(m.latencyMs.p99),
      mean: t(m.latencyMs.mean),
      max: t(m.latencyMs.max),
    },
    stages: m.stages.map((st) => ({
      ...st,
      receiveMs: t(st.receiveMs),
      queueMs: t(st.queueMs),
      computeMs: t(st.computeMs),
      sendMs: t(st.sendMs),
    })),
    links: m.links.map((l) => ({ ...l, communicationMs: t(l.communicationMs) })),
    split: { ...m.split, computeMs: t(m.split.computeMs), communicationMs: t(m.split.communicationMs) },
    boundThroughputPerS: r(m.boundThroughputPerS),
  };
}

/** Builds the comparison from a (deployment-time) summary. */
export function twinReport(
  plan: RuntimePlan,
  summary: RunSummary,
  energy: EnergyEstimate | { readonly unavailable: string },
  timeScale: number,
  window: number,
): TwinReport {
  const last = plan.stages.length - 1;
  const ms = (s: number | undefined) => (s !== undefined ? s * 1000 : undefined);
  const stages: TwinStage[] = plan.stages.map((st, k) => {
    const m = summary.stages[k];
    return {
      id: st.id,
      computeMs: twinPair(ms(st.predictedComputeS), m.computeMs),
      sendMs: twinPair(k === last ? 0 : ms(st.predictedSendS), summary.links[k + 1].communicationMs),
      receiveMs: twinPair(k === 0 ? 0 : ms(st.predictedRecvS), m.receiveMs),
      queueMs: twinPair(0, m.queueMs),
    };
  });
  const sum = (xs: readonly (number | undefined)[]) =>
    xs.every((x) => x !== undefined) ? xs.reduce<number>((a, b) => a + b!, 0) : undefined;
  const predCompute = sum(plan.stages.map((s) => s.predictedComputeS));
  const predComm = sum(plan.stages.slice(0, last).map((s) => s.predictedSendS));
  const measCompute = summary.stages.reduce((a, s) => a + s.computeMs, 0);
  const measComm = summary.links.slice(1, -1).reduce((a, l) => a + l.communicationMs, 0);
  const share = (c: number, x: number) => (c + x > 0 ? x / (c + x) : 0);
  const predEnergy = sum(plan.stages.map((s) => s.predictedEnergyJ));
  const latency = loadedLatencyMs(plan, window);
  return {
    timeScale,
    stages,
    throughputPerS: twinPair(plan.predictedThroughputPerS, summary.steadyThroughputPerS),
    latencyP50Ms: twinPair(latency, summary.latencyMs.p50),
    latencyP95Ms: twinPair(latency, summary.latencyMs.p95),
    communicationShare: twinPair(
      predCompute !== undefined && predComm !== undefined ? share(predCompute, predComm) : undefined,
      share(measCompute, measComm),
    ),
    energyPerSampleJ: twinPair(predEnergy, 'perSampleJ' in energy ? energy.perSampleJ : NaN),
    window,
    basis:
      `measured: wall-clock times x ${timeScale} (deployment time); predicted: plan.json. ` +
      `Latency with ${window} sample(s) in flight: predicted max(plan latency, ${window} / plan throughput) (Little's law; --window 1 gives the plan's own latency). ` +
      'send = hop to the next stage from send start to complete arrival; the last stage sends to the coordinator, which the plan does not count. ' +
      'Energy: the cost model on the plan bytes vs on the measured bytes (nothing is a measured energy).',
  };
}
