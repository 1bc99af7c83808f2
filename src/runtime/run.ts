/**
 * `edgesplit run` as a library call: a plan, a dataset and where the nodes are -> a pipeline run and
 * its report (accuracy, throughput, latency, per-stage times, bytes per link, Fig. 5 split, energy).
 */
import { randomBytes } from 'node:crypto';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { UsageError } from '../core/errors.js';
import { float32Tensor, shapeSize, type Tensor } from '../core/tensor.js';
import { loadDataset } from '../data/datasets.js';
import { countCorrect } from '../data/metrics.js';
import { tcpTransport } from '../transport/tcp/tcp-transport.js';
import type { Transport } from '../transport/transport.js';
import { runPipeline, type FailoverEvent, type PipelineRun, type SampleSource } from './coordinator.js';
import { estimateEnergy, type EnergyEstimate } from './energy.js';
import { runEmulation, type EmulationMode } from './device-emulation.js';
import { resolveLinkWrap } from './link-wrap.js';
import { localPool, type LocalPool } from './local-nodes.js';
import { hostsPool, type NodePool } from './node-pool.js';
import type { ReplicaPolicy } from './replica-picker.js';
import type { RuntimePlan } from './routes.js';
import { chooseBatch } from './micro-batch.js';
import { AccuracyCounter, JsonlResults } from './result-sink.js';
import type { RunSummary } from './summary.js';
import { scaleSummary, twinReport, type TwinReport } from './twin-report.js';

/** Options of {@link runPlan}. */
export interface RunPlanOptions {
  readonly plan: RuntimePlan;
  /** Dataset name (default fashion-mnist-test) or explicit samples. */
  readonly dataset?: string;
  readonly samples?: SampleSource;
  readonly limit?: number;
  /**
   * Catalog link emulated between stages ("none": real sockets). Local nodes are started with it;
   * nodes from a hosts file must report it (an error names both otherwise). Undefined: none for
   * local nodes; for hosts, whatever the nodes agree on.
   */
  readonly link?: string;
  /** Extra device catalog files (besides the built-in one) for energy estimates and device pacing. */
  readonly deviceCatalogFiles?: readonly string[];
  /** Extra link catalog files for link emulation (passed to local nodes too) and energy estimates. */
  readonly linkCatalogFiles?: readonly string[];
  /** `devices`: pace compute to the plan's devices and give each device one radio; `links` (default): links only; `none`: raw. */
  readonly emulate?: EmulationMode;
  /** Deployment time runs this many times faster (default 1); reported times are multiplied back. */
  readonly timeScale?: number;
  /** Device name -> host:port of running nodes; without it local nodes are started. */
  readonly hosts?: ReadonlyMap<string, string>;
  readonly hostsFile?: string;
  /**
   * Pre-shared key for every connection. Local nodes get it (or, without one, a fresh random key
   * for this run) in their environment, so local runs are always encrypted and authenticated.
   */
  readonly key?: Uint8Array;
  readonly window?: number;
  /**
   * See {@link RunPipelineOptions.admit}; default {@link RAW_ADMIT} when neither devices nor links
   * are emulated (link `none`), else 1.
   */
  readonly admit?: number;
  /** Samples per micro-batch; undefined: automatic (see {@link chooseBatch}). */
  readonly batch?: number;
  /** DAG plans: every replica of a branch gets each sample, the first answer wins (see `RunPipelineOptions.hedge`). */
  readonly hedge?: boolean;
  /** Replica choice (default `seq` with `emulate: 'devices'`, else the coordinator's least-loaded). */
  readonly policy?: ReplicaPolicy;
  readonly nodeLogs?: boolean;
  /** Local nodes must be ready within this time (default 20 s). */
  readonly nodeStartTimeoutMs?: number;
  readonly keepOutputs?: boolean;
  readonly transport?: Transport;
  /** See {@link RunPipelineOptions.stallTimeoutMs}; default {@link defaultStallTimeoutMs}. */
  readonly stallTimeoutMs?: number;
  /** Keep every timeline record (for a trace; default true). */
  readonly keepRecords?: boolean;
  /** Write each result as a JSON line to this file as it is released. */
  readonly outFile?: string;
  /** Each result in order as it is released. */
  readonly onResult?: (seq: number, outputs: Record<string, Tensor>) => void;
  /** Aborts the run (it then fails with the delivered count). */
  readonly signal?: AbortSignal;
  /** Timeline records per batch from nodes (default 64; records a killed node had not sent are lost). */
  readonly timelineBatch?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Sees the node pool once created (tests use it to kill a node). */
  readonly onPool?: (pool: NodePool) => void;
  readonly log?: (line: string) => void;
}

/**
 * Micro-batches a raw run (nothing emulated) admits into its window together: two, so at batch 1
 * two samples share the coordinator's write and record to the entry node (measured in
 * docs/runtime-performance.md, *The coordinator in session 6*).
 */
export const RAW_ADMIT = 2;

/** The report `edgesplit run --json` prints. */
export interface RunReport extends RunSummary {
  readonly plan: string;
  readonly runId: string;
  readonly mode: 'local' | 'hosts';
  readonly link: string;
  readonly emulate: EmulationMode;
  readonly timeScale: number;
  /** Samples per micro-batch the run used. */
  readonly batch: number;
  /** Predicted next to measured (when the plan has predictions). */
  readonly twin?: TwinReport;
  readonly authenticated: boolean;
  readonly lost: number;
  readonly duplicates: number;
  readonly accuracy?: number;
  readonly predictedThroughputPerS?: number;
  readonly failovers: readonly FailoverEvent[];
  readonly energy: EnergyEstimate | { readonly unavailable: string };
}

/** Streams a dataset's images (batch 1) into the plan's single image input. */
export function datasetSamples(plan: RuntimePlan, dataset: string, limit?: number): SampleSource {
  if (plan.graphInputs.length !== 1)
    throw new UsageError(
      `${plan.dir}: --data feeds one image input, but the plan has ${plan.graphInputs.length} inputs`,
    );
  const name = plan.graphInputs[0].name;
  const d = loadDataset(dataset, limit !== undefined ? { limit } : {});
  const per = d.height * d.width;
  return {
    count: d.count,
    // keyed stores, not `{ [name]: ... }`: a computed key in a literal is a runtime call per sample
    input: (i) => {
      const x: Record<string, Tensor> = {};
      x[name] = float32Tensor([1, 1, d.height, d.width], d.images.subarray(i * per, (i + 1) * per));
      return x;
    },
    inputs: (first, count) => {
      const x: Record<string, Tensor> = {};
      x[name] = float32Tensor(
        [count, 1, d.height, d.width],
        d.images.subarray(first * per, (first + count) * per),
      );
      return x;
    },
    label: (i) => d.labels[i],
  };
}

/** Accuracy when the plan has one output of 10 logits per sample and labels exist; undefined otherwise. */
export function classificationAccuracy(
  outputs: readonly Record<string, Tensor>[],
  samples: SampleSource,
  outputName: string,
): number | undefined {
  if (!samples.label || outputs.length === 0) return undefined;
  if (!outputs.every((o) => o[outputName]?.dtype === 'float32' && shapeSize(o[outputName].dims) === 10))
    return undefined;
  const logits = new Float32Array(outputs.length * 10);
  const labels = new Int32Array(outputs.length);
  outputs.forEach((o, i) => {
    logits.set(o[outputName].data as Float32Array, i * 10);
    labels[i] = samples.label!(i) ?? -1;
  });
  return countCorrect(logits, labels, 10) / outputs.length;
}

/**
 * The default stall timeout: 3 times the time the whole in-flight window needs at the plan's
 * predicted throughput (a health probe may queue behind that many samples), at least 5 s.
 */
export function defaultStallTimeoutMs(plan: RuntimePlan, window: number): number {
  const perSampleMs = plan.predictedThroughputPerS ? 1000 / plan.predictedThroughputPerS : 0;
  const slowestStageMs = Math.max(0, ...plan.stages.map((s) => (s.predictedComputeS ?? 0) * 1000));
  return Math.max(5000, Math.ceil(3 * window * Math.max(perSampleMs, slowestStageMs)));
}

/** Runs the plan; returns the raw run and its report. */
export async function runPlan(o: RunPlanOptions): Promise<{ run: PipelineRun; report: RunReport }> {
  const samples = o.samples ?? datasetSamples(o.plan, o.dataset ?? 'fashion-mnist-test', o.limit);
  if (samples.count === 0) throw new UsageError('no samples to run');
  const catalogs = {
    devices: loadDeviceCatalog(o.deviceCatalogFiles ?? []),
    links: loadLinkCatalog(o.linkCatalogFiles ?? []),
  };
  const emulation = runEmulation(o.plan, {
    ...(o.emulate ? { mode: o.emulate } : {}),
    ...(o.link !== undefined ? { link: o.link } : {}),
    ...(o.timeScale !== undefined ? { timeScale: o.timeScale } : {}),
    devices: catalogs.devices,
  });
  // hosts-file nodes without --link: the run takes the link the nodes report
  const link = o.hosts && o.link === undefined ? undefined : emulation.link;
  // an unknown link id fails here, before any node process starts
  resolveLinkWrap(link, catalogs.links);
  const key = o.key ?? (o.hosts ? undefined : randomBytes(32));
  const pool: NodePool | LocalPool = o.hosts
    ? hostsPool(o.hosts, o.hostsFile)
    : localPool({
        ...(key ? { key } : {}),
        modelDir: o.plan.dir,
        ...(link !== undefined && link !== 'none' ? { link } : {}),
        emulation: emulation.node,
        ...(o.nodeStartTimeoutMs !== undefined ? { startTimeoutMs: o.nodeStartTimeoutMs } : {}),
        ...(o.nodeLogs ? { nodeLogs: true } : {}),
        ...(o.linkCatalogFiles?.length ? { linkCatalogFiles: o.linkCatalogFiles } : {}),
      });
  o.onPool?.(pool);
  const nodes = o.plan.stages.reduce((n, s) => n + s.devices.length, 0);
  const batch = chooseBatch(o.plan, o.batch, !!emulation.pacing, samples.count);
  const window = o.window ?? (2 * nodes + 2) * batch;
  const acc = new AccuracyCounter(
    samples,
    o.plan.graphOutputs.length === 1 ? o.plan.graphOutputs[0] : undefined,
  );
  const out = o.outFile ? new JsonlResults(o.outFile, samples) : undefined;
  let run: PipelineRun;
  try {
    run = await runPipeline({
      plan: o.plan,
      samples,
      pool,
      transport: o.transport ?? tcpTransport,
      connection: { ...(key ? { key } : {}) },
      keepOutputs: o.keepOutputs ?? true,
      keepRecords: o.keepRecords ?? true,
      window,
      batch,
      admit: o.admit ?? (!emulation.pacing && link === 'none' ? RAW_ADMIT : 1),
      ...(emulation.pacing ? { pacing: emulation.pacing } : {}),
      stallTimeoutMs: o.stallTimeoutMs ?? defaultStallTimeoutMs(o.plan, window),
      ...(link !== undefined ? { expectLink: link } : {}),
      // identical emulated replicas pair up by seq, as the planner's even spread assumes
      ...(o.policy || emulation.mode === 'devices' ? { policy: o.policy ?? 'seq' } : {}),
      ...(o.hedge ? { hedge: true } : {}),
      ...(o.timelineBatch !== undefined ? { timelineBatch: o.timelineBatch } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.log ? { log: o.log } : {}),
      onResult: (seq, outputs) => {
        acc.add(seq, outputs);
        out?.add(seq, outputs);
        o.onResult?.(seq, outputs);
      },
    });
  } finally {
    out?.close();
  }
  const summary = scaleSummary(run.summary, emulation.timeScale);
  const accuracy = acc.accuracy;
  const energy = estimateEnergy(o.plan, summary, run.link, catalogs);
  const twinAir = {
    stages: run.air,
    latencyMs: run.link === 'none' ? 0 : catalogs.links.get(run.link).latencyS * 1000,
  };
  const report: RunReport = {
    plan: o.plan.dir,
    runId: run.runId,
    mode: o.hosts ? 'hosts' : 'local',
    link: run.link,
    emulate: emulation.mode,
    timeScale: emulation.timeScale,
    batch,
    authenticated: !!key,
    ...summary,
    lost: run.lost,
    duplicates: run.duplicates,
    ...(accuracy !== undefined ? { accuracy } : {}),
    ...(o.plan.predictedThroughputPerS !== undefined
      ? { predictedThroughputPerS: o.plan.predictedThroughputPerS }
      : {}),
    failovers: run.failovers,
    energy,
    ...(o.plan.predictedThroughputPerS !== undefined
      ? { twin: twinReport(o.plan, summary, energy, emulation.timeScale, run.window, twinAir) }
      : {}),
  };
  return { run, report };
}
