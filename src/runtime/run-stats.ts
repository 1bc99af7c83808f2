/**
 * Streaming accumulators for a run's summary: every record is folded in as it arrives and then
 * forgotten, so memory is bounded by the samples in flight, not by the stream. A record may stand
 * for a micro-batch of `count` samples (seq, seq + 1, ...): it is folded in once, with the same
 * result as its per-sample records (each sample gets 1/count of the batch's intervals and bytes), so
 * the work is per frame, not per sample. Hop times need the upstream send start of the same (epoch,
 * seq), which may arrive in a later timeline batch: those joins wait in a map capped at `maxJoins`
 * (oldest evicted; a record of a killed node never completes its join). A micro-batch travels as
 * one frame through every stage, so its join is one entry keyed by its first seq. Latency percentiles come from a uniform reservoir sample of `reservoir`
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

/** A record standing for `count` samples (default 1) seq, seq + 1, ...; intervals and bytes are the batch's. */
export type Batched<T> = T & { readonly count?: number };

/**
 * A batch's arrival: `completed` of its `count` samples were new (default all), and `meanIndex` is
 * the mean position of those in the batch (default (count - 1) / 2, all of them).
 */
export type BatchedArrival = Batched<ArrivalRecord> & {
  readonly completed?: number;
  readonly meanIndex?: number;
};

const SEQS = 2 ** 32;

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
  add(x: number, n = 1): void {
    this.sum += x * n;
    this.count += n;
  }
  get value(): number {
    return this.count ? this.sum / this.count : 0;
  }
}

interface Join {
  /**
   * t[h]: send start that feeds hop h (h = 0: the coordinator; h = k + 1: stage k); t[hops + h]:
   * when hop h's receiver had the whole sample. NaN: not yet known.
   */
  readonly t: number[];
  open: number;
  /** Samples the joined frame carries. */
  count: number;
  /** Samples of it that arrived new at the coordinator (the last hop's weight), and their mean position. */
  arrived: number;
  arrivedIndex: number;
  /** The last stage's send interval per sample (to move its mean send start to the arrived samples'). */
  lastSlice: number;
}

/** Sides of a hop in a {@link Join}. */
const UP = 0;
const DOWN = 1;

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
  private readonly joins = new Map<number, Join>();
  /** Completed joins, reused: a join per sample would otherwise be two allocations per sample. */
  private readonly spareJoins: Join[] = [];
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

  /** The coordinator sent a sample's (or micro-batch's) inputs to an entry stage. */
  sent(s: Batched<SendRecord>): void {
    const c = s.count ?? 1;
    this.hopBytes[0].add(s.bytes / c, c);
    this.mark(s.epoch, s.seq, c, UP, 0, meanStart(s.sendStart, s.sendEnd, c));
  }

  /** A node's timeline record (coordinator clock); dropped samples (no target) do not count. */
  node(r: Batched<NodeRecord>): void {
    this.nodeFields(
      r.stageIndex,
      r.epoch,
      r.seq,
      r.received,
      r.inferStart,
      r.inferEnd,
      r.sendStart,
      r.sendEnd,
      r.bytes,
      r.target === '',
      r.count ?? 1,
    );
  }

  /**
   * {@link node} from the record's fields (coordinator clock; `dropped`: the sample went nowhere), as
   * the ledger reads them from a decoded timeline batch: no record object per sample and stage.
   */
  nodeFields(
    stageIndex: number,
    epoch: number,
    seq: number,
    received: number,
    inferStart: number,
    inferEnd: number,
    sendStart: number,
    sendEnd: number,
    bytes: number,
    dropped: boolean,
    c: number,
  ): void {
    this.computeMs += inferEnd - inferStart;
    if (dropped) return;
    const st = this.stages[stageIndex];
    if (!st) return;
    st.processed += c;
    st.queue.add(meanStart(inferStart, inferEnd, c) - received, c);
    st.compute.add((inferEnd - inferStart) / c, c);
    st.send.add((sendEnd - sendStart) / c, c);
    st.bytes.add(bytes / c, c);
    this.hopBytes[stageIndex + 1].add(bytes / c, c);
    // both sides from one join look-up (a second only when the first completed the join)
    const key = joinKey(epoch, seq);
    const j = this.join(key, c);
    const up = meanStart(sendStart, sendEnd, c);
    const slice = (sendEnd - sendStart) / c;
    const next = this.set(j, key, DOWN, stageIndex, received) ? this.join(key, c) : j;
    this.set(next, key, UP, stageIndex + 1, up, -1, NaN, slice);
  }

  /** A complete result (or micro-batch of results) reached the coordinator. */
  arrived(a: BatchedArrival): void {
    const c = a.count ?? 1;
    this.arrivedFrame(a.epoch, a.seq, a.ms, c, a.completed ?? c, a.meanIndex ?? NaN);
  }

  /**
   * {@link arrived} without the record: `completed` of the frame's `count` samples were new, at
   * mean position `meanIndex` (NaN: (count - 1) / 2).
   */
  arrivedFrame(
    epoch: number,
    seq: number,
    ms: number,
    count: number,
    completed: number,
    meanIndex: number,
  ): void {
    this.mark(epoch, seq, count, DOWN, this.plan.stages.length, ms, completed, meanIndex);
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

  /**
   * Sets one side of hop `hop` of the frame (epoch, seq) carrying `count` samples; `ms` is the mean
   * over its samples, so the hop time added `count` times is the per-sample mean. `arrived` (-1:
   * unset) is how many samples of it the coordinator took as new (the last hop's weight),
   * `arrivedIndex` (NaN: unset) their mean position, `slice` (NaN: unset) an up side's send
   * interval per sample. Positional, not an options object: this runs several times per frame.
   */
  private mark(
    epoch: number,
    seq: number,
    count: number,
    side: number,
    hop: number,
    ms: number,
    arrived = -1,
    arrivedIndex = NaN,
    slice = NaN,
  ): void {
    const key = joinKey(epoch, seq);
    this.set(this.join(key, count), key, side, hop, ms, arrived, arrivedIndex, slice);
  }

  /** The pending join of `key` (a frame of `count` samples), made (oldest evicted past `maxJoins`) if there is none. */
  private join(key: number, count: number): Join {
    const n = this.plan.stages.length + 1;
    let j = this.joins.get(key);
    if (!j) {
      j = this.spareJoins.pop();
      if (j) {
        // a loop, not fill(): Array.prototype.fill is a call into the runtime, once per sample
        for (let i = 0; i < j.t.length; i++) j.t[i] = NaN;
        j.open = n;
        j.count = count;
        j.arrived = count;
        j.arrivedIndex = (count - 1) / 2;
        j.lastSlice = 0;
      } else
        j = {
          t: new Array<number>(2 * n).fill(NaN),
          open: n,
          count,
          arrived: count,
          arrivedIndex: (count - 1) / 2,
          lastSlice: 0,
        };
      this.joins.set(key, j);
      if (this.joins.size > (this.o.maxJoins ?? 16_384)) {
        this.joins.delete(this.joins.keys().next().value as number);
        this.evicted += 1;
      }
    }
    return j;
  }

  /** {@link mark} on the join `j` of `key`; returns true when that completed (and dropped) it. */
  private set(
    j: Join,
    key: number,
    side: number,
    hop: number,
    ms: number,
    arrived = -1,
    arrivedIndex = NaN,
    slice = NaN,
  ): boolean {
    const n = this.plan.stages.length + 1;
    const last = hop === this.plan.stages.length;
    if (arrived >= 0) j.arrived = arrived;
    if (!Number.isNaN(arrivedIndex)) j.arrivedIndex = arrivedIndex;
    if (last && !Number.isNaN(slice)) j.lastSlice = slice;
    const t = j.t;
    const had = !Number.isNaN(t[hop]) && !Number.isNaN(t[n + hop]);
    t[side * n + hop] = ms;
    const up = t[hop];
    const down = t[n + hop];
    if (had || Number.isNaN(up) || Number.isNaN(down)) return false;
    if (!last) this.hopTime[hop].add(down - up, j.count);
    else if (j.arrived > 0) {
      // the samples that arrived new may be a subset: their mean send start, not the batch's
      this.hopTime[hop].add(down - (up + j.lastSlice * (j.arrivedIndex - (j.count - 1) / 2)), j.arrived);
    }
    j.open -= 1;
    if (j.open > 0) return false;
    this.joins.delete(key);
    if (this.spareJoins.length < 64) this.spareJoins.push(j);
    return true;
  }
}

/**
 * A join's map key, unique per (epoch, seq): a small integer while epoch < 2^10 and seq < 2^20 (V8
 * hashes it inline and stores it unboxed), else a negative number.
 */
function joinKey(epoch: number, seq: number): number {
  return epoch < 1024 && seq < 1_048_576 ? epoch * 1_048_576 + seq : -(epoch * SEQS + seq) - 1;
}

/** Mean start of `count` equal consecutive slices of [start, end). */
function meanStart(start: number, end: number, count: number): number {
  return count > 1 ? start + ((end - start) / count) * ((count - 1) / 2) : start;
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
