/**
 * The measured LCP comparison (`edgesplit lcp compare --run`): the same devices and link, three ways
 * to spread the work, each run on real node processes with emulated devices and links.
 * - LCP: the branch DAG plan of `planLcpModel`.
 * - Model parallelism: the original cut into one stage per device, at the MAC-balanced and at the
 *   fastest cuts of the cost model (`pipelineRun`; the pipeline planner itself puts this small model
 *   on one device, replicated: that is data parallelism, the next row).
 * - Data parallelism: the whole original on every device, samples taken in turn (throughput only).
 * - Stragglers: LCP with two replicas per stage, each sample on one replica of each branch, and hedged
 *   (every replica of a branch gets it, the gather keeps the first answer).
 * Latency comes from a pass with one sample in flight (the seed's per-image latency), throughput,
 * bytes and energy from a pass with the default window.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkSpec } from '../catalog/schema.js';
import { planLcpModel } from '../plan/lcp-plan.js';
import { writeRangePlan } from '../plan/range-plan.js';
import { profileModelFile } from '../profile/index.js';
import { pipelineRun, type LcpObjective } from '../strategy/lcp/index.js';
import type { PhysicalDevice } from '../strategy/plan/types.js';
import { loadRuntimePlan } from './plan-dir.js';
import { runPlan, type RunReport } from './run.js';

/** One measured row. */
export interface MeasuredRow {
  readonly distribution:
    'lcp' | 'lcp-replicas' | 'lcp-hedged' | 'pipeline-balanced' | 'pipeline-fastest' | 'data-parallel';
  readonly model: string;
  readonly devices: number;
  /** Frame bytes (headers included) of every message of one inference, the coordinator's included. */
  readonly bytesPerInference: number;
  /** One sample in flight; null for data parallelism. */
  readonly latencyMs: { readonly mean: number; readonly p99: number; readonly max: number } | null;
  readonly throughputPerS: number;
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
  readonly onProgress?: (line: string) => void;
}

const bytesPer = (r: RunReport) => r.links.reduce((s, l) => s + l.bytes, 0) / Math.max(1, r.samples);

async function measure(
  dir: string,
  o: MeasureOptions,
  distribution: MeasuredRow['distribution'],
  model: string,
  latency: boolean,
  hedge = false,
): Promise<MeasuredRow> {
  const plan = await loadRuntimePlan(dir);
  const common = {
    plan,
    limit: o.limit,
    emulate: 'devices' as const,
    timeScale: o.timeScale,
    link: o.link.id,
    ...(hedge ? { hedge: true } : {}),
  };
  o.onProgress?.(`running ${distribution} (${o.limit} samples, time scale ${o.timeScale})`);
  const { report } = await runPlan(common);
  const lat = latency ? (await runPlan({ ...common, window: 1 })).report : undefined;
  return {
    distribution,
    model,
    devices: new Set(plan.stages.flatMap((s) => s.devices.map((d) => d.name))).size,
    bytesPerInference: bytesPer(report),
    latencyMs: lat ? { mean: lat.latencyMs.mean, p99: lat.latencyMs.p99, max: lat.latencyMs.max } : null,
    throughputPerS: report.steadyThroughputPerS || report.throughputPerS,
    energyPerInferenceJ: 'perSampleJ' in report.energy ? report.energy.perSampleJ : null,
    accuracy: report.accuracy ?? null,
    lost: report.lost + (lat?.lost ?? 0),
  };
}

/** Runs LCP, the planner's pipeline and data parallelism on the same emulated devices; one row each. */
export async function measureLcpComparison(
  lcpModel: string,
  original: string,
  o: MeasureOptions,
): Promise<MeasuredRow[]> {
  const root = await mkdtemp(join(tmpdir(), 'edgesplit-lcp-run-'));
  try {
    const lcpDir = join(root, 'lcp');
    await planLcpModel(lcpModel, {
      devices: o.devices,
      link: o.link,
      objective: o.objective ?? 'latency',
      out: lcpDir,
    });
    const replicaDir = join(root, 'lcp-replicas');
    await planLcpModel(lcpModel, {
      devices: o.devices,
      link: o.link,
      objective: o.objective ?? 'latency',
      replicas: 2,
      out: replicaDir,
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
      {
        link: o.link.id,
        out: dpDir,
      },
    );
    return [
      await measure(lcpDir, o, 'lcp', lcpModel, true),
      await measure(replicaDir, o, 'lcp-replicas', lcpModel, true),
      await measure(replicaDir, o, 'lcp-hedged', lcpModel, true, true),
      await measure(balanced, o, 'pipeline-balanced', original, true),
      await measure(fastest, o, 'pipeline-fastest', original, true),
      await measure(dpDir, o, 'data-parallel', original, false),
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
