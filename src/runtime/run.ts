/**
 * `edgesplit run` as a library call: a plan, a dataset and where the nodes are -> a pipeline run and
 * its report (accuracy, throughput, latency, per-stage times, bytes per link, Fig. 5 split, energy).
 */
import { EdgesplitError, UsageError } from '../core/errors.js';
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
import { summarise, type RunSummary } from './summary.js';
import { scaleRecords, twinReport, type TwinReport } from './twin-report.js';
import { loadDeviceCatalog, type DeviceCatalog } from '../catalog/index.js';

/** Options of {@link runPlan}. */
export interface RunPlanOptions {
  readonly plan: RuntimePlan;
  /** Dataset name (default fashion-mnist-test) or explicit samples. */
  readonly dataset?: string;
  readonly samples?: SampleSource;
  readonly limit?: number;
  /** Catalog link emulated between stages by local nodes ("none": real sockets); nodes from a hosts file emulate what their own `--link` says. */
  readonly link?: string;
  /** `devices`: pace compute to the plan's devices and give each device one radio; `links` (default): links only; `none`: raw. */
  readonly emulate?: EmulationMode;
  /** Deployment time runs this many times faster (default 1); reported times are multiplied back. */
  readonly timeScale?: number;
  /** Catalog of the plan's device types (default the built-in one). */
  readonly deviceCatalog?: DeviceCatalog;
  /** Device name -> host:port of running nodes; without it local nodes are started. */
  readonly hosts?: ReadonlyMap<string, string>;
  readonly hostsFile?: string;
  /** Pre-shared key (bytes) and the file it came from (passed to local nodes). */
  readonly key?: Uint8Array;
  readonly keyFile?: string;
  readonly window?: number;
  readonly policy?: ReplicaPolicy;
  readonly nodeLogs?: boolean;
  /** Local nodes must be ready within this time (default 20 s). */
  readonly nodeStartTimeoutMs?: number;
  readonly keepOutputs?: boolean;
  readonly transport?: Transport;
  readonly stallTimeoutMs?: number;
  /** Timeline records per batch from nodes (default 64; records a killed node had not sent are lost). */
  readonly timelineBatch?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Sees the node pool once created (tests use it to kill a node). */
  readonly onPool?: (pool: NodePool) => void;
  readonly log?: (line: string) => void;
}

/** The report `edgesplit run --json` prints. */
export interface RunReport extends RunSummary {
  readonly plan: string;
  readonly mode: 'local' | 'hosts';
  readonly link: string;
  readonly emulate: EmulationMode;
  readonly timeScale: number;
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
    input: (i) => ({
      [name]: float32Tensor([1, 1, d.height, d.width], d.images.subarray(i * per, (i + 1) * per)),
    }),
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

/** Runs the plan; returns the raw run and its report. */
export async function runPlan(o: RunPlanOptions): Promise<{ run: PipelineRun; report: RunReport }> {
  const samples = o.samples ?? datasetSamples(o.plan, o.dataset ?? 'fashion-mnist-test', o.limit);
  if (samples.count === 0) throw new UsageError('no samples to run');
  const emulation = runEmulation(o.plan, {
    ...(o.emulate ? { mode: o.emulate } : {}),
    ...(o.link !== undefined ? { link: o.link } : {}),
    ...(o.timeScale !== undefined ? { timeScale: o.timeScale } : {}),
    devices: o.deviceCatalog ?? loadDeviceCatalog(),
  });
  const link = emulation.link;
  // an unknown link id fails here, before any node process starts
  resolveLinkWrap(link);
  if (o.key && !o.hosts && !o.keyFile)
    throw new EdgesplitError('E_USAGE', 'local nodes need the key as a file (keyFile) to share it');
  const pool: NodePool | LocalPool = o.hosts
    ? hostsPool(o.hosts, o.hostsFile)
    : localPool({
        ...(o.keyFile ? { keyFile: o.keyFile } : {}),
        ...(link !== 'none' ? { link } : {}),
        nodeArgs: emulation.nodeArgs,
        ...(o.nodeStartTimeoutMs !== undefined ? { startTimeoutMs: o.nodeStartTimeoutMs } : {}),
        ...(o.nodeLogs ? { nodeLogs: true } : {}),
      });
  o.onPool?.(pool);
  const run = await runPipeline({
    plan: o.plan,
    samples,
    pool,
    transport: o.transport ?? tcpTransport,
    connection: { ...(o.key ? { key: o.key } : {}) },
    keepOutputs: o.keepOutputs ?? true,
    ...(emulation.pacing ? { pacing: emulation.pacing } : {}),
    ...(o.window !== undefined ? { window: o.window } : {}),
    ...(o.policy ? { policy: o.policy } : {}),
    ...(o.stallTimeoutMs !== undefined ? { stallTimeoutMs: o.stallTimeoutMs } : {}),
    ...(o.timelineBatch !== undefined ? { timelineBatch: o.timelineBatch } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const records = scaleRecords(run, emulation.timeScale);
  const summary = summarise(o.plan, records);
  const accuracy =
    o.plan.graphOutputs.length === 1
      ? classificationAccuracy(run.outputs, samples, o.plan.graphOutputs[0])
      : undefined;
  const energy = estimateEnergy(o.plan, summary, link);
  const report: RunReport = {
    plan: o.plan.dir,
    mode: o.hosts ? 'hosts' : 'local',
    link,
    emulate: emulation.mode,
    timeScale: emulation.timeScale,
    authenticated: !!o.key,
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
      ? { twin: twinReport(o.plan, records, summary, energy, emulation.timeScale, run.window) }
      : {}),
  };
  return { run, report };
}
