/**
 * What the coordinator knows about a run's samples: which are in flight (first send time, outputs
 * that arrived so far), the in-order release of finished ones (deduplicated by seq), the streaming
 * statistics and, only when asked, every record (for a trace). Per-sample state is dropped as soon as
 * a sample is released, so memory follows the window, not the stream. Sends, timeline records and
 * results of a micro-batch are taken per frame; only the release stays per sample.
 */
import type { Tensor } from '../core/tensor.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import { perSampleRecords, unstackTensor, type BatchNodeRecord } from './micro-batch.js';
import { ReorderBuffer } from './reorder.js';
import type { RuntimePlan } from './routes.js';
import { RunStats, type Batched } from './run-stats.js';
import { SampleAssembler } from './sample-assembler.js';
import type { RunRecords, RunSummary, SendRecord } from './summary.js';
import { TIMELINE_FIELDS, type TimelineBatch } from './timeline-codec.js';

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
  /** The plan has one graph output, so every result tensor completes its samples. */
  private readonly singleOutput: boolean;
  /** That output's name as a property key (internalised). */
  private readonly outputName: string;

  constructor(
    private readonly plan: RuntimePlan,
    private readonly o: RunLedgerOptions = {},
  ) {
    this.stats = new RunStats(plan);
    this.partials = new SampleAssembler(plan.graphOutputs.length);
    this.keepRecords = o.keepRecords !== false;
    this.singleOutput = plan.graphOutputs.length === 1;
    this.outputName = Object.keys({ [plan.graphOutputs[0] ?? '']: 0 })[0];
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

  /** Inputs of `count` samples (seq, seq + 1, ...) went out as one frame; intervals and bytes are the frame's. */
  sent(rec: Batched<SendRecord>): void {
    this.stats.sent(rec);
    if (!this.keepRecords) return;
    const c = rec.count ?? 1;
    const d = (rec.sendEnd - rec.sendStart) / c;
    for (let j = 0; j < c; j++)
      this.records.sends.push({
        epoch: rec.epoch,
        seq: rec.seq + j,
        sendStart: rec.sendStart + j * d,
        sendEnd: rec.sendStart + (j + 1) * d,
        bytes: rec.bytes / c,
        target: rec.target,
      });
  }

  /** A node's timeline records (node clock; `from.offset` converts), one per sample or micro-batch. */
  timeline(from: TimelineSource, batch: TimelineBatch): void {
    const v = batch.values;
    const off = from.offset.offsetMs;
    for (let r = 0, o = 0; r < batch.records; r++, o += TIMELINE_FIELDS.length) {
      const epoch = v[o];
      const seq = v[o + 1];
      const received = v[o + 2] - off;
      const inferStart = v[o + 3] - off;
      const inferEnd = v[o + 4] - off;
      const sendStart = v[o + 5] - off;
      const sendEnd = v[o + 6] - off;
      const bytes = v[o + 7];
      const t = v[o + 8];
      const count = v[o + 9];
      const si = from.stageIndex;
      this.stats.nodeFields(
        si,
        epoch,
        seq,
        received,
        inferStart,
        inferEnd,
        sendStart,
        sendEnd,
        bytes,
        t < 0,
        count,
      );
      if (!this.keepRecords) continue;
      const target = t < 0 ? '' : batch.targets[t];
      const rec: BatchNodeRecord = {
        stageIndex: si,
        device: from.endpoint.device,
        epoch,
        seq,
        received,
        inferStart,
        inferEnd,
        sendStart,
        sendEnd,
        bytes,
        target,
        count,
      };
      this.records.nodes.push(...perSampleRecords(rec));
    }
  }

  /**
   * One output tensor of a sample, or (`batched`) of a micro-batch of dims[0] samples, arrived from
   * `from`; returns true when it completed samples (which are then released in order). Late or
   * duplicate outputs are ignored.
   */
  result(from: string, f: TensorFrame, atMs: number, batched = false): boolean {
    if (!batched && this.singleOutput) return this.resultOfOne(from, f, atMs);
    const count = batched ? (f.tensor.dims[0] ?? 1) : 1;
    let wanted = false;
    for (let i = 0; i < count && !wanted; i++) wanted = this.wanted(f.seq + i);
    if (!wanted) return false;
    const got = this.partials.add(f.streamId, f.seq, f.name, f.tensor);
    if (!got) return false;
    if (this.partials.size > 0) this.partials.dropSeq(f.seq);
    const names = Object.keys(got);
    const tensors = names.map((n) => got[n]);
    const parts = batched ? tensors.map((t) => unstackTensor(t)) : undefined;
    let completed = 0;
    let indexSum = 0;
    for (let i = 0; i < count; i++) {
      const seq = f.seq + i;
      if (!this.wanted(seq)) continue;
      completed += 1;
      indexSum += i;
      const outputs: Record<string, Tensor> = {};
      for (let k = 0; k < names.length; k++) outputs[names[k]] = parts ? parts[k][i] : tensors[k];
      this.accept(from, f.streamId, seq, atMs, outputs);
    }
    this.stats.arrivedFrame(f.streamId, f.seq, atMs, count, completed, indexSum / completed);
    return true;
  }

  /** {@link result} of one sample's only output tensor (batch 1, one graph output): no arrays per result. */
  private resultOfOne(from: string, f: TensorFrame, atMs: number): boolean {
    if (!this.wanted(f.seq)) return false;
    // not `{ [f.name]: f.tensor }` (a runtime call per result), and keyed by the plan's own string
    // when it is that name: a name decoded from the wire is a fresh string, a megamorphic store
    const outputs: Record<string, Tensor> = {};
    outputs[f.name === this.outputName ? this.outputName : f.name] = f.tensor;
    this.accept(from, f.streamId, f.seq, atMs, outputs);
    this.stats.arrivedFrame(f.streamId, f.seq, atMs, 1, 1, 0);
    return true;
  }

  /** Takes a sample's complete outputs: it is no longer in flight, and is released in order. */
  private accept(
    from: string,
    epoch: number,
    seq: number,
    atMs: number,
    outputs: Record<string, Tensor>,
  ): void {
    this.incomplete.delete(seq);
    const sentAt = this.firstSend.get(seq) ?? NaN;
    this.firstSend.delete(seq);
    this.stats.delivered(atMs - sentAt, atMs);
    if (this.keepRecords) {
      this.records.arrivals.push({ epoch, seq, ms: atMs, from });
      this.records.doneMs[seq] = atMs;
      this.records.firstSendMs[seq] = sentAt;
    }
    this.reorder.offer(seq, outputs, this.onReleased);
  }

  /** True while `seq` is in flight and not yet accepted. */
  private wanted(seq: number): boolean {
    return !this.reorder.has(seq) && this.incomplete.has(seq);
  }

  /** Sees each result the reorder buffer releases, in order. */
  private readonly onReleased = (outputs: Record<string, Tensor>, seq: number): void => {
    if (this.o.keepOutputs !== false) this.outputs.push(outputs);
    this.o.onRelease?.(seq, outputs, seq + 1);
  };

  /** The run's numbers between `startMs` and `endMs`. */
  summary(startMs: number, endMs: number): RunSummary {
    this.records.startMs = startMs;
    this.records.endMs = endMs;
    return this.stats.summary(this.reorder.released, startMs, endMs);
  }
}
