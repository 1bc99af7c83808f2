/**
 * A stage node: listens for connections, takes a stage assignment from the coordinator, runs the
 * stage model on each sample as soon as all its tensors arrived, and forwards the outputs to one
 * replica of the next stage (or back to the coordinator). One inference at a time, like one device.
 */
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { Frame, MessageFrame, TensorFrame } from '../transport/codec/frame.js';
import { stderrLog } from '../transport/connection-impl.js';
import type { Connection, Listener } from '../transport/transport.js';
import { nowMs } from './clock.js';
import {
  MODEL_TENSOR_NAME,
  controlFrame,
  nodeRequestSchema,
  parseBody,
  type AssignMessage,
  type FanoutGroup,
  type HealthMessage,
  type NodeRequest,
} from './protocol.js';
import { Downstream } from './downstream.js';
import type { LinkAir } from './link-air.js';
import { Fanout, RecentKeys } from './fanout.js';
import type { ReplicaPolicy } from './replica-picker.js';
import { SampleAssembler, sampleKey } from './sample-assembler.js';
import { openStageSession, stageModelBytes } from './stage-load.js';
import { StageWorker, type Assignment } from './stage-worker.js';
import type { StageNodeHandle, StageNodeOptions } from './node-options.js';
export type { StageNodeHandle, StageNodeOptions } from './node-options.js';

/** Starts a stage node; resolves once it listens. */
export async function startStageNode(options: StageNodeOptions): Promise<StageNodeHandle> {
  const node = new StageNode(options);
  return node.start();
}

class StageNode {
  private listener!: Listener;
  private peerListener: Listener | undefined;
  private address = '';
  private peerAddress = '';
  private assignment: Assignment | undefined;
  private epoch = 0;
  private lastRunId: string | undefined;
  private readonly downstream: Downstream;
  private readonly fanout: Fanout;
  private readonly models = new WeakMap<Connection, Uint8Array>();
  private readonly done = new RecentKeys(4096);
  private readonly worker: StageWorker;
  private readonly conns = new Set<Connection>();
  /** Connections this node opened to the next stage, and those it corked (see {@link holdOutputs}). */
  private readonly outgoing = new Set<Connection>();
  private readonly corked: Connection[] = [];
  private dropped = 0;
  private closed = false;
  private readonly log: (line: string) => void;

  constructor(private readonly o: StageNodeOptions) {
    const makeDownstream = () =>
      new Downstream({
        transport: o.transport,
        ...(o.connection ? { connection: o.connection } : {}),
        ...(o.linkWrap ? { linkWrap: o.linkWrap } : {}),
        log: (line) => this.log(line),
        onConnection: (c) => {
          this.conns.add(c);
          this.outgoing.add(c);
          void c.closed.then(() => {
            this.conns.delete(c);
            this.outgoing.delete(c);
          });
          void this.readLoop(c);
        },
      });
    this.downstream = makeDownstream();
    this.fanout = new Fanout(makeDownstream);
    this.log = o.log ?? ((line) => process.stderr.write(`edgesplit node: ${line}\n`));
    this.worker = new StageWorker({
      ...(o.maxReady !== undefined ? { maxReady: o.maxReady } : {}),
      ...(o.pacer ? { pacer: o.pacer } : {}),
      keyed: !!o.connection?.key,
      log: (line) => this.log(line),
      assignment: () => this.assignment,
      epoch: () => this.epoch,
      // a micro-batch starting at seq is one unit: batches alternate between replicas, as the coordinator pins them
      send: (a, frames, seq) =>
        this.fanout.active
          ? this.fanout.send(a.coordinator, frames, Math.floor(seq / a.batch))
          : this.downstream.send(
              a.coordinator,
              frames,
              a.policy === 'seq' ? Math.floor(seq / a.batch) : undefined,
            ),
      sendQuiet: (conn, frame) => this.sendQuiet(conn, frame),
      ...(o.linkWrap ? {} : { hold: this.holdOutputs }),
    });
  }

  /** Corks every connection a sample's outputs (or timeline) may leave on, and uncorks those it corked. */
  private readonly holdOutputs = {
    cork: () => {
      for (const c of this.outgoing) this.corked.push(c);
      const coordinator = this.assignment?.coordinator;
      if (coordinator) this.corked.push(coordinator);
      for (const c of this.corked) c.cork();
    },
    uncork: () => {
      for (const c of this.corked.splice(0)) c.uncork();
    },
  };

  async start(): Promise<StageNodeHandle> {
    this.listener = await this.o.transport.listen({
      ...this.o.connection,
      host: this.o.host,
      port: this.o.port,
      onConnection: (c) => this.serve(c),
    });
    this.address = `${this.listener.host}:${this.listener.port}`;
    this.peerAddress = this.address;
    if (this.o.linkWrap) {
      this.peerListener = await this.o.transport.listen({
        ...this.o.connection,
        wrap: this.o.linkWrap,
        host: this.o.host,
        port: 0,
        onConnection: (c) => this.serve(c),
      });
      this.peerAddress = `${this.peerListener.host}:${this.peerListener.port}`;
    }
    void this.worker.run();
    return {
      address: this.address,
      peerAddress: this.peerAddress,
      listener: this.listener,
      close: () => this.close(),
    };
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.stop();
    await this.unassign();
    await this.listener.close();
    await this.peerListener?.close();
    await Promise.all([...this.conns].map((c) => c.close('node closing')));
  }

  private serve(conn: Connection): void {
    this.conns.add(conn);
    void conn.closed.then((info) => {
      this.conns.delete(conn);
      if (this.assignment?.coordinator === conn && !this.closed) {
        this.log(`coordinator connection closed (${info.reason}); dropping the assignment`);
        void this.unassign();
      }
    });
    void this.readLoop(conn);
  }

  private async readLoop(conn: Connection): Promise<void> {
    try {
      // receive() rather than `for await`: no async generator resumed per frame
      for (let f = await conn.receive(); f; f = await conn.receive()) {
        if (f.type !== 'tensor') await this.onMessage(conn, f);
        else {
          // not reading further frames until there is room is what propagates backpressure upstream
          for (let wait = this.onTensor(conn, f); wait; wait = this.worker.room()) await wait;
        }
      }
    } catch (err) {
      this.log(`connection ${conn.remote}: ${errorMessage(err)}`);
      await conn.close('node error').catch(() => undefined);
    }
  }

  /**
   * Takes one tensor frame; returns a promise only when the ready queue is full (the reader awaits
   * it), so the common case costs no promise.
   */
  private onTensor(conn: Connection, f: TensorFrame): Promise<void> | undefined {
    if (f.name === MODEL_TENSOR_NAME) {
      if (!this.mayControl(conn)) {
        this.refuse(conn, 'control-refused', 'stage model bytes ignored');
        return;
      }
      if (f.tensor.dtype !== 'uint8')
        throw new EdgesplitError('E_PROTOCOL', `stage model frame must be uint8, got ${f.tensor.dtype}`);
      this.models.set(conn, f.tensor.data as Uint8Array);
      return;
    }
    const a = this.assignment;
    if (!a || f.streamId < this.epoch || !a.expectSet.has(f.name)) {
      this.dropped += 1;
      if (a && !a.expectSet.has(f.name))
        this.log(`dropped unexpected tensor '${f.name}' (seq ${f.seq}) from ${conn.remote}`);
      return;
    }
    const key = sampleKey(f.streamId, f.seq);
    if (this.done.has(key)) return; // a hedged branch's late copy: the first one already ran
    const feeds = a.assembler.add(f.streamId, f.seq, f.name, f.tensor);
    if (!feeds) return;
    this.done.remember(key);
    return this.worker.push({ epoch: f.streamId, seq: f.seq, feeds, received: nowMs() });
  }

  private async onMessage(conn: Connection, f: MessageFrame): Promise<void> {
    if (f.type !== 'control' && f.type !== 'health') return;
    let req: NodeRequest;
    try {
      req = parseBody(nodeRequestSchema, f, conn.remote);
    } catch (err) {
      this.refuse(conn, 'request-rejected', errorMessage(err));
      const id = (f.body as { id?: unknown } | null)?.id;
      await this.reply(conn, { id: typeof id === 'number' ? id : -1, ok: false, error: errorMessage(err) });
      return;
    }
    if (req.op !== 'clock' && req.op !== 'health' && !this.mayControl(conn)) {
      this.refuse(conn, 'control-refused', `${req.op} from an unauthenticated peer`);
      return this.reply(conn, {
        id: req.id,
        ok: false,
        error: `control operations need the coordinator to prove this node's pre-shared key (--key on both sides, or --insecure on the node)`,
      });
    }
    switch (req.op) {
      case 'clock':
        return this.reply(conn, { id: req.id, ok: true, nodeTimeMs: nowMs() });
      case 'health':
        return this.sendQuiet(conn, {
          type: 'health',
          streamId: 0,
          seq: 0,
          body: { ...this.health(req.id) },
        });
      case 'assign':
        return this.assign(conn, req);
      case 'peers':
        if (req.runId !== undefined && req.runId !== this.assignment?.runId)
          return this.reply(conn, {
            id: req.id,
            ok: false,
            error: `peers for run ${req.runId}, but this node is assigned to run ${this.assignment?.runId ?? 'none'}`,
          });
        this.setPeers(req.downstream, req.epoch, undefined, req.fanout);
        return this.reply(conn, { id: req.id, ok: true });
      case 'flush': {
        await this.worker.flushTimeline();
        const air = this.downstream.air();
        return this.reply(conn, {
          id: req.id,
          ok: true,
          processed: this.worker.processed,
          dropped: this.droppedTotal(),
          ...(air ? { air } : {}),
        });
      }
      case 'shutdown':
        await this.reply(conn, { id: req.id, ok: true });
        await this.close();
        this.o.onShutdown?.();
        return;
    }
  }

  private mayControl(conn: Connection): boolean {
    return conn.authenticated || this.o.insecure === true;
  }

  /** Refusals go to the connection log sink, which the CLI rate-limits. */
  private refuse(conn: Connection, event: string, message: string): void {
    (this.o.connection?.log ?? stderrLog)({ level: 'warn', event, remote: conn.remote, message });
  }

  private health(id: number): HealthMessage {
    const a = this.assignment;
    return {
      op: 'health',
      id,
      ready: !this.closed,
      stageId: a?.stageId ?? null,
      loaded: !!a,
      processed: this.worker.processed,
      dropped: this.droppedTotal(),
      pending: this.worker.pending + (a?.assembler.size ?? 0),
      listen: this.address,
      peerListen: this.peerAddress,
      pid: process.pid,
      link: this.o.linkId ?? 'none',
      runId: a?.runId ?? null,
      epoch: this.epoch,
    };
  }

  private async assign(conn: Connection, req: AssignMessage): Promise<void> {
    const sent = this.models.get(conn);
    this.models.delete(conn);
    const model = await stageModelBytes(req, sent, this.o.modelDir, this.o.pacer);
    if (!model.ok) {
      if (model.fileReason) this.refuse(conn, 'model-file-refused', model.fileReason);
      return this.reply(conn, { id: req.id, ok: false, error: model.error });
    }
    const { bytes } = model;
    await this.unassign();
    if (this.lastRunId !== req.runId) this.startRun(conn, req.runId);
    const t0 = nowMs();
    const opened = await openStageSession(this.o.backend, bytes, req);
    if (!opened.ok) return this.reply(conn, { id: req.id, ok: false, error: opened.error });
    const { session } = opened;
    const assembler = new SampleAssembler(req.expects.length, this.o.maxPartial ?? 1024, (epoch, seq) => {
      this.dropped += 1;
      this.log(`too many incomplete samples; dropped ${epoch}:${seq}`);
    });
    const feedsAreInputs =
      req.expects.length === req.modelInputs.length && req.modelInputs.every((n) => req.expects.includes(n));
    this.assignment = {
      ...req,
      session,
      coordinator: conn,
      expectSet: new Set(req.expects),
      assembler,
      feedsAreInputs,
    };
    this.setPeers(req.downstream, req.epoch, req.policy, req.fanout);
    this.log(
      `assigned stage ${req.stageId} (${bytes.byteLength} bytes, loaded in ${(nowMs() - t0).toFixed(1)} ms), sends to ${req.downstream.join(', ')}`,
    );
    return this.reply(conn, { id: req.id, ok: true, loadMs: nowMs() - t0 });
  }

  private async unassign(): Promise<void> {
    const a = this.assignment;
    this.assignment = undefined;
    this.done.clear();
    this.worker.clear();
    this.setPeers([], this.epoch);
    if (a) await a.session.release().catch(() => undefined);
  }

  /**
   * A new run starts clean: whatever epoch, counters or upstream connections an earlier run (or its
   * failover) left are dropped, so that run's late frames cannot reach this one.
   */
  private startRun(coordinator: Connection, runId: string): void {
    this.lastRunId = runId;
    this.epoch = 0;
    this.worker.processed = 0;
    this.worker.dropped = 0;
    this.dropped = 0;
    this.downstream.dropped = 0;
    this.downstream.resetAir();
    this.fanout.resetDropped();
    for (const c of this.conns) if (c !== coordinator) void c.close('new run').catch(() => undefined);
  }

  private setPeers(
    downstream: readonly string[],
    epoch: number,
    policy?: ReplicaPolicy,
    fanout?: readonly FanoutGroup[],
  ): void {
    this.downstream.setPeers(fanout ? [] : downstream, policy);
    this.fanout.setGroups(fanout ?? [], policy);
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.assignment?.assembler.dropBefore(epoch);
    }
  }

  private droppedTotal(): number {
    return this.dropped + this.worker.dropped + this.downstream.dropped + this.fanout.dropped;
  }

  private reply(
    conn: Connection,
    body: {
      id: number;
      ok: boolean;
      error?: string;
      nodeTimeMs?: number;
      loadMs?: number;
      processed?: number;
      dropped?: number;
      air?: LinkAir;
    },
  ): Promise<void> {
    return this.sendQuiet(conn, controlFrame({ op: 'reply', ...body }));
  }

  private async sendQuiet(conn: Connection, frame: Frame): Promise<void> {
    await conn
      .send(frame)
      .catch((err: unknown) => this.log(`cannot reply to ${conn.remote}: ${errorMessage(err)}`));
  }
}
