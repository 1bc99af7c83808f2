/**
 * The coordinator's input side: sends consecutive samples (one micro-batch) to every entry stage
 * (stage 0 of a chain; every entry of a DAG, whose branches are independent), stacking their inputs,
 * choosing the replica (least loaded, or pinned by seq in a DAG so a gather gets all of a sample),
 * hedging branch inputs when asked, and recording each send in the ledger.
 */
import { EdgesplitError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { TensorFrame, WireEncoding } from '../transport/codec/frame.js';
import { nowMs } from './clock.js';
import { firstSuccess, hedgeTargets } from './hedge.js';
import type { SampleSource } from './coordinator.js';
import { stackTensors } from './micro-batch.js';
import type { NodeLink } from './node-link.js';
import { seqReplica, type ReplicaPicker, type ReplicaPolicy } from './replica-picker.js';
import type { RuntimePlan, StageRoute } from './routes.js';
import type { RunLedger } from './run-ledger.js';
import { sampleFrames } from './sample-assembler.js';
import { sendFrames } from './downstream.js';

/** What {@link EntrySender} reads from its coordinator. */
export interface EntrySenderOptions {
  readonly plan: RuntimePlan;
  readonly routes: readonly StageRoute[];
  /** Stages the coordinator feeds. */
  readonly entries: readonly number[];
  readonly samples: SampleSource;
  readonly picker: ReplicaPicker;
  /** Replica choice: `seq` (and every DAG branch) pins replica floor(seq / batch) mod count. */
  readonly policy: ReplicaPolicy;
  /** Samples per micro-batch. */
  readonly batch: number;
  readonly ledger: RunLedger;
  /** Hedged DAG runs: a branch fed only by the coordinator gets each sample on every replica. */
  readonly hedge: boolean;
  /** Frames carry an AEAD tag rather than a CRC (for the bytes a send counts). */
  readonly keyed: boolean;
  /** The run's node links now. */
  readonly links: () => readonly NodeLink[];
  /** Samples in flight at most (a hedged replica with more sends waiting is a straggler). */
  readonly window: () => number;
  /**
   * Micro-batches admitted together (default 1): a send waits until the window has room for this
   * many, so they share one write and one record instead of one each (see {@link EntrySender.fill}).
   */
  readonly admit?: number;
  /** The run's failover epoch now. */
  readonly epoch: () => number;
  /** Waits for `p` unless the run fails first. */
  readonly guard: <T>(p: Promise<T>) => Promise<T>;
  /** True while no new sample may be sent (a failover in progress, or the run failed). */
  readonly held: () => boolean;
  /** Fails the run (a sample that cannot be sent). */
  readonly fail: (err: Error) => void;
}

/** Sends samples into the pipeline. */
export class EntrySender {
  /** Per entry stage: the tensors the coordinator sends it, with their wire precision. */
  private readonly entrySends: ReadonlyMap<number, readonly { name: string; wire: WireEncoding }[]>;
  /** The first seq not sent yet. */
  private nextSeq = 0;
  /** A hedged send under way: the next sample waits for it. */
  private hedging: Promise<void> | undefined;
  private readonly admit: number;
  /** Per entry stage: its live nodes, and the run's link list (and its length) they were taken from. */
  private readonly replicas = new Map<
    number,
    { links: readonly NodeLink[]; count: number; nodes: readonly NodeLink[] }
  >();

  constructor(private readonly o: EntrySenderOptions) {
    this.admit = Math.max(1, Math.floor(o.admit ?? 1));
    this.entrySends = new Map(
      o.entries.map((k) => [
        k,
        (o.routes[k].fromCoordinator ?? o.routes[k].expects).map((name) => ({
          name,
          wire: o.plan.graphInputs.find((g) => g.name === name)?.wire ?? 'fp32',
        })),
      ]),
    );
  }

  /**
   * Sends the next samples while the window admits them (called at the start, after each completed
   * result and after a failover: where room appears, so nothing waits per sample). With `admit` > 1
   * it starts only once there is room for that many micro-batches (or for all that are left): at
   * batch 1 results mostly arrive one per read, so refilling each slot as it frees would cost one
   * write and one record per sample here and one read and record at the entry node. A hedged send
   * is waited for before the next one; a sample that cannot be sent fails the run.
   */
  fill(): void {
    const { count } = this.o.samples;
    const k = this.o.batch;
    const window = this.o.window();
    let started = false;
    try {
      while (!this.hedging && !this.o.held() && this.nextSeq < count) {
        const first = this.nextSeq;
        const n = Math.min(k, count - first);
        const room = window - this.o.ledger.incomplete.size;
        if (room < n) return;
        // the group is capped by the window, so an empty pipeline always admits
        if (!started && room < count - first && room < Math.min(this.admit, Math.floor(window / n)) * n)
          return;
        started = true;
        const seqs = n === 1 ? [first] : Array.from({ length: n }, (_, i) => first + i);
        this.nextSeq += n;
        const at = nowMs();
        for (const seq of seqs) this.o.ledger.start(seq, at);
        const hedged = this.send(seqs);
        if (hedged)
          this.hedging = hedged.then(
            () => {
              this.hedging = undefined;
              this.fill();
            },
            (err: unknown) => this.o.fail(asError(err)),
          );
      }
    } catch (err) {
      this.o.fail(asError(err));
    }
  }

  /**
   * Sends consecutive samples (one micro-batch) to every entry stage. Returns undefined when nothing
   * needs waiting for: an unhedged send is only queued on its connection (its ledger record is made
   * once the transport took it), so samples the window admits in one turn share one write and record.
   * Returns a promise while a hedged send is under way.
   */
  send(seqs: readonly number[]): Promise<void> | undefined {
    const { samples, entries } = this.o;
    // a contiguous source hands out a micro-batch as one view; otherwise its samples are stacked
    const all =
      seqs.length === 1
        ? [samples.input(seqs[0])]
        : samples.inputs
          ? [samples.inputs(seqs[0], seqs.length)]
          : seqs.map((s) => samples.input(s));
    if (entries.length === 1) return this.sendToStage(seqs, entries[0], all);
    const waits: Promise<void>[] = [];
    for (const k of entries) {
      const w = this.sendToStage(seqs, k, all);
      if (w) waits.push(w);
    }
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
  }

  private sendToStage(
    seqs: readonly number[],
    k: number,
    all: readonly Record<string, Tensor>[],
  ): Promise<void> | undefined {
    const seq = seqs[0];
    const sends = this.entrySends.get(k)!;
    const route = this.o.routes[k];
    const hedgeable = this.o.hedge && route.fanout !== undefined;
    // one sample's inputs are its own tensors; a micro-batch's (or a hedge check's) are stacked by name
    const inputs = all.length === 1 && !hedgeable ? all[0] : stackedInputs(sends, all);
    const replicas = this.replicasOf(k);
    // DAG: the replica is pinned by seq, as the upstream branches pin theirs, so a gather gets all of a sample
    const i =
      route.fanout || this.o.policy === 'seq'
        ? seqReplica(seq, this.o.batch, replicas.length)
        : this.o.picker.pick(
            replicas.length,
            (j) => (replicas[j].data ?? replicas[j].conn).stats().inFlightFrames,
          );
    if (i < 0) return; // every node of the stage is dead; the failover re-sends these samples
    const epoch = this.o.epoch();
    const { frames, bytes } = sampleFrames(
      epoch,
      seq,
      sends,
      (name) => inputs[name],
      this.o.keyed,
      (name) =>
        new EdgesplitError(
          'E_DATA',
          `sample ${seq} has no input '${name}' (has ${Object.keys(all[0]).join(', ')})`,
        ),
    );
    // hedged: a branch fed only by the coordinator gets the sample on every replica; the gather keeps the first
    if (!(hedgeable && route.expects.every((n) => n in inputs))) {
      this.post(replicas[i], frames, epoch, seqs, bytes);
      return;
    }
    const targets = hedgeTargets(replicas, (l) => (l.data ?? l.conn).stats().pendingSends, this.o.window());
    // on as soon as one replica took it, the other copies finish in the background
    return firstSuccess(targets.map((link) => this.sendTo(link, frames, epoch, seqs, bytes))).then(
      () => undefined,
    );
  }

  /**
   * The live nodes of stage `k`, kept between sends: made anew when the run's links changed (a
   * failover) or one of them died, not filtered from every link per sample.
   */
  private replicasOf(k: number): readonly NodeLink[] {
    const links = this.o.links();
    const c = this.replicas.get(k);
    if (c && c.links === links && c.count === links.length && c.nodes.every((l) => l.alive)) return c.nodes;
    const nodes = links.filter((l) => l.alive && l.stageIndex === k);
    this.replicas.set(k, { links, count: links.length, nodes });
    return nodes;
  }

  /**
   * Queues one sample's (or micro-batch's) frames on `link` without waiting: the ledger records the
   * send once the transport took it; a failure (the node died: its failover re-sends) records nothing.
   */
  private post(
    link: NodeLink,
    frames: readonly TensorFrame[],
    epoch: number,
    seqs: readonly number[],
    bytes: number,
  ): void {
    const start = nowMs();
    sendFrames(link.data ?? link.conn, frames).then(
      () => this.record(link, epoch, seqs, bytes, start),
      () => undefined,
    );
  }

  /** Sends one sample's (or micro-batch's) frames to `link`; false when the node died or the run failed meanwhile. */
  private async sendTo(
    link: NodeLink,
    frames: readonly TensorFrame[],
    epoch: number,
    seqs: readonly number[],
    bytes: number,
  ): Promise<boolean> {
    const start = nowMs();
    try {
      await this.o.guard(sendFrames(link.data ?? link.conn, frames));
      this.record(link, epoch, seqs, bytes, start);
      return true;
    } catch {
      // the node died or stalled while we sent (its failover re-sends), or the run failed
      return false;
    }
  }

  private record(link: NodeLink, epoch: number, seqs: readonly number[], bytes: number, start: number): void {
    this.o.ledger.sent({
      epoch,
      seq: seqs[0],
      count: seqs.length,
      sendStart: start,
      sendEnd: nowMs(),
      bytes,
      target: link.endpoint.device,
    });
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The tensors of `sends` present in every sample of `all`, stacked along the first dim. */
function stackedInputs(
  sends: readonly { readonly name: string }[],
  all: readonly Record<string, Tensor>[],
): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  for (const { name } of sends)
    if (all.every((x) => x[name]))
      inputs[name] = stackTensors(
        name,
        all.map((x) => x[name]),
      );
  return inputs;
}
