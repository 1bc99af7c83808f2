/**
 * DistNN split (seed Sec. III-B, III-C): rank the cuts of a model between a wearable node and a hub by
 * (a) a normalised DV x CC product and (b) the node energy E_node(cut) = MACs_node x E_mac x
 * (1 + memory overhead) + bits(cut) x E_bit, choose the cheapest cut the node can hold, and check the
 * energy conditions. Pure: takes a profile and catalog entries, returns data.
 */
import {
  estimateSplit,
  type CutEstimate,
  type SplitConfig,
  type SplitEstimate,
} from '../../cost/estimate.js';
import type { ModelProfile } from '../../profile/types.js';
import { energyConditions, type ConditionResult } from './conditions.js';

/** Default memory overhead on per-MAC energies (DistNN Sec. IV-B after Verma et al.). */
export const DEFAULT_MEMORY_OVERHEAD = 0.8;

/** Options of {@link distnnSplit}: the estimator's plus a memory overhead defaulting to 0.8. */
export type DistnnOptions = SplitConfig;

/** One ranked cut. */
export interface SplitCandidate {
  readonly cut: number;
  /** Name of the last node on the node side (`''` for cut 0). */
  readonly after: string;
  readonly op: string;
  /** DV: payload bits of the live tensors at the wire bit width. */
  readonly dvBits: number;
  /** CC: cumulative node MACs. */
  readonly ccMacs: number;
  /** DV x CC with each normalised by its maximum over the cuts; null where CC is 0 (nothing runs on the node). */
  readonly dvCcMerit: number | null;
  /** E_node(cut) in joules (objective b). */
  readonly nodeEnergyJ: number;
  /** 1-based rank by E_node among cuts that fit the node. 0 if it does not fit. */
  readonly energyRank: number;
  /** 1-based rank by DV x CC among cuts that fit and have CC > 0; 0 otherwise. */
  readonly dvCcRank: number;
  readonly fits: boolean;
  readonly estimate: CutEstimate;
}

/** Result of the DistNN split. */
export interface SplitResult {
  readonly model: string;
  readonly node: string;
  readonly hub: string;
  readonly link: string;
  readonly bits: number;
  readonly weightBits: number;
  readonly fps: number;
  readonly memoryOverhead: number;
  /** Whether the overhead was applied (only to per-MAC energies; measured powers include memory). */
  readonly memoryOverheadApplied: boolean;
  /** Cut with the lowest E_node that fits the node (the chosen cut). */
  readonly best: SplitCandidate;
  /** Cut with the lowest DV x CC merit that fits the node, if any cut has CC > 0. */
  readonly bestDvCc: SplitCandidate | null;
  /** Set when the two merits choose different cuts. */
  readonly disagreement: string | null;
  readonly conditions: readonly ConditionResult[];
  readonly allOnNode: CutEstimate;
  readonly allOffloaded: CutEstimate;
  /** Every cut, in cut order. */
  readonly candidates: readonly SplitCandidate[];
  readonly estimate: SplitEstimate;
}

function rankBy<T>(items: readonly T[], key: (t: T) => number): Map<T, number> {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return new Map(sorted.map((t, i) => [t, i + 1]));
}

/** Runs the DistNN split of `profile` under `options`. */
export function distnnSplit(profile: ModelProfile, options: DistnnOptions): SplitResult {
  const memoryOverhead = options.memoryOverhead ?? DEFAULT_MEMORY_OVERHEAD;
  const est = estimateSplit(profile, { ...options, memoryOverhead });
  const maxDv = Math.max(...est.cuts.map((c) => c.transfer.payloadBytes * 8));
  const maxCc = Math.max(...est.cuts.map((c) => c.nodeMacs));
  const base = est.cuts.map((e) => {
    const dvBits = e.transfer.payloadBytes * 8;
    const fits = e.memory.fitsWeights && e.memory.fitsActivations;
    const dvCcMerit =
      e.nodeMacs > 0 && maxCc > 0 ? (maxDv > 0 ? dvBits / maxDv : 0) * (e.nodeMacs / maxCc) : null;
    return { e, dvBits, fits, dvCcMerit };
  });
  const feasible = base.filter((b) => b.fits);
  // ties go to the earlier cut: sort is stable and cuts are in order
  const energyRanks = rankBy(feasible, (b) => b.e.nodeEnergyJ);
  const dvCcRanks = rankBy(
    feasible.filter((b) => b.dvCcMerit !== null),
    (b) => b.dvCcMerit as number,
  );
  const candidates: SplitCandidate[] = base.map((b) => ({
    cut: b.e.cut,
    after: b.e.after,
    op: b.e.cut === 0 ? '(input)' : profile.nodes[b.e.cut - 1].op,
    dvBits: b.dvBits,
    ccMacs: b.e.nodeMacs,
    dvCcMerit: b.dvCcMerit,
    nodeEnergyJ: b.e.nodeEnergyJ,
    energyRank: energyRanks.get(b) ?? 0,
    dvCcRank: dvCcRanks.get(b) ?? 0,
    fits: b.fits,
    estimate: b.e,
  }));
  // cut 0 needs no node memory, so at least one cut always fits
  const best = candidates.find((c) => c.energyRank === 1) as SplitCandidate;
  const bestDvCc = candidates.find((c) => c.dvCcRank === 1) ?? null;
  const name = (c: SplitCandidate) => (c.cut === 0 ? 'cut 0 (input)' : `cut ${c.cut} (after ${c.after})`);
  const disagreement =
    bestDvCc && bestDvCc.cut !== best.cut
      ? `DV x CC picks ${name(bestDvCc)}, node energy picks ${name(best)}; E_node there is ${(bestDvCc.nodeEnergyJ / best.nodeEnergyJ).toPrecision(3)}x the minimum`
      : null;
  return {
    model: profile.model,
    node: options.node.id,
    hub: options.hub.id,
    link: options.link.id,
    bits: est.bits,
    weightBits: est.weightBits,
    fps: est.fps,
    memoryOverhead,
    memoryOverheadApplied: est.memoryOverheadApplied,
    best,
    bestDvCc,
    disagreement,
    conditions: energyConditions(best.estimate, est.allOnNode),
    allOnNode: est.allOnNode,
    allOffloaded: est.allOffloaded,
    candidates,
    estimate: est,
  };
}
