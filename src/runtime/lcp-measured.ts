/**
 * The measured LCP comparison (`edgesplit lcp compare --run`): the same devices and link, several
 * ways to spread the work, each run on real node processes with emulated devices and links.
 * - LCP: the branch DAG plan of `planLcpModel`; with two replicas per stage, each sample on one
 *   replica of each branch, and hedged (every replica of a branch gets it, the gather keeps the
 *   first answer); then both again with a straggler: one branch replica stopped (SIGSTOP) for
 *   {@link STRAGGLER}.pauseMs in the latency pass, the seed's straggler point.
 * - Model parallelism of the original: the pipeline planner's own best plan (`planModelFile`), and
 *   the original cut into one stage per device at the MAC-balanced and at the throughput-optimal cuts
 *   of the cost model (`pipelineRun`); intra-layer output splitting (seed Fig. 4) as communication
 *   accounting only (the runtime has no tensor-parallel layers, so that row is not run).
 * - Data parallelism: the whole original on every device, samples taken in turn (throughput only).
 * Latency comes from a pass with one sample in flight (the seed's per-image latency), throughput,
 * bytes and energy from a pass with the default window.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/catalog.js';
import type { LinkSpec } from '../catalog/schema.js';
import { EdgesplitError } from '../core/errors.js';
import { COORDINATOR_ADDRESS } from './protocol.js';
import { planLcpModel } from '../plan/lcp-plan.js';
import { planModelFile } from '../plan/plan-model.js';
import { writeRangePlan } from '../plan/range-plan.js';
import { profileModelFile } from '../profile/index.js';
import { intraLayerAccount, intraLayerRun, pipelineRun, type LcpObjective } from '../strategy/lcp/index.js';
import type { PhysicalDevice } from '../strategy/plan/types.js';
import type { LocalPool } from './local-nodes.js';
import type { NodePool } from './node-pool.js';
import { loadRuntimePlan } from './plan-dir.js';
import type { RuntimePlan } from './routes.js';
import { runPlan, type RunReport } from './run.js';

/** The rows of the measured table, in order. */
export const MEASURED_DISTRIBUTIONS = [
  'lcp',
  'lcp-replicas',
  'lcp-hedged',
  'lcp-straggler',
  'lcp-straggler-hedged',
  'planner-best',
  'pipeline-balanced',
  'pipeline-fastest',
  'intra-layer',
  'data-parallel',
] as const;
/** One of {@link MEASURED_DISTRIBUTIONS}. */
export type MeasuredDistribution = (typeof MEASURED_DISTRIBUTIONS)[number];

/** One row: measured, except `intra-layer` (`run: false`: communication accounting). */
export interface MeasuredRow {
  readonly distribution: MeasuredDistribution;
  /** What the row is, derived from its plan (stages, devices, who computes what). */
  readonly label: string;
  /** False for the accounting-only row (no latency, throughput or accuracy). */
  readonly run: boolean;
  readonly model: string;
  readonly devices: number;
  /** Fraction of one inference's MACs each stage computes (a stage's replicas take turns). */
  readonly macShare: readonly number[];
  /** Frame bytes (headers included) of every message of one inference, the coordinator's included; accounting rows: payload. */
  readonly bytesPerInference: number;
  /** The part of it between devices (without the coordinator's input and result messages). */
  readonly deviceBytesPerInference: number;
  /** One sample in flight; null for data parallelism and accounting. */
  readonly latencyMs: { readonly mean: number; readonly p99: number; readonly max: number } | null;
  readonly throughputPerS: number | null;
  /** The cost model on the run's measured bytes (nothing is a measured energy). */
  readonly energyPerInferenceJ: number | null;
  readonly accuracy: number | null;
  readonly lost: number;
}

/** Options of {@link measureLcpComparison}. */
export interface MeasureOptions {
  readonly devices: readonly PhysicalDevice[];
  readonly link: LinkSpec;
  readonly objective?: LcpObjective;
  readonly limit: number;
  readonly timeScale: number;
  /** Extra device/link catalog files (the user's `--catalog`), for planning and emulation alike. */
  readonly catalogFiles?: readonly string[];
  readonly onProgress?: (line: string) => void;
}

/** The straggler rows: one replica of a branch is stopped (SIGSTOP) this long in the latency pass. */
export const STRAGGLER = { afterSamples: 20, pauseMs: 1000 } as const;

/** Pauses `device`'s process for {@link STRAGGLER}`.pauseMs` once `afterSamples` were delivered. */
function stragglerHooks(device: string) {
  let pool: NodePool | undefined;
  let paused = false;
  return {
    onPool: (p: NodePool) => (pool = p),
    onProgress: (done: number) => {
      const pid = pool && 'pid' in pool ? (pool as LocalPool).pid(device) : undefined;
      if (paused || done < STRAGGLER.afterSamples || pid === undefined) return;
      paused = true;
      process.kill(pid, 'SIGSTOP');
      setTimeout(() => process.kill(pid, 'SIGCONT'), STRAGGLER.pauseMs);
    },
  };
}

/** The second replica of the first branch stage fed only by the coordinator (a hedged one, not the gather). */
function stragglerDevice(plan: RuntimePlan): string {
  const inputs = new Set(plan.graphInputs.map((t) => t.name));
  const st = plan.stages.find((s) => s.devices.length > 1 && s.inputs.every((t) => inputs.has(t.name)));
  if (!st) throw new EdgesplitError('E_PLAN', `${plan.dir}: no replicated branch stage to pause`);
  return st.devices[1].name;
}

const isCoordinatorHop = (l: RunReport['links'][number]) =>
  l.from === COORDINATOR_ADDRESS || l.to === COORDINATOR_ADDRESS;

const perSample = (r: RunReport, keep: (l: RunReport['links'][number]) => boolean) =>
  r.links.filter(keep).reduce((s, l) => s + l.bytes, 0) / Math.max(1, r.samples);

function macShare(plan: RuntimePlan): number[] {
  const macs = plan.stages.map((s) => s.macs ?? 0);
  const total = macs.reduce((a, b) => a + b, 0);
  return macs.map((m) => (total > 0 ? m / total : 0));
}

const percents = (share: readonly number[]) =>
  share.map((s) => (s === 0 || s === 1 ? String(s * 100) : (s * 100).toFixed(s > 0.99 || s < 0.1 ? 2 : 0)));

/** The row's label from its plan: stage count, devices and MAC shares. */
function labelOf(d: MeasuredDistribution, plan: RuntimePlan, branches: number): string {
  const stages = plan.stages.length;
  const devices = new Set(plan.stages.flatMap((s) => s.devices.map((x) => x.name))).size;
  const shares = `MACs per stage ${percents(macShare(plan)).join('/')}%`;
  switch (d) {
    case 'lcp':
      return `LCP: ${branches} branches on ${devices} devices (DAG, ${shares})`;
    case 'lcp-replicas':
      return `LCP, 2 replicas per stage (${devices} devices), each sample on one`;
    case 'lcp-hedged':
      return `LCP, 2 replicas per stage, hedged: each sample on both, first answer wins (every copy sent is counted)`;
    case 'lcp-straggler':
      return `LCP, 2 replicas per stage, one branch replica paused ${STRAGGLER.pauseMs} ms after ${STRAGGLER.afterSamples} images`;
    case 'lcp-straggler-hedged':
      return `the same pause, hedged`;
    case 'planner-best':
      return `pipeline planner's best plan (objective latency): ${stages} stage(s) on ${devices} device(s)`;
    case 'pipeline-balanced':
      return `${stages}-stage pipeline, MAC-balanced cuts (${shares})`;
    case 'pipeline-fastest':
      return `${stages}-stage pipeline, throughput-optimal cuts (${shares})`;
    case 'data-parallel':
      return `data parallel: the whole model on each of ${devices} devices, samples in turn`;
    case 'intra-layer':
      return 'intra-layer output split (seed Fig. 4)';
  }
}

async function measure(
  dir: string,
  o: MeasureOptions,
  distribution: MeasuredDistribution,
  model: string,
  branches = 0,
): Promise<MeasuredRow> {
  const plan = await loadRuntimePlan(dir);
  const latency = distribution !== 'data-parallel';
  const straggler = distribution.startsWith('lcp-straggler');
  const common = {
    plan,
    limit: o.limit,
    emulate: 'devices' as const,
    timeScale: o.timeScale,
    link: o.link.id,
    ...(o.catalogFiles ? { deviceCatalogFiles: o.catalogFiles, linkCatalogFiles: o.catalogFiles } : {}),
    ...(distribution === 'lcp-hedged' || distribution === 'lcp-straggler-hedged' ? { hedge: true } : {}),
  };
  o.onProgress?.(`running ${distribution} (${o.limit} samples, time scale ${o.timeScale})`);
  // the straggler rows only run the latency pass, the pause injected into it
  const lat = latency
    ? (
        await runPlan({
          ...common,
          window: 1,
          ...(straggler ? stragglerHooks(stragglerDevice(plan)) : {}),
        })
      ).report
    : undefined;
  const report = straggler && lat ? lat : (await runPlan(common)).report;
  return {
    distribution,
    label: labelOf(distribution, plan, branches),
    run: true,
    model,
    devices: new Set(plan.stages.flatMap((s) => s.devices.map((d) => d.name))).size,
    macShare: macShare(plan),
    bytesPerInference: perSample(report, () => true),
    deviceBytesPerInference: perSample(report, (l) => !isCoordinatorHop(l)),
    latencyMs: lat ? { mean: lat.latencyMs.mean, p99: lat.latencyMs.p99, max: lat.latencyMs.max } : null,
    throughputPerS: straggler ? null : report.steadyThroughputPerS || report.throughputPerS,
    energyPerInferenceJ: 'perSampleJ' in report.energy ? report.energy.perSampleJ : null,
    accuracy: report.accuracy ?? null,
    lost: report.lost + (lat && lat !== report ? lat.lost : 0),
  };
}

/** `rpi3bplus x4` -> `rpi3bplusx4`: the planner's device spec of the same devices. */
function deviceSpecOf(devices: readonly PhysicalDevice[]): string {
  const counts = new Map<string, number>();
  for (const d of devices) counts.set(d.spec.id, (counts.get(d.spec.id) ?? 0) + 1);
  return [...counts].map(([id, n]) => `${id}x${n}`).join(',');
}

/** Runs LCP, the original's model and data parallelism on the same emulated devices; one row each. */
export async function measureLcpComparison(
  lcpModel: string,
  original: string,
  o: MeasureOptions,
): Promise<MeasuredRow[]> {
  const root = await mkdtemp(join(tmpdir(), 'edgesplit-lcp-run-'));
  try {
    const objective = o.objective ?? 'latency';
    const lcpDir = join(root, 'lcp');
    const { plan: lcpPlan } = await planLcpModel(lcpModel, {
      devices: o.devices,
      link: o.link,
      objective,
      out: lcpDir,
    });
    const replicaDir = join(root, 'lcp-replicas');
    await planLcpModel(lcpModel, {
      devices: o.devices,
      link: o.link,
      objective,
      replicas: 2,
      out: replicaDir,
    });
    const plannerDir = join(root, 'planner-best');
    await planModelFile(original, {
      devices: deviceSpecOf(o.devices),
      link: o.link.id,
      objective: 'latency',
      activationBits: 32,
      out: plannerDir,
      deviceCatalog: loadDeviceCatalog(o.catalogFiles ?? []),
      linkCatalog: loadLinkCatalog(o.catalogFiles ?? []),
    });
    const { graph, profile } = await profileModelFile(original);
    const dev = (i: number) => ({ name: o.devices[i].name, type: o.devices[i].spec.id });
    const chain = async (name: string, ranges: readonly { start: number; end: number }[]) => {
      const dir = join(root, name);
      await writeRangePlan(
        original,
        ranges.map((r, i) => ({ ...r, devices: [dev(i)] })),
        { link: o.link.id, out: dir },
      );
      return dir;
    };
    const balanced = await chain(
      'pipeline-balanced',
      pipelineRun(graph, profile, o.devices, o.link, 'macs').stages,
    );
    const fastest = await chain(
      'pipeline-fastest',
      pipelineRun(graph, profile, o.devices, o.link, 'time').stages,
    );
    const dpDir = join(root, 'data-parallel');
    await writeRangePlan(
      original,
      [{ start: 0, end: graph.nodes.length, devices: o.devices.map((_, i) => dev(i)) }],
      { link: o.link.id, out: dpDir },
    );
    const n = o.devices.length;
    const intra = intraLayerRun(graph, profile, o.devices, o.link);
    const account = intraLayerAccount(graph, profile, n);
    const intraRow: MeasuredRow = {
      distribution: 'intra-layer',
      label: `intra-layer output split (seed Fig. 4) on ${n} devices: payload accounting, not run`,
      run: false,
      model: original,
      devices: n,
      macShare: new Array<number>(n).fill(1 / n),
      bytesPerInference: account.totalBytes,
      // the all-gathers; the input to every device and the output parts back are the coordinator's
      deviceBytesPerInference: account.exchanges.reduce((s, e) => s + e.bytes, 0),
      latencyMs: null,
      throughputPerS: null,
      energyPerInferenceJ: intra.energyJ,
      accuracy: null,
      lost: 0,
    };
    const branches = lcpPlan.source.branches;
    return [
      await measure(lcpDir, o, 'lcp', lcpModel, branches),
      await measure(replicaDir, o, 'lcp-replicas', lcpModel, branches),
      await measure(replicaDir, o, 'lcp-hedged', lcpModel, branches),
      await measure(replicaDir, o, 'lcp-straggler', lcpModel, branches),
      await measure(replicaDir, o, 'lcp-straggler-hedged', lcpModel, branches),
      await measure(plannerDir, o, 'planner-best', original),
      await measure(balanced, o, 'pipeline-balanced', original),
      await measure(fastest, o, 'pipeline-fastest', original),
      intraRow,
      await measure(dpDir, o, 'data-parallel', original),
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
