/**
 * The precision design space at the edge: for every node x link x weight/feature-map format, the
 * DistNN split priced at that format's bit widths, next to the measured quality of each cut's
 * node-side quantisation (cached, see cut-quality), and the energy-quality Pareto front.
 */
import type { DeviceSpec, LinkSpec, MacArrangement } from '../catalog/schema.js';
import { profileModelFile } from '../profile/index.js';
import { pairLabel, type PrecisionPair } from '../strategy/quantize/formats.js';
import { distnnSplit, type SplitResult } from '../strategy/split/distnn.js';
import { precisionSpace, type PrecisionPoint } from '../strategy/split/precision-space.js';
import { measureCutQuality, type CutQuality } from './cut-quality.js';
import type { EvalOptions } from './evaluate.js';
import type { CalibrationSource } from './precision.js';

/** Options of {@link precisionDesign}. */
export interface PrecisionDesignOptions {
  readonly modelPath: string;
  /** Label of the model in results. */
  readonly model: string;
  readonly eval: Omit<EvalOptions, 'data' | 'dataset'>;
  readonly nodes: readonly DeviceSpec[];
  readonly links: readonly LinkSpec[];
  readonly hub: DeviceSpec;
  readonly pairs: readonly PrecisionPair[];
  readonly calibration: CalibrationSource;
  readonly fps?: number;
  readonly memoryOverhead?: number;
  readonly macArrangement?: MacArrangement;
  readonly cacheFile?: string;
  readonly onProgress?: (what: string, done: number, total: number) => void;
}

/** What {@link precisionDesign} found. */
export interface PrecisionDesign {
  readonly results: readonly { precision: string; split: SplitResult }[];
  readonly qualities: readonly CutQuality[];
  readonly points: readonly PrecisionPoint[];
  readonly metric: 'accuracy' | 'ssim';
}

/** Sweeps node x link x precision and measures the quality of every fitting cut per precision once. */
export async function precisionDesign(o: PrecisionDesignOptions): Promise<PrecisionDesign> {
  const results: { precision: string; split: SplitResult }[] = [];
  const qualities: CutQuality[] = [];
  for (const pair of o.pairs) {
    const precision = pairLabel(pair);
    const { profile } = await profileModelFile(o.modelPath, {
      activationBits: pair.activations.bits,
      weightBits: pair.weights.bits,
    });
    const cuts = new Set<number>();
    for (const node of o.nodes)
      for (const link of o.links) {
        const split = distnnSplit(
          { ...profile, model: o.model },
          {
            node,
            hub: o.hub,
            link,
            bits: pair.activations.bits,
            weightBits: pair.weights.bits,
            fps: o.fps,
            memoryOverhead: o.memoryOverhead,
            macArrangement: o.macArrangement,
          },
        );
        results.push({ precision, split });
        for (const c of split.candidates) if (c.fits) cuts.add(c.cut);
      }
    qualities.push(
      ...(await measureCutQuality({
        modelPath: o.modelPath,
        eval: o.eval,
        cuts: [...cuts].sort((a, b) => a - b),
        pairs: [pair],
        calibration: o.calibration,
        cacheFile: o.cacheFile,
        onProgress: (done, total) => o.onProgress?.(precision, done, total),
      })),
    );
  }
  const q = (precision: string, cut: number) =>
    qualities.find((x) => x.precision === precision && x.cut === cut)?.value;
  return {
    results,
    qualities,
    points: precisionSpace(results, q),
    metric: qualities[0]?.metric ?? 'accuracy',
  };
}
