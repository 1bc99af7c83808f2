/**
 * Split point and bit widths chosen jointly (the Auto-Split idea on DistNN): for each weight /
 * feature-map format the DistNN split's cuts with their node energy and latency, next to the measured
 * quality of the model with that node side quantised; the Pareto front of node energy (minimised) vs
 * quality (maximised). Pure: the qualities are measured elsewhere and passed in.
 */
import type { SplitResult } from './distnn.js';
import { paretoFront } from './explore.js';

/** One (precision, cut) point. */
export interface PrecisionPoint {
  readonly node: string;
  readonly link: string;
  readonly precision: string;
  readonly cut: number;
  readonly after: string;
  readonly nodeEnergyJ: number;
  readonly latencyS: number;
  readonly nodeAvgPowerW: number;
  readonly payloadBytes: number;
  readonly quality: number;
  /** The DistNN choice (lowest node energy) at this precision. */
  readonly chosen: boolean;
  readonly pareto: boolean;
}

/** Points of every precision's fitting cuts that have a measured quality, with the Pareto front marked. */
export function precisionSpace(
  results: readonly { precision: string; split: SplitResult }[],
  quality: (precision: string, cut: number) => number | undefined,
): PrecisionPoint[] {
  const raw: Omit<PrecisionPoint, 'pareto'>[] = [];
  for (const { precision, split } of results) {
    for (const c of split.candidates) {
      const q = quality(precision, c.cut);
      if (!c.fits || q === undefined || Number.isNaN(q)) continue;
      raw.push({
        node: split.node,
        link: split.link,
        precision,
        cut: c.cut,
        after: c.after,
        nodeEnergyJ: c.nodeEnergyJ,
        latencyS: c.estimate.latencyS,
        nodeAvgPowerW: c.estimate.nodeAvgPowerW,
        payloadBytes: c.estimate.transfer.payloadBytes,
        quality: q,
        chosen: c.cut === split.best.cut,
      });
    }
  }
  const front = new Set(paretoFront(raw.map((p) => ({ x: p.nodeEnergyJ, y: -p.quality }))));
  return raw.map((p, i) => ({ ...p, pareto: front.has(i) }));
}
