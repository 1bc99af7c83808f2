/**
 * Seed Table II/III for the zoo's LCP variants: accuracy measured through onnxruntime-node on a
 * dataset, params and MACs from the profiler, and how many times fewer params and MACs each variant
 * has than `lcp-original`.
 */
import { loadDataset } from '../data/datasets.js';
import { profileModelFile } from '../profile/index.js';
import { evaluateModel } from './evaluate.js';
import { loadManifest, zooModelPath, type ZooManifest } from './manifest.js';

/** The zoo's LCP variants, original first (training/zoo/lcp.py VARIANTS). */
export const LCP_ZOO_VARIANTS = [
  'lcp-original',
  'lcp-split2',
  'lcp-split4',
  'lcp-split8',
  'lcp-split8-f20',
  'lcp-split8-f40',
] as const;

/** One row of the table. */
export interface LcpTableRow {
  readonly model: string;
  readonly accuracy: number;
  /** Accuracy minus the original's, in percentage points. */
  readonly accuracyDeltaPoints: number;
  readonly params: number;
  readonly macs: number;
  /** Original params / this model's params (seed Fig. 9b: "reduction in the number of parameters"). */
  readonly fewerParams: number;
  /** Original MACs / this model's MACs. */
  readonly fewerMacs: number;
}

/** The measured table. */
export interface LcpTable {
  readonly dataset: string;
  readonly samples: number;
  readonly rows: readonly LcpTableRow[];
}

/** Options of {@link lcpAccuracyTable}. */
export interface LcpTableOptions {
  readonly dataset?: string;
  readonly limit?: number;
  readonly batchSize?: number;
  readonly manifest?: ZooManifest;
  /** Called after each model with its name. */
  readonly onModel?: (model: string, index: number, total: number) => void;
}

/** Measures every LCP zoo variant on the dataset (default the full Fashion-MNIST test split). */
export async function lcpAccuracyTable(options: LcpTableOptions = {}): Promise<LcpTable> {
  const manifest = options.manifest ?? loadManifest();
  const dataset = options.dataset ?? 'fashion-mnist-test';
  const data = loadDataset(dataset, { limit: options.limit });
  const measured: { model: string; accuracy: number; params: number; macs: number }[] = [];
  for (const [i, model] of LCP_ZOO_VARIANTS.entries()) {
    const path = zooModelPath(model, manifest);
    const { profile } = await profileModelFile(path);
    const r = await evaluateModel(path, { data, batchSize: options.batchSize, task: 'classification' });
    measured.push({ model, accuracy: r.accuracy!, params: profile.totals.params, macs: profile.totals.macs });
    options.onModel?.(model, i, LCP_ZOO_VARIANTS.length);
  }
  const o = measured[0];
  return {
    dataset,
    samples: data.count,
    rows: measured.map((m) => ({
      ...m,
      accuracyDeltaPoints: (m.accuracy - o.accuracy) * 100,
      fewerParams: o.params / m.params,
      fewerMacs: o.macs / m.macs,
    })),
  };
}
