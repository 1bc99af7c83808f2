/**
 * Design-space sweep of the DistNN split: every cut x link x node device x activation bit width, with
 * the chosen cut of each configuration and the Pareto front of node energy vs end-to-end latency.
 * Pure: takes a profile and catalog entries, returns data.
 */
import type { DeviceSpec, LinkSpec } from '../../catalog/schema.js';
import { EdgesplitError } from '../../core/errors.js';
import type { ModelProfile } from '../../profile/types.js';
import { distnnSplit, type SplitResult } from './distnn.js';

/** Most configurations (node x link x bits) one sweep accepts. */
export const MAX_EXPLORE_CONFIGS = 10_000;
/** Most points (configurations x cuts) one sweep accepts. */
export const MAX_EXPLORE_POINTS = 2_000_000;

/** What to sweep. */
export interface ExploreOptions {
  readonly nodes: readonly DeviceSpec[];
  readonly links: readonly LinkSpec[];
  readonly bits: readonly number[];
  readonly hub: DeviceSpec;
  readonly weightBits?: number;
  readonly fps?: number;
  readonly memoryOverhead?: number;
  /** Called after each configuration with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One (configuration, cut) point of the sweep. */
export interface ExplorePoint {
  readonly node: string;
  readonly link: string;
  readonly bits: number;
  readonly cut: number;
  /** Last node on the node side (`''` for cut 0). */
  readonly after: string;
  readonly op: string;
  readonly dvBits: number;
  readonly wireBits: number;
  readonly ccMacs: number;
  readonly dvCcMerit: number | null;
  readonly nodeEnergyJ: number;
  readonly nodeComputeJ: number;
  readonly commJ: number;
  readonly latencyS: number;
  readonly nodeAvgPowerW: number;
  readonly fits: boolean;
  readonly sustainsFps: boolean;
  /** Chosen (lowest E_node that fits) for its configuration. */
  readonly chosen: boolean;
  /** On the Pareto front of node energy vs latency among points that fit. */
  readonly pareto: boolean;
}

/** Result of a sweep. */
export interface ExploreResult {
  readonly model: string;
  readonly hub: string;
  readonly weightBits: number;
  readonly fps: number;
  readonly memoryOverhead: number;
  readonly points: readonly ExplorePoint[];
  /** The DistNN result of each configuration, in sweep order (node, link, bits). */
  readonly configs: readonly SplitResult[];
}

/**
 * Indices of the points no other point beats in both coordinates (both minimised). Ties on both keep
 * the first. O(n log n).
 */
export function paretoFront(points: readonly { readonly x: number; readonly y: number }[]): number[] {
  const order = points
    .map((_, i) => i)
    .sort((a, b) => points[a].x - points[b].x || points[a].y - points[b].y || a - b);
  const front: number[] = [];
  let bestY = Infinity;
  for (const i of order) {
    if (points[i].y < bestY) {
      front.push(i);
      bestY = points[i].y;
    }
  }
  return front.sort((a, b) => a - b);
}

/** Sweeps cut x link x node x bits for `profile`. */
export function exploreSplits(profile: ModelProfile, opts: ExploreOptions): ExploreResult {
  if (!opts.nodes.length || !opts.links.length || !opts.bits.length) {
    throw new EdgesplitError('E_USAGE', 'explore needs at least one node device, one link and one bit width');
  }
  const total = opts.nodes.length * opts.links.length * opts.bits.length;
  if (total > MAX_EXPLORE_CONFIGS)
    throw new EdgesplitError(
      'E_USAGE',
      `explore: ${total} configurations exceed the limit of ${MAX_EXPLORE_CONFIGS}`,
    );
  if (total * profile.cuts.length > MAX_EXPLORE_POINTS) {
    throw new EdgesplitError(
      'E_USAGE',
      `explore: ${total * profile.cuts.length} points exceed the limit of ${MAX_EXPLORE_POINTS}; sweep fewer devices, links or bit widths`,
    );
  }
  const configs: SplitResult[] = [];
  const raw: Omit<ExplorePoint, 'pareto'>[] = [];
  for (const node of opts.nodes) {
    for (const link of opts.links) {
      for (const bits of opts.bits) {
        const r = distnnSplit(profile, {
          node,
          hub: opts.hub,
          link,
          bits,
          weightBits: opts.weightBits,
          fps: opts.fps,
          memoryOverhead: opts.memoryOverhead,
        });
        configs.push(r);
        for (const c of r.candidates) {
          raw.push({
            node: node.id,
            link: link.id,
            bits,
            cut: c.cut,
            after: c.after,
            op: c.op,
            dvBits: c.dvBits,
            wireBits: c.estimate.transfer.bits,
            ccMacs: c.ccMacs,
            dvCcMerit: c.dvCcMerit,
            nodeEnergyJ: c.nodeEnergyJ,
            nodeComputeJ: c.estimate.nodeCompute.energyJ,
            commJ: c.estimate.transfer.energyJ,
            latencyS: c.estimate.latencyS,
            nodeAvgPowerW: c.estimate.nodeAvgPowerW,
            fits: c.fits,
            sustainsFps: c.estimate.sustainsFps,
            chosen: c.cut === r.best.cut,
          });
        }
        opts.onProgress?.(configs.length, total);
      }
    }
  }
  const feasible = raw.map((p, i) => ({ p, i })).filter(({ p }) => p.fits);
  const front = new Set(
    paretoFront(feasible.map(({ p }) => ({ x: p.latencyS, y: p.nodeEnergyJ }))).map((j) => feasible[j].i),
  );
  const first = configs[0];
  return {
    model: profile.model,
    hub: opts.hub.id,
    weightBits: first.weightBits,
    fps: first.fps,
    memoryOverhead: first.memoryOverhead,
    points: raw.map((p, i) => ({ ...p, pareto: front.has(i) })),
    configs,
  };
}

/** The chosen cut of one swept configuration, as the CLI and the report's JSON list it. */
export function chosenCut(r: SplitResult) {
  return {
    node: r.node,
    link: r.link,
    bits: r.bits,
    cut: r.best.after || null,
    cutIndex: r.best.cut,
    nodeEnergyJ: r.best.nodeEnergyJ,
    latencyS: r.best.estimate.latencyS,
    nodeAvgPowerW: r.best.estimate.nodeAvgPowerW,
  };
}
