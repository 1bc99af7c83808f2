/**
 * Timelines to numbers (pure): latency percentiles, throughput, per-stage compute/send/receive time,
 * bytes per link, the compute vs communication split of the pipeline seed's Fig. 5, and the
 * throughput bound implied by the measured stage service times. All times are on the coordinator's
 * clock; "communication" of a hop runs from the sender's send start to the receiver having the whole
 * sample, as the seed's scribe measured it (so it includes waiting for credit and buffers).
 */
import type { RuntimePlan } from './routes.js';
import { RunStats, quantile } from './run-stats.js';

export { quantile };

/** One sample at one node (coordinator clock, ms). */
export interface NodeRecord {
  readonly stageIndex: number;
  readonly device: string;
  readonly epoch: number;
  readonly seq: number;
  readonly received: number;
  readonly inferStart: number;
  readonly inferEnd: number;
  readonly sendStart: number;
  readonly sendEnd: number;
  /** Encoded bytes sent for the sample (0 when it was dropped). */
  readonly bytes: number;
  /** Address or "coordinator" it went to ('' when dropped). */
  readonly target: string;
}

/** The coordinator sending one sample's inputs to stage 0. */
export interface SendRecord {
  readonly epoch: number;
  readonly seq: number;
  readonly sendStart: number;
  readonly sendEnd: number;
  readonly bytes: number;
  readonly target: string;
}

/** A complete result reaching the coordinator. */
export interface ArrivalRecord {
  readonly epoch: number;
  readonly seq: number;
  readonly ms: number;
  readonly from: string;
}

/** Everything the coordinator recorded. */
export interface RunRecords {
  /** First input sent / last result released. */
  startMs: number;
  endMs: number;
  readonly nodes: NodeRecord[];
  readonly sends: SendRecord[];
  readonly arrivals: ArrivalRecord[];
  /** Per seq: when its input was first sent, and when its (first) result arrived. */
  readonly firstSendMs: number[];
  readonly doneMs: number[];
}

/** Means per sample, ms. */
export interface StageSummary {
  readonly id: string;
  readonly index: number;
  readonly devices: readonly string[];
  /** Samples the stage's nodes processed (re-sent ones count again). */
  readonly processed: number;
  /** Mean time from the upstream send start until the whole sample had arrived here. */
  readonly receiveMs: number;
  /** Mean wait from arrival to inference start. */
  readonly queueMs: number;
  readonly computeMs: number;
  /** Mean time handing the outputs to the transport (includes waiting for the receiver's credit). */
  readonly sendMs: number;
  /** Bytes sent downstream per sample. */
  readonly bytesPerSample: number;
  /** Planner's predicted compute time, ms, when the plan has one. */
  readonly predictedComputeMs?: number;
}

/** One hop of the pipeline. */
export interface LinkSummary {
  readonly from: string;
  readonly to: string;
  readonly bytes: number;
  readonly bytesPerSample: number;
  /** Mean communication time of the hop (send start to complete arrival). */
  readonly communicationMs: number;
}

/** The seed's Fig. 5: total time computing vs communicating, summed over samples and stages/hops. */
export interface ComputeCommSplit {
  readonly computeMs: number;
  readonly communicationMs: number;
  readonly communicationFraction: number;
  /** communication / compute (the seed measured > 5 on BLE). */
  readonly ratio: number;
}

/** Numbers of one run. */
export interface RunSummary {
  readonly samples: number;
  readonly wallMs: number;
  readonly throughputPerS: number;
  /** Steady state: results after the first one over the time from the first result to the last, per s. */
  readonly steadyThroughputPerS: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly mean: number;
    readonly max: number;
  };
  readonly stages: readonly StageSummary[];
  readonly links: readonly LinkSummary[];
  readonly split: ComputeCommSplit;
  /** 1 / slowest measured stage compute time per replica: what a perfect pipeline would reach. */
  readonly boundThroughputPerS: number;
}

/** Summarises a run's full records against its plan (the same accumulators a streaming run uses). */
export function summarise(plan: RuntimePlan, r: RunRecords): RunSummary {
  const stats = new RunStats(plan, { reservoir: Math.max(1, r.doneMs.length), maxJoins: Infinity });
  for (const s of r.sends) stats.sent(s);
  for (const x of r.nodes) stats.node(x);
  for (const a of r.arrivals) stats.arrived(a);
  r.doneMs.forEach((d, i) => stats.delivered(d - r.firstSendMs[i], d));
  return stats.summary(r.doneMs.length, r.startMs, r.endMs);
}
