/** The coordinator's implementation; its contract and entry point are in `coordinator.ts`. */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import { nowMs } from './clock.js';
import { ControlLinks } from './control-links.js';
import type { FailoverEvent, PipelineRun, RunPipelineOptions, SampleSource } from './coordinator.js';
import type { NodeEndpoint, NodeLink } from './node-link.js';
import { EntrySender } from './entry-sender.js';
import { contiguousRuns } from './micro-batch.js';
import { COORDINATOR_ADDRESS } from './protocol.js';
import { ReplicaPicker } from './replica-picker.js';
import { entryStages, stageRoutes, type RuntimePlan, type StageRoute } from './routes.js';
import { fanoutOf } from './dag-peers.js';
import { stageAir, type FlushedNode } from './link-air.js';
import { RunLedger } from './run-ledger.js';
import { StallWatch } from './stall-watch.js';
import { WaitGate } from './wait-gate.js';
import { HOLD_MAX_FRAMES } from '../transport/outbox.js';

/** Default stall timeout, ms. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;

/** Loading a stage (model transfer, then session creation) may take this long. */
const ASSIGN_TIMEOUT_MS = 60_000;

/** One run: connects, assigns, streams, fails over and shuts down. */
export class Coordinator {
  private readonly routes: StageRoute[];
  /** Stages the coordinator sends each sample's inputs to (stage 0 of a chain, every entry of a DAG). */
  private readonly entries: number[];
  private readonly runId = randomUUID();
  private links: NodeLink[] = [];
  private readonly control: ControlLinks;
  private readonly watch: StallWatch;
  private readonly stallMs: number;
  private epoch = 1;
  private readonly models: Uint8Array[] = [];
  private readonly ledger: RunLedger;
  private readonly picker: ReplicaPicker;
  private readonly gate: WaitGate;
  private failover: Promise<void> = Promise.resolve();
  private paused = false;
  /** Samples in flight at most (set when streaming starts). */
  private window = 1;
  private finishing = false;
  private fatal: Error | undefined;
  /** Rejecters of every wait in progress: a failed run ends them, so none waits on a dead node forever. */
  private readonly guards = new Set<(err: Error) => void>();
  private readonly failovers: FailoverEvent[] = [];
  private readonly log: (line: string) => void;
  /** Samples per micro-batch (1: none). */
  private readonly batch: number;
  private readonly entry: EntrySender;

  constructor(private readonly o: RunPipelineOptions) {
    this.batch = o.batch ?? 1;
    this.routes = stageRoutes(o.plan);
    this.entries = entryStages(this.routes);
    this.picker = new ReplicaPicker(o.policy ?? 'least-loaded');
    this.log = o.log ?? (() => undefined);
    this.ledger = new RunLedger(o.plan, {
      ...(o.keepRecords !== undefined ? { keepRecords: o.keepRecords } : {}),
      ...(o.keepOutputs !== undefined ? { keepOutputs: o.keepOutputs } : {}),
      onRelease: (seq, outputs, done) => {
        o.onResult?.(seq, outputs);
        o.onProgress?.(done, o.samples.count);
      },
    });
    this.entry = new EntrySender({
      plan: o.plan,
      routes: this.routes,
      entries: this.entries,
      samples: o.samples,
      picker: this.picker,
      policy: o.policy ?? 'least-loaded',
      batch: this.batch,
      ledger: this.ledger,
      hedge: o.hedge === true,
      keyed: !!o.connection?.key,
      links: () => this.links,
      window: () => this.window,
      ...(o.admit !== undefined ? { admit: o.admit } : {}),
      epoch: () => this.epoch,
      guard: <T>(p: Promise<T>) => this.guard(p),
      held: () => this.paused || this.fatal !== undefined,
      fail: (err) => this.fail(err),
    });
    this.stallMs = o.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const limit = 3 * this.stallMs;
    this.gate = new WaitGate(limit, () => {
      const missing = [...this.ledger.incomplete].slice(0, 5).join(', ');
      this.fail(
        new EdgesplitError(
          'E_TRANSPORT',
          `no sample delivered for ${limit} ms (3 x --stall-timeout), waiting for seq ${missing}`,
        ),
      );
    });
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
    return this.ledger.released;
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
    const k = this.batch;
    // before the assignments, which carry the nodes' hold from it
    const window = (this.window = Math.max(this.o.window ?? (2 * this.links.length + 2) * k, k));
    await this.guard(Promise.all(this.links.map((l) => this.assign(l))));
    await this.guard(Promise.all(this.links.map((l) => this.openInputs(l))));
    this.watch.start();
    const startMs = nowMs();
    this.entry.fill();
    while (this.ledger.released < samples.count && !this.fatal) await this.gate.wait();
    if (this.fatal) throw this.fatal;
    const endMs = nowMs();
    this.watch.stop();
    this.gate.stop();
    const flushed = await this.collectTimelines();
    // a node lost late is noticed by the flush at the latest; its failover is part of the report
    await this.guard(this.failover);
    const summary = this.ledger.summary(startMs, endMs);
    return {
      ...this.ledger.records,
      summary,
      runId: this.runId,
      link: this.control.link,
      outputs: this.ledger.outputs,
      samples: samples.count,
      lost: samples.count - this.ledger.released,
      duplicates: this.ledger.duplicates,
      failovers: this.failovers,
      window,
      air: stageAir(this.routes.length, flushed),
    };
  }

  /** Flushes timelines, shuts local nodes down, closes every connection and the pool. */
  async shutdown(): Promise<void> {
    this.finishing = true;
    this.watch.stop();
    this.gate.stop();
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
    for (const reject of this.guards) reject(this.fatal);
    this.guards.clear();
    this.gate.wake();
  }

  /**
   * Waits for `p` unless the run fails first. (Not a race against one long-lived "failed" promise:
   * every race would leave a reaction on it, one per sample, for the whole run.)
   */
  private guard<T>(p: Promise<T>): Promise<T> {
    if (this.fatal) {
      // `p` is dropped: its rejection (a send to a node closed by the failed run) must not crash us
      p.catch(() => undefined);
      return Promise.reject(this.fatal);
    }
    return new Promise<T>((resolve, reject) => {
      this.guards.add(reject);
      p.then(
        (v) => {
          this.guards.delete(reject);
          resolve(v);
        },
        (err: unknown) => {
          this.guards.delete(reject);
          reject(err);
        },
      );
    });
  }

  private connect(ep: NodeEndpoint, k: number): Promise<NodeLink> {
    return this.control.open(ep, k, {
      onTensor: (l, f) => this.onResult(l, f),
      onTimeline: (l, batch) => this.ledger.timeline(l, batch),
      onClosed: (l, reason) => this.onClosed(l, reason),
    });
  }

  private async openInputs(link: NodeLink): Promise<void> {
    if (this.entries.includes(link.stageIndex)) link.data = await this.control.openData(link);
  }

  private downstreamOf(k: number): string[] {
    // a DAG stage's downstream is its fanout; this list is only the protocol's mandatory fallback
    if (k === this.o.plan.stages.length - 1 || this.routes[k].fanout) return [COORDINATOR_ADDRESS];
    return this.links.filter((l) => l.alive && l.stageIndex === k + 1).map((l) => l.peerAddress);
  }

  private async assign(link: NodeLink): Promise<void> {
    const k = link.stageIndex;
    const st = this.o.plan.stages[k];
    const model = this.models[k];
    const local = this.o.pool.kind === 'local';
    if (!local) await link.sendModel(model, ASSIGN_TIMEOUT_MS);
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
        ...fanoutOf(this.routes[k], this.links),
        policy: this.o.policy ?? 'least-loaded',
        timelineBatch: this.o.timelineBatch ?? 64,
        intraOpThreads: 1,
        batch: this.batch,
        pacing: this.o.pacing?.get(link.endpoint.device),
        holdMax: this.batch === 1 ? Math.min(HOLD_MAX_FRAMES, Math.floor(this.window / 2)) : 0,
        ...(local
          ? { modelFile: { path: st.modelPath, sha256: createHash('sha256').update(model).digest('hex') } }
          : {}),
      },
      ASSIGN_TIMEOUT_MS,
    );
  }

  private onResult(link: NodeLink, f: TensorFrame): void {
    // the link stamped the frame's arrival just now: no second clock read
    const at = link.lastHeardMs;
    if (!this.ledger.result(link.endpoint.device, f, at, this.batch > 1)) return;
    // a delivery is progress for the stall limit; only the last one (or a failure) ends the stream's wait
    this.gate.progress(at);
    this.entry.fill();
    if (this.ledger.released === this.o.samples.count) this.gate.wake();
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
    if (this.ledger.released === this.o.samples.count) {
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
          .request({
            op: 'peers',
            epoch: this.epoch,
            downstream: this.downstreamOf(l.stageIndex),
            ...fanoutOf(this.routes[l.stageIndex], this.links),
          })
          .catch(() => undefined),
      ),
    );
    const resend = [...this.ledger.incomplete].sort((a, b) => a - b);
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
    for (const run of contiguousRuns(resend, this.batch)) {
      const still = run.filter((s) => this.ledger.incomplete.has(s));
      for (const part of contiguousRuns(still, this.batch)) await this.entry.send(part);
    }
    // the stall limit counts from the end of the failover, as a fresh wait did before
    this.gate.progress(nowMs());
    this.entry.fill();
  }

  /** Flushes every live node's timeline; returns what each said about its links. */
  private async collectTimelines(): Promise<FlushedNode[]> {
    return Promise.all(
      this.links
        .filter((l) => l.alive)
        .map(async (l) => {
          const r = await l.request({ op: 'flush' }, 5000).catch(() => undefined);
          return {
            stageIndex: l.stageIndex,
            ...(r?.processed !== undefined ? { processed: r.processed } : {}),
            ...(r?.air ? { air: r.air } : {}),
          };
        }),
    );
  }
}
