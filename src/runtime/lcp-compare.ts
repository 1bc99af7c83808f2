/**
 * `edgesplit lcp compare`: the modelled comparison of an LCP model with model and data parallelism
 * of its original (`compareLcp`, the cost model), and with `run` the measured one on node processes
 * (`measureLcpComparison`); one JSON document for both.
 */
import type { LinkSpec } from '../catalog/schema.js';
import { profileModelFile } from '../profile/index.js';
import { compareLcp, type LcpComparison, type LcpObjective } from '../strategy/lcp/index.js';
import type { PhysicalDevice } from '../strategy/plan/types.js';
import { measureLcpComparison, type MeasuredRow } from './lcp-measured.js';

/** Options of {@link lcpCompare}. */
export interface LcpCompareOptions {
  readonly devices: readonly PhysicalDevice[];
  readonly link: LinkSpec;
  readonly objective?: LcpObjective;
  /** Also run every row (test images per run, time scale). */
  readonly run?: { readonly limit: number; readonly timeScale: number };
  /** The user's extra catalog files. */
  readonly catalogFiles?: readonly string[];
  readonly onProgress?: (line: string) => void;
}

/** The modelled comparison, and the measured rows when asked. */
export interface LcpCompareResult {
  readonly lcpModel: string;
  readonly original: string;
  readonly modelled: LcpComparison;
  readonly measured?: readonly MeasuredRow[];
  readonly run?: LcpCompareOptions['run'];
}

/** Models (and with `o.run` measures) `lcpModel` against `original` on the same devices and link. */
export async function lcpCompare(
  lcpModel: string,
  original: string,
  o: LcpCompareOptions,
): Promise<LcpCompareResult> {
  const modelled = compareLcp(
    await profileModelFile(lcpModel),
    await profileModelFile(original),
    o.devices,
    o.link,
    o.objective ?? 'latency',
  );
  if (!o.run) return { lcpModel, original, modelled };
  const measured = await measureLcpComparison(lcpModel, original, {
    devices: o.devices,
    link: o.link,
    objective: o.objective ?? 'latency',
    limit: o.run.limit,
    timeScale: o.run.timeScale,
    ...(o.catalogFiles ? { catalogFiles: o.catalogFiles } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return { lcpModel, original, modelled, measured, run: o.run };
}

/** The JSON document of `edgesplit lcp compare --json`. */
export function lcpCompareReport(r: LcpCompareResult) {
  const { structure, ...rest } = r.modelled;
  return {
    modelled: true,
    lcpModel: r.lcpModel,
    original: r.original,
    ...rest,
    branches: structure.branches.length,
    ...(r.measured ? { measured: r.measured, measuredRun: r.run } : {}),
  };
}
