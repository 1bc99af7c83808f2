/**
 * The coordinator: assigns stages to nodes, streams samples through the pipeline with a bounded
 * in-flight window, releases results in order (deduplicated by seq) and recovers from dead or
 * stalled nodes: a replica takes over or a new node is started, upstream nodes get the new peers,
 * and every incomplete sample is re-sent from stage 0 under a new epoch (late outputs of the old
 * epoch are dropped). Per-sample state lives only while a sample is in flight; results stream to
 * `onResult` and statistics to streaming accumulators. Every run ends: on success, or with a
 * {@link RunFailedError} counting what was delivered, having closed every connection it opened.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import type { ConnectionOptions, Transport } from '../transport/transport.js';
import { nowMs } from './clock.js';
import { ControlLinks } from './control-links.js';
import { tensorFrameBytes } from './frame-size.js';
import type { NodeEndpoint, NodeLink } from './node-link.js';
import type { NodePool } from './node-pool.js';
import { COORDINATOR_ADDRESS, MODEL_TENSOR_NAME } from './protocol.js';
import { ReorderBuffer } from './reorder.js';
import { ReplicaPicker, type ReplicaPolicy } from './replica-picker.js';
import { stageRoutes, type RuntimePlan, type StageRoute } from './routes.js';
import { RunFailedError } from './run-failed.js';
import { RunStats } from './run-stats.js';
import { StallWatch } from './stall-watch.js';
import type { NodeRecord, RunRecords, RunSummary } from './summary.js';

/** The samples to stream: inputs by index, optional labels. */
export interface SampleSource {
  readonly count: number;
  /** Graph inputs of sample i (batch 1). */
  input(i: number): Record<string, Tensor>;
  label?(i: number): number | undefined;
}

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions {
  readonly plan: RuntimePlan;
  readonly samples: SampleSource;
  readonly pool: NodePool;
  readonly transport: Transport;
  /** Key for the control connections to nodes (never link-emulated: nodes emulate stage-to-stage links). */
  readonly connection?: ConnectionOptions;
  /** Samples in flight at most (default 2 per node + 2). */
  readonly window?: number;
  readonly policy?: ReplicaPolicy;
  /** Clock pings per node at connect (default 8). */
  readonly clockPings?: number;
  /**
   * A node that sends nothing (no output, no health reply) for this long is treated as dead and
   * failed over (default 10 s); the run fails when no sample is delivered for 3 times this.
   */
  readonly stallTimeoutMs?: number;
  /** Link id every node must emulate; undefined: the nodes must agree and theirs is reported. */
  readonly expectLink?: string;
  /** Aborts the run (SIGINT): it fails promptly with the delivered count. */
  readonly signal?: AbortSignal;
  /** Timeline records per control frame from nodes (default 64). */
  readonly timelineBatch?: number;
  /** Called after each in-order release. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Each sample's outputs, in order, as it is released (streaming; nothing is kept for it). */
  readonly onResult?: (seq: number, outputs: Record<string, Tensor>) => void;
  /** Keep every sample's outputs in the result (default true; memory grows with the stream). */
  readonly keepOutputs?: boolean;
  /** Keep every timeline record in the result, e.g. for a trace (default true; grows with the stream). */
  readonly keepRecords?: boolean;
  readonly log?: (line: string) => void;
}

/** A node that died and what replaced it. */
export interface FailoverEvent {
  readonly device: string;
  readonly stageIndex: number;
  readonly reason: string;
  /** "replica" when live replicas took over, else the new node's address. */
  readonly replacedBy: string;
  readonly resent: number;
  readonly atMs: number;
}

/** What {@link runPipeline} returns. */
export interface PipelineRun extends RunRecords {
  /** Numbers of the run, from streaming accumulators (complete even when records are not kept). */
  readonly summary: RunSummary;
  /** The link the nodes emulate. */
  readonly link: string;
  /** Outputs of each sample in order (empty when keepOutputs is false). */
  readonly outputs: Record<string, Tensor>[];
  readonly samples: number;
  /** Samples never delivered (0 on success; the run throws otherwise). */
  readonly lost: number;
  /** Results dropped because their seq had already been delivered. */
  readonly duplicates: number;
  readonly failovers: readonly FailoverEvent[];
}

interface Pending {
  resolve: () => void;
}

/** Runs samples through a plan on the pool's nodes. Always closes the pool and every connection. */
export async function runPipeline(o: RunPipelineOptions): Promise<PipelineRun> {
  const c = new Coordinator(o);
  try {
    return await c.run();
  } catch (err) {
    throw RunFailedError.from(err, c.delivered, o.samples.count);
  } finally {
    await c.shutdown();
  }
}

/** Default stall timeout, ms. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;

class Coordinator {
  private readonly routes: StageRoute[];
  private readonly runId = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private links: NodeLink[] = [];
  private readonly control: ControlLinks;
  private readonly watch: StallWatch;
  private readonly stallMs: number;
  private epoch = 1;
  private readonly models: Uint8Array[] = [];
  private readonly reorder = new ReorderBuffer<Record<string, Tensor>>();
  private readonly incomplete = new Set<number>();
  private readonly firstSend = new Map<number, number>();
  private readonly partials = new Map<string, Map<string, Tensor>>();
  private readonly outputs: Record<string, Tensor>[] = [];
  private readonly picker: ReplicaPicker;
  private readonly waiters: Pending[] = [];
  private failover: Promise<void> = Promise.resolve();
  private paused = false;
  private finishing = false;
  private fatal: Error | undefined;
  private failAborted!: (err: Error) => void;
  /** Rejects once the run failed, so no send waits on a dead or stalled node forever. */
  private readonly aborted = new Promise<never>((_, reject) => (this.failAborted = reject));
  private readonly failovers: FailoverEvent[] = [];
  private readonly stats: RunStats;
  private readonly records: RunRecords = {
    startMs: 0,
    endMs: 0,
    nodes: [],
    sends: [],
    arrivals: [],
    firstSendMs: [],
    doneMs: [],
  };
  private readonly keepRecords: boolean;
  private readonly log: (line: string) => void;

  constructor(private readonly o: RunPipelineOptions) {
    this.routes = stageRoutes(o.plan);
    this.picker = new ReplicaPicker(o.policy ?? 'least-loaded');
    this.log = o.log ?? (() => undefined);
    this.stats = new RunStats(o.plan);
    this.keepRecords = o.keepRecords !== false;
    this.stallMs = o.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.aborted.catch(() => undefined);
    this.control = new ControlLinks({
      transport: o.transport,
      ...(o.connection ? { connection: o.connection } : {}),
      ...(o.clockPings !== undefined ? { clockPings: o.clockPings } : {}),
      ...(o.expectLink !== undefined ? { expectLink: o.expectLink } : {}),
    });
    this.watch = new StallWatch({
      timeoutMs: this.stallMs,
      links: () => this.links,
      onStall: (link, reason) => {
        this.log(`node ${link.endpoint.device} (${link.endpoint.address}) ${reason}; treating it as dead`);
        this.control.abort(link, reason);
      },
    });
  }

  /** Samples released in order so far. */
  get delivered(): number {
    return this.reorder.released;
  }

  async run(): Promise<PipelineRun> {
    const { plan, samples } = this.o;
    const onAbort = () => this.fail(new EdgesplitError('E_USAGE', 'run interrupted'));
    if (this.o.signal?.aborted) onAbort();
    this.o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.stream(plan, samples);
    } finally {
      this.o.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async stream(plan: RuntimePlan, samples: SampleSource): Promise<PipelineRun> {
    for (const st of plan.stages) {
      try {
        this.models.push(await readFile(st.modelPath));
      } catch (err) {
        throw new EdgesplitError('E_IO', `stage ${st.id}: cannot read ${st.modelPath}: ${errorMessage(err)}`);
      }
    }
    const devices = plan.stages.flatMap((st, k) => st.devices.map((d) => ({ k, name: d.name })));
    const endpoints = await this.guard(this.o.pool.start(devices.map((d) => d.name)));
    // allSettled: every connection that did open is tracked and closed, even when another failed
    const opened = await this.guard(
      Promise.allSettled(endpoints.map((ep, i) => this.connect(ep, devices[i].k))),
    );
    this.links = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await this.guard(Promise.all(this.links.map((l) => this.assign(l))));
    await this.guard(Promise.all(this.links.map((l) => this.openInputs(l))));
    this.watch.start();
    this.records.startMs = nowMs();
    const window = this.o.window ?? 2 * this.links.length + 2;
    for (let seq = 0; seq < samples.count; seq++) {
      while ((this.incomplete.size >= window || this.paused) && !this.fatal) await this.wait();
      if (this.fatal) throw this.fatal;
      this.incomplete.add(seq);
      this.firstSend.set(seq, nowMs());
      await this.sendSample(seq);
    }
    while (this.reorder.released < samples.count && !this.fatal) await this.wait();
    if (this.fatal) throw this.fatal;
    this.records.endMs = nowMs();
    this.watch.stop();
    await this.collectTimelines();
    // a node lost late is noticed by the flush at the latest; its failover is part of the report
    await this.guard(this.failover);
    return {
      ...this.records,
      summary: this.stats.summary(this.reorder.released, this.records.startMs, this.records.endMs),
      link: this.control.link,
      outputs: this.outputs,
      samples: samples.count,
      lost: samples.count - this.reorder.released,
      duplicates: this.reorder.duplicates,
      failovers: this.failovers,
    };
  }

  /** Flushes timelines, shuts local nodes down, closes every connection and the pool. */
  async shutdown(): Promise<void> {
    this.finishing = true;
    this.watch.stop();
    const local = this.o.pool.kind === 'local';
    await Promise.all(
      this.links
        .filter((l) => l.alive && local)
        .map((l) => l.request({ op: 'shutdown' }, 3000).catch(() => undefined)),
    );
    await this.control.closeAll();
    await this.o.pool.close();
  }

  /** Ends the run with `err` (the first fatal condition wins). */
  private fail(err: Error): void {
    this.fatal ??= err;
    this.failAborted(this.fatal);
    this.wake();
  }

  /** Waits for `p` unless the run fails first. */
  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.aborted]);
  }

  private wait(): Promise<void> {
    const limit = 3 * this.stallMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const missing = [...this.incomplete].slice(0, 5).join(', ');
        this.fail(
          new EdgesplitError(
            'E_TRANSPORT',
            `no sample delivered for ${limit} ms (3 x --stall-timeout), waiting for seq ${missing}`,
          ),
        );
        resolve();
      }, limit);
      this.waiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private connect(ep: NodeEndpoint, k: number): Promise<NodeLink> {
    return this.control.open(ep, k, {
      onTensor: (l, f) => this.onResult(l, f),
      onTimeline: (l, m) => {
        for (const r of m.records) {
          const rec = toRecord(l, r);
          this.stats.node(rec);
          if (this.keepRecords) this.records.nodes.push(rec);
        }
      },
      onClosed: (l, reason) => this.onClosed(l, reason),
    });
  }

  private async openInputs(link: NodeLink): Promise<void> {
    if (link.stageIndex === 0) link.data = await this.control.openData(link);
  }

  private downstreamOf(k: number): string[] {
    if (k === this.o.plan.stages.length - 1) return [COORDINATOR_ADDRESS];
    return this.links.filter((l) => l.alive && l.stageIndex === k + 1).map((l) => l.peerAddress);
  }

  private async assign(link: NodeLink): Promise<void> {
    const k = link.stageIndex;
    const st = this.o.plan.stages[k];
    const model = this.models[k];
    const local = this.o.pool.kind === 'local';
    if (!local) {
      await link.conn.send({
        type: 'tensor',
        streamId: 0,
        seq: 0,
        name: MODEL_TENSOR_NAME,
        tensor: { dtype: 'uint8', dims: [model.byteLength], data: model },
        wire: 'native',
      });
    }
    const route = this.routes[k];
    await link.request(
      {
        op: 'assign',
        runId: this.runId,
        epoch: this.epoch,
        stageId: st.id,
        stageIndex: k,
        expects: route.expects,
        modelInputs: route.modelInputs,
        sends: route.sends,
        downstream: this.downstreamOf(k),
        policy: this.o.policy ?? 'least-loaded',
        timelineBatch: this.o.timelineBatch ?? 64,
        intraOpThreads: 1,
        ...(local
          ? { modelFile: { path: st.modelPath, sha256: createHash('sha256').update(model).digest('hex') } }
          : {}),
      },
      60_000,
    );
  }

  private async sendSample(seq: number): Promise<void> {
    const inputs = this.o.samples.input(seq);
    const route = this.routes[0];
    const stage0 = this.links.filter((l) => l.alive && l.stageIndex === 0);
    const i = this.picker.pick(
      stage0.length,
      (j) => (stage0[j].data ?? stage0[j].conn).stats().inFlightFrames,
    );
    if (i < 0) return; // every stage-0 node is dead; the failover re-sends this sample
    const link = stage0[i];
    const frames: TensorFrame[] = route.expects.map((name) => {
      const tensor = inputs[name];
      if (!tensor)
        throw new EdgesplitError(
          'E_DATA',
          `sample ${seq} has no input '${name}' (has ${Object.keys(inputs).join(', ')})`,
        );
      const wire = this.o.plan.graphInputs.find((g) => g.name === name)?.wire ?? 'fp32';
      return {
        type: 'tensor',
        streamId: this.epoch,
        seq,
        name,
        tensor,
        wire: tensor.dtype === 'float32' ? wire : 'native',
      };
    });
    const bytes = frames.reduce((s, f) => s + tensorFrameBytes(f, !!this.o.connection?.key), 0);
    const start = nowMs();
    const epoch = this.epoch;
    try {
      const conn = link.data ?? link.conn;
      await this.guard(Promise.all(frames.map((f) => conn.send(f))));
      const rec = { epoch, seq, sendStart: start, sendEnd: nowMs(), bytes, target: link.endpoint.device };
      this.stats.sent(rec);
      if (this.keepRecords) this.records.sends.push(rec);
    } catch {
      // the node died or stalled while we sent (its failover re-sends), or the run failed
    }
  }

  private onResult(link: NodeLink, f: TensorFrame): void {
    const at = nowMs();
    if (this.reorder.has(f.seq) || !this.incomplete.has(f.seq)) return;
    const key = `${f.streamId}:${f.seq}`;
    let got = this.partials.get(key);
    if (!got) this.partials.set(key, (got = new Map()));
    got.set(f.name, f.tensor);
    if (got.size < this.o.plan.graphOutputs.length) return;
    for (const k of [...this.partials.keys()]) if (k.endsWith(`:${f.seq}`)) this.partials.delete(k);
    const arrival = { epoch: f.streamId, seq: f.seq, ms: at, from: link.endpoint.device };
    this.stats.arrived(arrival);
    this.incomplete.delete(f.seq);
    const out = Object.fromEntries(got);
    const sentAt = this.firstSend.get(f.seq) ?? NaN;
    this.firstSend.delete(f.seq);
    this.stats.delivered(at - sentAt);
    if (this.keepRecords) {
      this.records.arrivals.push(arrival);
      this.records.doneMs[f.seq] = at;
      this.records.firstSendMs[f.seq] = sentAt;
    }
    const released = this.reorder.push(f.seq, out);
    const first = this.reorder.released - released.length;
    released.forEach((r, i) => {
      if (this.o.keepOutputs !== false) this.outputs.push(r);
      this.o.onResult?.(first + i, r);
      this.o.onProgress?.(first + i + 1, this.o.samples.count);
    });
    this.wake();
  }

  private onClosed(link: NodeLink, reason: string): void {
    if (this.finishing) return;
    this.log(
      `node ${link.endpoint.device} (${link.endpoint.address}, stage ${link.stageIndex}) lost: ${reason}`,
    );
    this.paused = true;
    this.failover = this.failover
      .then(() => this.recover(link, reason))
      .catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  private async recover(dead: NodeLink, reason: string): Promise<void> {
    const k = dead.stageIndex;
    this.links = this.links.filter((l) => l !== dead);
    if (this.reorder.released === this.o.samples.count) {
      this.failovers.push({
        device: dead.endpoint.device,
        stageIndex: k,
        reason,
        replacedBy: 'none (every sample was delivered)',
        resent: 0,
        atMs: nowMs(),
      });
      return;
    }
    let replacedBy = 'replica';
    if (!this.links.some((l) => l.alive && l.stageIndex === k)) {
      if (!this.o.pool.replace) {
        throw new EdgesplitError(
          'E_TRANSPORT',
          `stage ${this.o.plan.stages[k].id} lost its only node ${dead.endpoint.device} (${dead.endpoint.address}: ${reason}); nodes from a hosts file cannot be restarted by the coordinator`,
        );
      }
      const ep = await this.o.pool.replace(dead.endpoint.device);
      const link = await this.connect(ep, k);
      this.links.push(link);
      await this.assign(link);
      await this.openInputs(link);
      replacedBy = ep.address;
    }
    this.epoch += 1;
    const live = this.links.filter((l) => l.alive);
    await Promise.all(
      live.map((l) =>
        l
          .request({ op: 'peers', epoch: this.epoch, downstream: this.downstreamOf(l.stageIndex) })
          .catch(() => undefined),
      ),
    );
    const resend = [...this.incomplete].sort((a, b) => a - b);
    this.failovers.push({
      device: dead.endpoint.device,
      stageIndex: k,
      reason,
      replacedBy,
      resent: resend.length,
      atMs: nowMs(),
    });
    this.log(
      `failover: stage ${k} now on ${replacedBy}; re-sending ${resend.length} incomplete samples under epoch ${this.epoch}`,
    );
    this.paused = false;
    for (const seq of resend) if (this.incomplete.has(seq)) await this.sendSample(seq);
    this.wake();
  }

  private async collectTimelines(): Promise<void> {
    await Promise.all(
      this.links.filter((l) => l.alive).map((l) => l.request({ op: 'flush' }, 5000).catch(() => undefined)),
    );
  }
}

function toRecord(
  l: NodeLink,
  r: readonly [number, number, number, number, number, number, number, number, string],
): NodeRecord {
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
