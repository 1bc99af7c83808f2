/**
 * A stage node's inference loop: samples whose tensors all arrived wait in a short ready queue, one
 * runs at a time (one device, one inference), its outputs go downstream and its passage is recorded
 * in the node's timeline, which is flushed to the coordinator in batches. A full ready queue makes
 * {@link StageWorker.push} wait, and the connection reader awaiting it stops reading: that is how
 * backpressure reaches the upstream stage.
 */
import type { InferenceSession } from '../backend/backend.js';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Frame, TensorFrame } from '../transport/codec/frame.js';
import type { Connection } from '../transport/transport.js';
import { nowMs } from './clock.js';
import type { AssignMessage } from './protocol.js';
import type { Pacer } from './pacing.js';
import type { SampleAssembler } from './sample-assembler.js';
import { sampleFrames } from './sample-assembler.js';
import { TIMELINE_TENSOR_NAME, TimelineWriter } from './timeline-codec.js';

/** A node's current stage: the assignment, its loaded session and where its samples come together. */
export interface Assignment extends AssignMessage {
  readonly session: InferenceSession;
  readonly coordinator: Connection;
  readonly expectSet: ReadonlySet<string>;
  readonly assembler: SampleAssembler;
  /** The stage expects exactly its model's inputs: a sample's tensors are the model's feeds as they are. */
  readonly feedsAreInputs: boolean;
}

/** A sample (or micro-batch) with every expected tensor, waiting for inference. */
export interface ReadySample {
  readonly epoch: number;
  readonly seq: number;
  /** Its tensors by name (every name the stage expects). */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** Node clock when its last tensor arrived. */
  readonly received: number;
}

/** Holds and releases the frames a node sends (`Connection.cork` / `uncork` on its connections). */
export interface OutputHold {
  cork(): void;
  uncork(): void;
}

/** What {@link StageWorker} needs from its node. */
export interface StageWorkerOptions {
  /** Samples held ready before {@link StageWorker.push} waits (default 2). */
  readonly maxReady?: number;
  readonly pacer?: Pacer;
  /** Frames carry an AEAD tag rather than a CRC (for the bytes a record counts). */
  readonly keyed: boolean;
  readonly log: (line: string) => void;
  /** The node's assignment now (undefined: none; queued samples are dropped). */
  readonly assignment: () => Assignment | undefined;
  /** The node's failover epoch now: samples of an older one are dropped. */
  readonly epoch: () => number;
  /** Sends one sample's frames downstream; resolves with the receiver, or undefined when nobody took them. */
  readonly send: (a: Assignment, frames: TensorFrame[], seq: number) => Promise<string | undefined>;
  /** Sends a frame to the coordinator without throwing. */
  readonly sendQuiet: (conn: Connection, frame: Frame) => Promise<void>;
  /**
   * At batch 1, while more samples wait, their outputs are held and written together (at most
   * the assignment's `holdMax` samples, released as soon as the queue runs dry). Absent: every sample's
   * outputs go at once. Not for emulated links or paced devices (the twin times every frame), nor
   * micro-batches (a frame already carries k samples; holding 8 would delay 8k).
   */
  readonly hold?: OutputHold;
}

/** Runs ready samples one at a time and records them. */
export class StageWorker {
  /** Samples run (a micro-batch counts its samples). */
  processed = 0;
  /** Samples dropped here (stale epoch, no assignment, failed inference). */
  dropped = 0;
  private readonly ready: ReadySample[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private wakeWorker: (() => void) | undefined;
  private readonly timeline = new TimelineWriter();
  private readonly maxReady: number;
  private closed = false;
  /** Samples whose outputs the hold keeps, and how many it may (the assignment's `holdMax` when it corked). */
  private held = 0;
  private holdMax = 0;

  constructor(private readonly o: StageWorkerOptions) {
    this.maxReady = o.maxReady ?? 2;
  }

  /** Samples waiting for inference. */
  get pending(): number {
    return this.ready.length;
  }

  /**
   * Queues a complete sample. Returns undefined when the queue still has room, else {@link room}'s
   * promise: no promise per sample in the common case.
   */
  push(item: ReadySample): Promise<void> | undefined {
    this.ready.push(item);
    this.wakeWorker?.();
    return this.room();
  }

  /**
   * Undefined while the queue has room (or the worker stopped); else a promise that settles at the
   * next chance of room, after which the caller asks again (another reader may have taken it).
   */
  room(): Promise<void> | undefined {
    if (this.ready.length < this.maxReady || this.closed) return undefined;
    return new Promise<void>((r) => this.spaceWaiters.push(r));
  }

  /** Drops queued samples and unsent timeline records, and releases every waiting reader. */
  clear(): void {
    this.ready.length = 0;
    this.timeline.clear();
    this.releaseReaders();
  }

  /** Stops the loop. */
  stop(): void {
    this.closed = true;
    this.wakeWorker?.();
    this.releaseReaders();
  }

  /** Wakes every reader blocked in {@link push}; each re-checks the queue. */
  private releaseReaders(): void {
    if (this.spaceWaiters.length === 0) return;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  /** The loop: runs until {@link stop}. One async frame per sample: inference and send are awaited inline. */
  async run(): Promise<void> {
    while (!this.closed) {
      const item = this.ready.shift();
      if (!item) {
        this.release(true);
        await new Promise<void>((r) => (this.wakeWorker = r));
        this.wakeWorker = undefined;
        continue;
      }
      // every blocked reader re-checks: waking only one lets a reader that re-blocked swallow the wake
      // of another, which then never reads again (the hedged-run stall of issue 13)
      this.releaseReaders();
      const a = this.o.assignment();
      if (!a || item.epoch < this.o.epoch()) {
        this.dropped += 1;
        continue;
      }
      try {
        let inferStart = nowMs();
        const out = await a.session.run(a.feedsAreInputs ? item.feeds : modelFeeds(a, item));
        let inferEnd = nowMs();
        if (this.o.pacer && a.pacing) {
          // only a paced device waits here: an unpaced sample goes on without another await
          const paced = await this.o.pacer.pace(inferStart, inferEnd, a.pacing);
          inferStart = paced.start;
          inferEnd = paced.end;
        }
        const feeds = item.feeds;
        const { frames, bytes } = sampleFrames(
          item.epoch,
          item.seq,
          a.sends,
          (name) => out[name] ?? feeds[name],
          this.o.keyed,
          this.missing,
        );
        const sendStart = nowMs();
        if (a.batch === 1 && !a.pacing && a.holdMax > 1) this.keep(a.holdMax);
        const target = await this.o.send(a, frames, item.seq);
        this.record(a, item, inferStart, inferEnd, sendStart, target, bytes);
        if (this.timeline.length >= a.timelineBatch) await this.flushTimeline();
      } catch (err) {
        this.dropped += 1;
        this.o.log(`seq ${item.seq}: ${errorMessage(err)}`);
      }
      this.release(false);
    }
    this.release(true);
  }

  /** Before a send: when more samples wait, its outputs join the held ones (at most `max`). */
  private keep(max: number): void {
    if (!this.o.hold) return;
    if (this.held === 0) {
      if (this.ready.length === 0) return;
      this.holdMax = max;
      this.o.hold.cork();
    }
    this.held += 1;
  }

  /** After a send: the held outputs go once no sample waits, the cap is reached, or `now`. */
  private release(now: boolean): void {
    if (this.held === 0 || !(now || this.ready.length === 0 || this.held >= this.holdMax)) return;
    this.held = 0;
    this.o.hold!.uncork();
  }

  /** Counts a sample (or micro-batch) run and adds its timeline record. */
  private record(
    a: Assignment,
    item: ReadySample,
    inferStart: number,
    inferEnd: number,
    sendStart: number,
    target: string | undefined,
    bytes: number,
  ): void {
    const sendEnd = nowMs();
    const count = a.batch > 1 ? (item.feeds[a.expects[0]]?.dims[0] ?? 1) : 1;
    this.processed += count;
    this.timeline.push(
      item.epoch,
      item.seq,
      item.received,
      inferStart,
      inferEnd,
      sendStart,
      sendEnd,
      target ? bytes : 0,
      target ?? '',
      count,
    );
  }

  /** Sends the timeline records not sent yet to the coordinator, as one binary frame. */
  async flushTimeline(): Promise<void> {
    const a = this.o.assignment();
    if (!a || this.timeline.length === 0) return;
    const data = this.timeline.take();
    await this.o.sendQuiet(a.coordinator, {
      type: 'tensor',
      streamId: 0,
      seq: 0,
      name: TIMELINE_TENSOR_NAME,
      tensor: { dtype: 'uint8', dims: [data.byteLength], data },
      wire: 'native',
    });
  }

  private readonly missing = (name: string): EdgesplitError =>
    new EdgesplitError(
      'E_PLAN',
      `stage ${this.o.assignment()?.stageId} must send '${name}' but neither its model nor its inputs have it`,
    );
}

/** The model's inputs among a sample's tensors (the stage also receives tensors it only forwards). */
function modelFeeds(a: Assignment, item: ReadySample): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const n of a.modelInputs) feeds[n] = item.feeds[n];
  return feeds;
}
