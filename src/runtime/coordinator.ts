/**
 * The coordinator: assigns stages to nodes, streams samples through the pipeline with a bounded
 * in-flight window, releases results in order (deduplicated by seq) and recovers from dead or
 * stalled nodes: a replica takes over or a new node is started, upstream nodes get the new peers,
 * and every incomplete sample is re-sent from stage 0 under a new epoch (late outputs of the old
 * epoch are dropped). Per-sample state lives only while a sample is in flight; results stream to
 * `onResult` and statistics to streaming accumulators. Every run ends: on success, or with a
 * {@link RunFailedError} counting what was delivered, having closed every connection it opened.
 */
import type { Tensor } from '../core/tensor.js';
import type { ConnectionOptions, Transport } from '../transport/transport.js';
import { Coordinator } from './coordinator-impl.js';

export { DEFAULT_STALL_TIMEOUT_MS } from './coordinator-impl.js';
import type { NodePool } from './node-pool.js';
import type { StagePacing } from './pacing.js';
import type { StageAir } from './link-air.js';
import type { ReplicaPolicy } from './replica-picker.js';
import type { RuntimePlan } from './routes.js';
import { RunFailedError } from './run-failed.js';
import type { RunRecords, RunSummary } from './summary.js';

/** The samples to stream: inputs by index, optional labels. */
export interface SampleSource {
  readonly count: number;
  /** Graph inputs of sample i (batch 1). */
  input(i: number): Record<string, Tensor>;
  /**
   * Graph inputs of samples first .. first + count - 1 stacked along the first dim, for a source
   * that holds them contiguously and can hand out views (optional: micro-batches are stacked from
   * {@link input} otherwise, one copy per batch).
   */
  inputs?(first: number, count: number): Record<string, Tensor>;
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
  /** Samples per micro-batch (default 1; > 1 needs a dynamic first dim everywhere, see micro-batch.ts). */
  readonly batch?: number;
  /**
   * Micro-batches admitted into the window together (default 1): a new one waits until there is
   * room for this many (capped by the window), so they share one write and record to the entry
   * node. The mean samples in flight drop by up to `admit - 1` micro-batches; runs that emulate
   * devices or links keep 1, as the twin's latency assumes a full window.
   */
  readonly admit?: number;
  /**
   * DAG plans: send each sample to every replica of a branch stage fed only by the coordinator; the
   * gather takes the first copy of each branch output and drops the late ones (stragglers). Default off.
   */
  readonly hedge?: boolean;
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
  /** Numbers of the run, from streaming accumulators (complete even when records are not kept). */
  readonly summary: RunSummary;
  /** This run's id (nodes assigned by it start clean and refuse other runs' peer updates). */
  readonly runId: string;
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
  /** Samples in flight at most. */
  readonly window: number;
  /** Per stage: what its nodes' emulated links to the next stage put on air (undefined: not emulated or not reported). */
  readonly air: readonly (StageAir | undefined)[];
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
