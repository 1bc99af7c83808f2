/**
 * Timelines to numbers (pure): latency percentiles, throughput, per-stage compute/send/receive time,
 * bytes per link, the compute vs communication split of the pipeline seed's Fig. 5, and the
 * throughput bound implied by the measured stage service times. All times are on the coordinator's
 * clock; "communication" of a hop runs from the sender's send start to the receiver having the whole
 * sample, as the seed's scribe measured it (so it includes waiting for credit and buffers).
 */
import type { RuntimePlan } from './routes.js';

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
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly mean: number;
    readonly max: number;
  };
  readonly stages: readonly StageSummary[];
  readonly links: readonly LinkSummary[];
  readonly split: ComputeCommSplit;
  /** 1 / slowest measured stage compute time per replica: what a perfect pipeline would reach. */
  readonly boundThroughputPerS: number;
}

/** The q-quantile (0..1) of values by linear interpolation; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Summarises a run's records against its plan. */
export function summarise(plan: RuntimePlan, r: RunRecords): RunSummary {
  const n = r.doneMs.length;
  const latencies = r.doneMs.map((d, i) => d - r.firstSendMs[i]).filter((x) => Number.isFinite(x));
  const key = (epoch: number, seq: number) => `${epoch}:${seq}`;
  const byStage = plan.stages.map((_, k) => r.nodes.filter((x) => x.stageIndex === k && x.target !== ''));
  const sendStartOf = plan.stages.map(
    (_, k) => new Map(byStage[k].map((x) => [key(x.epoch, x.seq), x.sendStart])),
  );
  const coordSend = new Map(r.sends.map((s) => [key(s.epoch, s.seq), s.sendStart]));
  const upstreamStart = (k: number, epoch: number, seq: number) =>
    (k === 0 ? coordSend : sendStartOf[k - 1]).get(key(epoch, seq));
  const hopTimes: number[][] = [];
  const stages: StageSummary[] = plan.stages.map((st, k) => {
    const recs = byStage[k];
    const recv = recs
      .map((x) => x.received - (upstreamStart(k, x.epoch, x.seq) ?? NaN))
      .filter((x) => Number.isFinite(x));
    hopTimes.push(recv);
    const predicted =
      st.predictedComputeS !== undefined ? { predictedComputeMs: st.predictedComputeS * 1000 } : {};
    return {
      id: st.id,
      index: k,
      devices: st.devices.map((d) => d.name),
      processed: recs.length,
      receiveMs: mean(recv),
      queueMs: mean(recs.map((x) => x.inferStart - x.received)),
      computeMs: mean(recs.map((x) => x.inferEnd - x.inferStart)),
      sendMs: mean(recs.map((x) => x.sendEnd - x.sendStart)),
      bytesPerSample: mean(recs.map((x) => x.bytes)),
      ...predicted,
    };
  });
  const last = plan.stages.length - 1;
  const outHop = r.arrivals
    .map((a) => a.ms - (sendStartOf[last].get(key(a.epoch, a.seq)) ?? NaN))
    .filter((x) => Number.isFinite(x));
  hopTimes.push(outHop);
  const names = ['coordinator', ...plan.stages.map((s) => `stage ${s.id}`), 'coordinator'];
  const hopBytes = [r.sends.map((s) => s.bytes), ...byStage.map((recs) => recs.map((x) => x.bytes))];
  const links: LinkSummary[] = hopTimes.map((times, h) => {
    const bytes = (hopBytes[h] ?? []).reduce((a, b) => a + b, 0);
    const count = (hopBytes[h] ?? []).length;
    return {
      from: names[h],
      to: names[h + 1],
      bytes,
      bytesPerSample: count ? bytes / count : 0,
      communicationMs: mean(times),
    };
  });
  const computeMs = r.nodes.reduce((s, x) => s + (x.inferEnd - x.inferStart), 0);
  const communicationMs = hopTimes.flat().reduce((a, b) => a + b, 0);
  const service = stages.map((s, k) => s.computeMs / Math.max(1, plan.stages[k].devices.length));
  const wallMs = r.endMs - r.startMs;
  return {
    samples: n,
    wallMs,
    throughputPerS: wallMs > 0 ? (n / wallMs) * 1000 : 0,
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      mean: mean(latencies),
      max: latencies.length ? Math.max(...latencies) : NaN,
    },
    stages,
    links,
    split: {
      computeMs,
      communicationMs,
      communicationFraction:
        computeMs + communicationMs > 0 ? communicationMs / (computeMs + communicationMs) : 0,
      ratio: computeMs > 0 ? communicationMs / computeMs : 0,
    },
    boundThroughputPerS: Math.max(...service) > 0 ? 1000 / Math.max(...service) : 0,
  };
}
