/**
 * The coordinator: assigns stages to nodes, streams samples through the pipeline with a bounded
 * in-flight window, collects results in order (deduplicated by seq) and recovers from dead nodes:
 * a replica takes over or a new node is started, upstream nodes get the new peers, and every
 * incomplete sample is re-sent from stage 0 under a new epoch.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import type { ConnectionOptions, Transport } from '../transport/transport.js';
import { parseAddress } from './address.js';
import { nowMs } from './clock.js';
import { tensorFrameBytes } from './frame-size.js';
import { NodeLink, type NodeEndpoint } from './node-link.js';
import type { NodePool } from './node-pool.js';
import type { StagePacing } from './pacing.js';
import { COORDINATOR_ADDRESS, MODEL_TENSOR_NAME } from './protocol.js';
import { ReorderBuffer } from './reorder.js';
import { ReplicaPicker, type ReplicaPolicy } from './replica-picker.js';
import { stageRoutes, type RuntimePlan, type StageRoute } from './routes.js';
import type { NodeRecord, RunRecords } from './summary.js';

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
  /** Fail when no result arrives for this long (default 30 s). */
  readonly stallTimeoutMs?: number;
  /** Timeline records per control frame from nodes (default 64). */
  readonly timelineBatch?: number;
  /** Called after each in-order release. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Keep every sample's outputs in the result (default true). */
  readonly keepOutputs?: boolean;
  /** Device pacing per plan device name (`--emulate devices`). */
  readonly pacing?: ReadonlyMap<string, StagePacing>;
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
  /** Outputs of each sample in order (empty when keepOutputs is false). */
  readonly outputs: Record<string, Tensor>[];
  readonly samples: number;
  /** Samples never delivered (0 on success; the run throws otherwise). */
  readonly lost: number;
  /** Results dropped because their seq had already been delivered. */
  readonly duplicates: number;
  readonly failovers: readonly FailoverEvent[];
  /** Samples in flight at most. */
  readonly window: number;
}

interface Pending {
  resolve: () => void;
}

/** Runs samples through a plan on the pool's nodes. Always closes the pool. */
export async function runPipeline(o: RunPipelineOptions): Promise<PipelineRun> {
  const c = new Coordinator(o);
  try {
    return await c.run();
  } finally {
    await c.shutdown();
  }
}

class Coordinator {
  private readonly routes: StageRoute[];
  private readonly runId = `${process.pid}-${Date.now().toString(36)}`;
  private links: NodeLink[] = [];
  private epoch = 1;
  private readonly models: Uint8Array[] = [];
  private readonly reorder = new ReorderBuffer<Record<string, Tensor>>();
  private readonly incomplete = new Set<number>();
  private readonly partials = new Map<string, Map<string, Tensor>>();
  private readonly outputs: Record<string, Tensor>[] = [];
  private readonly picker: ReplicaPicker;
  private readonly waiters: Pending[] = [];
  private failover: Promise<void> = Promise.resolve();
  private paused = false;
  private finishing = false;
  private fatal: Error | undefined;
  private readonly failovers: FailoverEvent[] = [];
  private readonly records: RunRecords = {
    startMs: 0,
    endMs: 0,
    nodes: [],
    sends: [],
    arrivals: [],
    firstSendMs: [],
    doneMs: [],
  };
  private readonly log: (line: string) => void;

  constructor(private readonly o: RunPipelineOptions) {
    this.routes = stageRoutes(o.plan);
    this.picker = new ReplicaPicker(o.policy ?? 'least-loaded');
    this.log = o.log ?? (() => undefined);
  }

  async run(): Promise<PipelineRun> {
    const { plan, samples } = this.o;
    for (const st of plan.stages) {
      try {
        this.models.push(await readFile(st.modelPath));
      } catch (err) {
        throw new EdgesplitError('E_IO', `stage ${st.id}: cannot read ${st.modelPath}: ${errorMessage(err)}`);
      }
    }
    const devices = plan.stages.flatMap((st, k) => st.devices.map((d) => ({ k, name: d.name })));
    const endpoints = await this.o.pool.start(devices.map((d) => d.name));
    this.links = await Promise.all(endpoints.map((ep, i) => this.connect(ep, devices[i].k)));
    await Promise.all(this.links.map((l) => this.assign(l)));
    this.records.startMs = nowMs();
    const window = this.o.window ?? 2 * this.links.length + 2;
    for (let seq = 0; seq < samples.count; seq++) {
      while ((this.incomplete.size >= window || this.paused) && !this.fatal) await this.wait();
      if (this.fatal) throw this.fatal;
      this.incomplete.add(seq);
      this.records.firstSendMs[seq] = nowMs();
      await this.sendSample(seq);
    }
    while (this.reorder.released < samples.count && !this.fatal) await this.wait();
    if (this.fatal) throw this.fatal;
    this.records.endMs = nowMs();
    await this.collectTimelines();
    // a node lost late is noticed by the flush at the latest; its failover is part of the report
    await this.failover;
    return {
      ...this.records,
      outputs: this.outputs,
      samples: samples.count,
      lost: samples.count - this.reorder.released,
      duplicates: this.reorder.duplicates,
      failovers: this.failovers,
      window,
    };
  }

  /** Flushes timelines, shuts local nodes down, closes connections and the pool. */
  async shutdown(): Promise<void> {
    this.finishing = true;
    const local = this.o.pool.kind === 'local';
    await Promise.all(
      this.links
        .filter((l) => l.alive && local)
        .map((l) => l.request({ op: 'shutdown' }, 3000).catch(() => undefined)),
    );
    await Promise.all(this.links.map((l) => l.conn.close('run finished').catch(() => undefined)));
    await this.o.pool.close();
  }

  private wait(): Promise<void> {
    const stall = this.o.stallTimeoutMs ?? 30_000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const missing = [...this.incomplete].slice(0, 5).join(', ');
        this.fatal ??= new EdgesplitError(
          'E_TRANSPORT',
          `no progress for ${stall} ms: ${this.reorder.released}/${this.o.samples.count} samples delivered, waiting for seq ${missing}`,
        );
        resolve();
      }, stall);
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

  private async connect(ep: NodeEndpoint, k: number): Promise<NodeLink> {
    const { host, port } = parseAddress(ep.address, `node ${ep.device}`);
    let conn;
    try {
      conn = await this.o.transport.connect({ ...this.o.connection, host, port });
    } catch (err) {
      throw new EdgesplitError(
        'E_TRANSPORT',
        `cannot reach node ${ep.device} at ${ep.address}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const link = new NodeLink(ep, k, conn, {
      onTensor: (l, f) => this.onResult(l, f),
      onTimeline: (l, m) => {
        for (const r of m.records) this.records.nodes.push(toRecord(l, r));
      },
      onClosed: (l, reason) => this.onClosed(l, reason),
    });
    await link.syncClock(this.o.clockPings ?? 8);
    link.peerAddress = (await link.health()).peerListen;
    return link;
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
        pacing: this.o.pacing?.get(link.endpoint.device),
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
    const i = this.picker.pick(stage0.length, (j) => stage0[j].conn.stats().inFlightFrames);
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
      await Promise.all(frames.map((f) => link.conn.send(f)));
      this.records.sends.push({
        epoch,
        seq,
        sendStart: start,
        sendEnd: nowMs(),
        bytes,
        target: link.endpoint.device,
      });
    } catch {
      // the node died while we sent; its failover re-sends every incomplete sample
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
    this.records.arrivals.push({ epoch: f.streamId, seq: f.seq, ms: at, from: link.endpoint.device });
    this.incomplete.delete(f.seq);
    const out = Object.fromEntries(got);
    this.records.doneMs[f.seq] = at;
    const released = this.reorder.push(f.seq, out);
    released.forEach((r, i) => {
      if (this.o.keepOutputs !== false) this.outputs.push(r);
      this.o.onProgress?.(this.reorder.released - released.length + i + 1, this.o.samples.count);
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
      .catch((err: unknown) => {
        this.fatal ??= err instanceof Error ? err : new Error(String(err));
        this.wake();
      });
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
