/**
 * Streaming accumulators for a run's summary: every record is folded in as it arrives and then
 * forgotten, so memory is bounded by the samples in flight, not by the stream. Hop times need the
 * upstream send start of the same (epoch, seq), which may arrive in a later timeline batch: those
 * joins wait in a map capped at `maxJoins` (oldest evicted; a record of a killed node never
 * completes its join). Latency percentiles come from a uniform reservoir sample of `reservoir`
 * latencies (Algorithm R, seeded): exact up to that many samples, an unbiased sample beyond.
 */
import { dagHopNames } from './dag-peers.js';
import { mulberry32 } from '../core/random.js';
import type { RuntimePlan } from './routes.js';
import type {
  ArrivalRecord,
  LinkSummary,
  NodeRecord,
  RunSummary,
  SendRecord,
  StageSummary,
} from './summary.js';

/** Options of {@link RunStats}. */
export interface RunStatsOptions {
  /** Latencies kept for percentiles (default 16384). */
  readonly reservoir?: number;
  /** Pending (epoch, seq) joins kept at most (default 16384). */
  readonly maxJoins?: number;
}

class Mean {
  sum = 0;
  count = 0;
  add(x: number): void {
    this.sum += x;
    this.count += 1;
  }
  get value(): number {
    return this.count ? this.sum / this.count : 0;
  }
}

interface Join {
  /** up[h]: send start that feeds hop h (h = 0: the coordinator; h = k + 1: stage k). */
  readonly up: (number | undefined)[];
  /** down[h]: when hop h's receiver had the whole sample. */
  readonly down: (number | undefined)[];
  open: number;
}

interface StageAcc {
  processed: number;
  readonly queue: Mean;
  readonly compute: Mean;
  readonly send: Mean;
  readonly bytes: Mean;
}

/** Folds run records into a {@link RunSummary} in bounded memory. */
export class RunStats {
  private readonly stages: StageAcc[];
  /** Per hop (stages + 1): communication times and bytes. */
  private readonly hopTime: Mean[];
  private readonly hopBytes: Mean[];
  private readonly joins = new Map<string, Join>();
  private readonly reservoir: number[] = [];
  private readonly random = mulberry32(0x5eed);
  private readonly latency = new Mean();
  private latencyMax = -Infinity;
  private firstDoneMs = Infinity;
  private lastDoneMs = -Infinity;
  private computeMs = 0;
  /** Joins evicted before they completed. */
  evicted = 0;

  constructor(
    private readonly plan: RuntimePlan,
    private readonly o: RunStatsOptions = {},
  ) {
    this.stages = plan.stages.map(() => ({
      processed: 0,
      queue: new Mean(),
      compute: new Mean(),
      send: new Mean(),
      bytes: new Mean(),
    }));
    this.hopTime = Array.from({ length: plan.stages.length + 1 }, () => new Mean());
    this.hopBytes = Array.from({ length: plan.stages.length + 1 }, () => new Mean());
  }

  /** The coordinator sent a sample's inputs to stage 0. */
  sent(s: SendRecord): void {
    this.hopBytes[0].add(s.bytes);
    this.mark(s.epoch, s.seq, 'up', 0, s.sendStart);
  }

  /** A node's timeline record (coordinator clock); dropped samples (no target) do not count. */
  node(r: NodeRecord): void {
    this.computeMs += r.inferEnd - r.inferStart;
    if (r.target === '') return;
    const st = this.stages[r.stageIndex];
    if (!st) return;
    st.processed += 1;
    st.queue.add(r.inferStart - r.received);
    st.compute.add(r.inferEnd - r.inferStart);
    st.send.add(r.sendEnd - r.sendStart);
    st.bytes.add(r.bytes);
    this.hopBytes[r.stageIndex + 1].add(r.bytes);
    this.mark(r.epoch, r.seq, 'down', r.stageIndex, r.received);
    this.mark(r.epoch, r.seq, 'up', r.stageIndex + 1, r.sendStart);
  }

  /** A complete result reached the coordinator. */
  arrived(a: ArrivalRecord): void {
    this.mark(a.epoch, a.seq, 'down', this.plan.stages.length, a.ms);
  }

  /** A sample was delivered at `atMs`, `ms` after its input was first sent. */
  delivered(ms: number, atMs: number): void {
    if (!Number.isFinite(ms)) return;
    this.firstDoneMs = Math.min(this.firstDoneMs, atMs);
    this.lastDoneMs = Math.max(this.lastDoneMs, atMs);
    this.latency.add(ms);
    this.latencyMax = Math.max(this.latencyMax, ms);
    const cap = this.o.reservoir ?? 16_384;
    if (this.reservoir.length < cap) this.reservoir.push(ms);
    else {
      const j = Math.floor(this.random() * this.latency.count);
      if (j < cap) this.reservoir[j] = ms;
    }
  }

  /** Pending joins (bounded by `maxJoins`). */
  get pendingJoins(): number {
    return this.joins.size;
  }

  /** The summary of `samples` delivered between `startMs` and `endMs`. */
  summary(samples: number, startMs: number, endMs: number): RunSummary {
    const stages: StageSummary[] = this.plan.stages.map((st, k) => {
      const a = this.stages[k];
      return {
        id: st.id,
        index: k,
        devices: st.devices.map((d) => d.name),
        processed: a.processed,
        receiveMs: this.hopTime[k].value,
        queueMs: a.queue.value,
        computeMs: a.compute.value,
        sendMs: a.send.value,
        bytesPerSample: a.bytes.value,
        ...(st.predictedComputeS !== undefined ? { predictedComputeMs: st.predictedComputeS * 1000 } : {}),
      };
    });
    const names = ['coordinator', ...this.plan.stages.map((s) => `stage ${s.id}`), 'coordinator'];
    const dag = this.plan.topology === 'dag' ? dagHopNames(this.plan) : undefined;
    const links: LinkSummary[] = this.hopTime.map((t, h) => ({
      from: names[h],
      to: dag ? dag[h] : names[h + 1],
      bytes: this.hopBytes[h].sum,
      // a DAG's scatter hop carries several messages per sample
      bytesPerSample: dag ? this.hopBytes[h].sum / Math.max(1, samples) : this.hopBytes[h].value,
      // hop times pair a stage's send with the next stage's receive: a chain's notion, not a DAG's
      communicationMs: dag ? NaN : t.value,
    }));
    if (dag) for (const st of stages) (st as { receiveMs: number }).receiveMs = NaN;
    const communicationMs = dag ? NaN : this.hopTime.reduce((s, t) => s + t.sum, 0);
    const computeMs = this.computeMs;
    const service = stages.map((s, k) => s.computeMs / Math.max(1, this.plan.stages[k].devices.length));
    const slowest = Math.max(...service);
    const wallMs = endMs - startMs;
    return {
      samples,
      wallMs,
      throughputPerS: wallMs > 0 ? (samples / wallMs) * 1000 : 0,
      steadyThroughputPerS:
        this.latency.count > 1 && this.lastDoneMs > this.firstDoneMs
          ? ((this.latency.count - 1) / (this.lastDoneMs - this.firstDoneMs)) * 1000
          : 0,
      latencyMs: {
        p50: quantile(this.reservoir, 0.5),
        p95: quantile(this.reservoir, 0.95),
        p99: quantile(this.reservoir, 0.99),
        mean: this.latency.value,
        max: this.latency.count ? this.latencyMax : NaN,
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
      boundThroughputPerS: slowest > 0 ? 1000 / slowest : 0,
    };
  }

  private mark(epoch: number, seq: number, side: 'up' | 'down', hop: number, ms: number): void {
    const key = `${epoch}:${seq}`;
    let j = this.joins.get(key);
    if (!j) {
      const n = this.plan.stages.length + 1;
      j = { up: new Array<number | undefined>(n), down: new Array<number | undefined>(n), open: n };
      this.joins.set(key, j);
      if (this.joins.size > (this.o.maxJoins ?? 16_384)) {
        this.joins.delete(this.joins.keys().next().value as string);
        this.evicted += 1;
      }
    }
    const had = j.up[hop] !== undefined && j.down[hop] !== undefined;
    j[side][hop] = ms;
    if (had || j.up[hop] === undefined || j.down[hop] === undefined) return;
    this.hopTime[hop].add(j.down[hop]! - j.up[hop]!);
    j.open -= 1;
    if (j.open === 0) this.joins.delete(key);
  }
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
