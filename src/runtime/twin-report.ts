/**
 * The deployment twin's report (pure): a run's measured figures next to the plan's predictions, per
 * stage (compute, send, receive, queue) and for the whole run (throughput, latency p50/p95,
 * communication share, energy), each with measured/predicted. Measured times of a time-scaled run
 * are first multiplied back by the scale ({@link scaleRecords}), so both columns are deployment time.
 */
import type { EnergyEstimate } from './energy.js';
import type { StageAir } from './link-air.js';
import type { RuntimePlan } from './routes.js';
import type { RunRecords, RunSummary } from './summary.js';

/** One quantity, predicted and measured; ratio = measured / predicted (null without a usable prediction). */
export interface TwinPair {
  readonly predicted: number | null;
  readonly measured: number;
  readonly ratio: number | null;
}

/**
 * One stage: ms per sample. `send` is the transfer to the next stage as the planner counts it (the
 * time the radios spend carrying the sample, plus one link latency); `hop` is the whole way from
 * send start until the next stage holds the sample, and `hopWait` the part of the hop that is
 * waiting (for link credits, a busy radio or a busy receiver), which the plan does not count.
 */
export interface TwinStage {
  readonly id: string;
  readonly computeMs: TwinPair;
  readonly sendMs: TwinPair;
  readonly receiveMs: TwinPair;
  readonly queueMs: TwinPair;
  readonly hopMs: TwinPair;
  readonly hopWaitMs: TwinPair;
  /** Where the measured send comes from: the links' air time, or the hop when links were not emulated. */
  readonly sendBasis: 'air' | 'hop';
}

/** What the emulated links of a run carried, per stage (real ms as the nodes counted them). */
export interface TwinAir {
  readonly stages: readonly (StageAir | undefined)[];
  /** One-way latency of the emulated link, deployment ms (the emulation delays every packet by it). */
  readonly latencyMs: number;
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

/**
 * Throughput the plan predicts with at most `window` samples in flight: the plan's throughput, but no
 * more than `window` samples per plan latency (Little's law: each sample is in flight at least that
 * long), so a small window is not predicted to fill the pipeline.
 */
export function loadedThroughputPerS(plan: RuntimePlan, window: number): number | undefined {
  const tput = plan.predictedThroughputPerS;
  const alone = plan.predictedLatencyS;
  if (tput === undefined || alone === undefined || !(alone > 0)) return tput;
  return Math.min(tput, window / alone);
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

/**
 * Transfer of stage k's samples to the next stage, deployment ms per sample: the air time of its
 * nodes' transmissions and of what came back on those connections, over the samples they sent, plus
 * one link latency. Undefined without air counts for the stage.
 */
export function transferMs(air: TwinAir | undefined, k: number, timeScale: number): number | undefined {
  const a = air?.stages[k];
  if (!a || a.samples <= 0) return undefined;
  return ((a.sentMs + a.feedbackMs) / a.samples) * timeScale + air!.latencyMs;
}

/** Builds the comparison from a (deployment-time) summary and the run's air counts (real ms). */
export function twinReport(
  plan: RuntimePlan,
  summary: RunSummary,
  energy: EnergyEstimate | { readonly unavailable: string },
  timeScale: number,
  window: number,
  air?: TwinAir,
): TwinReport {
  const last = plan.stages.length - 1;
  const ms = (s: number | undefined) => (s !== undefined ? s * 1000 : undefined);
  const hops = plan.stages.map((_, k) => summary.links[k + 1].communicationMs);
  const transfer = plan.stages.map((_, k) => (k < last ? transferMs(air, k, timeScale) : undefined));
  const sends = plan.stages.map((_, k) => transfer[k] ?? hops[k]);
  const stages: TwinStage[] = plan.stages.map((st, k) => {
    const m = summary.stages[k];
    const predSend = k === last ? 0 : ms(st.predictedSendS);
    return {
      id: st.id,
      computeMs: twinPair(ms(st.predictedComputeS), m.computeMs),
      sendMs: twinPair(predSend, sends[k]),
      receiveMs: twinPair(k === 0 ? 0 : ms(st.predictedRecvS), k === 0 ? m.receiveMs : sends[k - 1]),
      queueMs: twinPair(0, m.queueMs),
      hopMs: twinPair(predSend, hops[k]),
      hopWaitMs: twinPair(0, hops[k] - sends[k]),
      sendBasis: transfer[k] !== undefined || k === last ? 'air' : 'hop',
    };
  });
  const sum = (xs: readonly (number | undefined)[]) =>
    xs.every((x) => x !== undefined) ? xs.reduce<number>((a, b) => a + b!, 0) : undefined;
  const predCompute = sum(plan.stages.map((s) => s.predictedComputeS));
  const predComm = sum(plan.stages.slice(0, last).map((s) => s.predictedSendS));
  const measCompute = summary.stages.reduce((a, s) => a + s.computeMs, 0);
  const measComm = sends.slice(0, last).reduce((a, x) => a + x, 0);
  const share = (c: number, x: number) => (c + x > 0 ? x / (c + x) : 0);
  const predEnergy = sum(plan.stages.map((s) => s.predictedEnergyJ));
  const latency = loadedLatencyMs(plan, window);
  const byAir = stages.slice(0, last).every((s) => s.sendBasis === 'air');
  return {
    timeScale,
    stages,
    throughputPerS: twinPair(loadedThroughputPerS(plan, window), summary.steadyThroughputPerS),
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
      `With ${window} sample(s) in flight (Little's law): predicted latency max(plan latency, ${window} / plan throughput), predicted throughput min(plan throughput, ${window} / plan latency); --window 1 gives the plan's own latency. ` +
      (plan.topology === 'dag'
        ? "DAG plan: its prediction also counts the coordinator's messages (the input to every branch stage, one after another, and the result back, over the link), which a run does not emulate (the coordinator's connections carry no emulated link), so the whole-run latency and throughput ratios compare different things and are no deployment prediction; send, receive and hop are itemised for chains only (the link table gives the bytes of every edge); "
        : byAir
          ? "send = the emulated links' air time per sample sent (packets, retransmissions, and the credits coming back) plus one link latency, as the plan's transfer time counts it; "
          : 'send = hop (links not emulated: no air time to count); ') +
      'hop = send start until the next stage holds the sample, waiting = hop - send (waiting for credits, a busy radio or receiver). ' +
      (plan.topology === 'dag'
        ? ''
        : 'The first stage receives from and the last stage sends to the coordinator, which the plan does not count (with samples in flight that receive is mostly waiting for the device); ') +
      'queue = received until the device started on it. ' +
      'Energy: the cost model on the plan bytes vs on the measured bytes (nothing is a measured energy).',
  };
}
