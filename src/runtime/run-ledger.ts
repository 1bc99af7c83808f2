/**
 * What the coordinator knows about a run's samples: which are in flight (first send time, outputs
 * that arrived so far), the in-order release of finished ones (deduplicated by seq), the streaming
 * statistics and, only when asked, every record (for a trace). Per-sample state is dropped as soon as
 * a sample is released, so memory follows the window, not the stream.
 */
import type { Tensor } from '../core/tensor.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import { perSampleRecords } from './micro-batch.js';
import type { TimelineTuple } from './protocol.js';
import { ReorderBuffer } from './reorder.js';
import type { RuntimePlan } from './routes.js';
import { RunStats } from './run-stats.js';
import { SampleAssembler } from './sample-assembler.js';
import type { NodeRecord, RunRecords, RunSummary, SendRecord } from './summary.js';

/** Options of {@link RunLedger}. */
export interface RunLedgerOptions {
  /** Keep every record (default true). */
  readonly keepRecords?: boolean;
  /** Keep every released output (default true). */
  readonly keepOutputs?: boolean;
  /** Sees each released sample, in order; `done` counts the released samples so far. */
  readonly onRelease?: (seq: number, outputs: Record<string, Tensor>, done: number) => void;
}

/** Where timeline records come from: a node's stage, device and clock offset (node minus coordinator). */
export interface TimelineSource {
  readonly stageIndex: number;
  readonly endpoint: { readonly device: string };
  readonly offset: { readonly offsetMs: number };
}

/** The coordinator's per-sample bookkeeping. */
export class RunLedger {
  /** Samples sent and not yet complete. */
  readonly incomplete = new Set<number>();
  /** Released outputs (empty unless keepOutputs). */
  readonly outputs: Record<string, Tensor>[] = [];
  readonly records: RunRecords = {
    startMs: 0,
    endMs: 0,
    nodes: [],
    sends: [],
    arrivals: [],
    firstSendMs: [],
    doneMs: [],
  };
  private readonly reorder = new ReorderBuffer<Record<string, Tensor>>();
  private readonly firstSend = new Map<number, number>();
  private readonly partials: SampleAssembler;
  private readonly stats: RunStats;
  private readonly keepRecords: boolean;

  constructor(
    private readonly plan: RuntimePlan,
    private readonly o: RunLedgerOptions = {},
  ) {
    this.stats = new RunStats(plan);
    this.partials = new SampleAssembler(plan.graphOutputs.length);
    this.keepRecords = o.keepRecords !== false;
  }

  /** Samples released in order. */
  get released(): number {
    return this.reorder.released;
  }

  /** Results dropped because their seq was already accepted. */
  get duplicates(): number {
    return this.reorder.duplicates;
  }

  /** A sample enters the pipeline. */
  start(seq: number, atMs: number): void {
    this.incomplete.add(seq);
    this.firstSend.set(seq, atMs);
  }

  sent(rec: SendRecord): void {
    this.stats.sent(rec);
    if (this.keepRecords) this.records.sends.push(rec);
  }

  node(rec: NodeRecord): void {
    this.stats.node(rec);
    if (this.keepRecords) this.records.nodes.push(rec);
  }

  /** A node's timeline records (node clock; `from.offset` converts), one per sample or micro-batch. */
  timeline(from: TimelineSource, records: readonly TimelineTuple[]): void {
    for (const batch of records) for (const r of perSampleRecords(batch)) this.node(toRecord(from, r));
  }

  /**
   * One output tensor of a sample arrived from `from`; returns true when it completed the sample
   * (which is then released in order). Late or duplicate outputs are ignored.
   */
  result(from: string, f: TensorFrame, atMs: number): boolean {
    if (this.reorder.has(f.seq) || !this.incomplete.has(f.seq)) return false;
    const got = this.partials.add(f.streamId, f.seq, f.name, f.tensor);
    if (!got) return false;
    this.partials.dropSeq(f.seq);
    const arrival = { epoch: f.streamId, seq: f.seq, ms: atMs, from };
    this.stats.arrived(arrival);
    this.incomplete.delete(f.seq);
    const sentAt = this.firstSend.get(f.seq) ?? NaN;
    this.firstSend.delete(f.seq);
    this.stats.delivered(atMs - sentAt, atMs);
    if (this.keepRecords) {
      this.records.arrivals.push(arrival);
      this.records.doneMs[f.seq] = atMs;
      this.records.firstSendMs[f.seq] = sentAt;
    }
    const released = this.reorder.push(f.seq, Object.fromEntries(got));
    const first = this.reorder.released - released.length;
    released.forEach((r, i) => {
      if (this.o.keepOutputs !== false) this.outputs.push(r);
      this.o.onRelease?.(first + i, r, first + i + 1);
    });
    return true;
  }

  /** The run's numbers between `startMs` and `endMs`. */
  summary(startMs: number, endMs: number): RunSummary {
    this.records.startMs = startMs;
    this.records.endMs = endMs;
    return this.stats.summary(this.reorder.released, startMs, endMs);
  }
}

function toRecord(l: TimelineSource, r: TimelineTuple): NodeRecord {
  const c = (t: number) => t - l.offset.offsetMs;
  return {
    stageIndex: l.stageIndex,
    device: l.endpoint.device,
    epoch: r[0],
    seq: r[1],
    received: c(r[2]),
    inferStart: c(r[3]),
    inferEnd: c(r[4]),
    sendStart: c(r[5]),
    sendEnd: c(r[6]),
    bytes: r[7],
    target: r[8],
  };
}
