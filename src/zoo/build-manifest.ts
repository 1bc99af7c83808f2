/**
 * Builds `models/manifest.json` from the training record `training/zoo.json`: params and MACs from
 * edgesplit's profiler, metrics measured through onnxruntime-node on the full test split. Run with
 * `npx tsx scripts/build-manifest.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { loadDataset, type Dataset } from '../data/datasets.js';
import { packageRoot } from '../data/package-root.js';
import { profileModelFile } from '../profile/index.js';
import { evaluateModel } from './evaluate.js';
import {
  MANIFEST_VERSION,
  parseManifest,
  ZooTask,
  ZooTensorSpec,
  type ZooManifest,
  type ZooMetric,
  type ZooModel,
} from './manifest.js';
import { isEvaluable, zooEvalOptions } from './zoo-eval.js';

/** Dataset every recorded metric is measured on. */
export const MANIFEST_DATASET = 'fashion-mnist-test';

/** One entry of training/zoo.json as the training scripts write it (extra fields are ignored). */
export const TrainingEntry = z.looseObject({
  name: z.string(),
  file: z.string(),
  task: ZooTask,
  inputs: z.array(ZooTensorSpec),
  outputs: z.array(ZooTensorSpec),
  recipe: z.string(),
  seed: z.number().int(),
  epochs: z.number().int().optional(),
  parent: z.string().optional(),
  encoder: z.string().optional(),
  noiseSigma: z.number().optional(),
  noiseClip: z.boolean().optional(),
  pythonMetric: z.record(z.string(), z.number()).nullable().optional(),
  notes: z.string().optional(),
});
/** One entry of training/zoo.json. */
export type TrainingEntry = z.infer<typeof TrainingEntry>;

/** training/zoo.json. */
export const TrainingRecord = z.looseObject({
  convention: z.string().optional(),
  models: z.array(TrainingEntry),
});
/** training/zoo.json. */
export type TrainingRecord = z.infer<typeof TrainingRecord>;

/** Reads and validates training/zoo.json; errors name the file and field. */
export function readTrainingRecord(
  path: string = join(packageRoot(), 'training', 'zoo.json'),
): TrainingRecord {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new EdgesplitError('E_DATA', `cannot read training record ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const r = TrainingRecord.safeParse(json);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new EdgesplitError('E_DATA', `${path}: ${iss.path.join('.')}: ${iss.message}`);
  }
  return r.data;
}

/** Size of a model as edgesplit's profiler counts it. */
export interface ModelSize {
  readonly params: number;
  readonly macs: number;
}

/** Params and MACs of an ONNX file from the profiler (batch dim taken as 1). */
export async function profileSize(path: string): Promise<ModelSize> {
  const { profile } = await profileModelFile(path);
  return { params: profile.totals.params, macs: profile.totals.macs };
}

/** Options of buildManifest. */
export interface BuildManifestOptions {
  /** Models to (re-)measure; the others keep the metric of `previous` (all when omitted). */
  only?: readonly string[];
  /** The manifest currently on disk, whose metrics are kept for models not in `only`. */
  previous?: ZooManifest;
  batchSize?: number;
  intraOpThreads?: number;
  /** Called before each model with its name and what is done to it. */
  onModel?: (name: string, what: string) => void;
}

function entryWithoutMetric(t: TrainingEntry, size: ModelSize): ZooModel {
  return {
    name: t.name,
    file: t.file,
    task: t.task,
    inputs: t.inputs,
    outputs: t.outputs,
    params: size.params,
    macs: size.macs,
    recipe: t.recipe,
    seed: t.seed,
    ...(t.epochs !== undefined ? { epochs: t.epochs } : {}),
    ...(t.parent ? { parent: t.parent } : {}),
    ...(t.encoder ? { encoder: t.encoder } : {}),
    ...(t.noiseSigma !== undefined ? { noiseSigma: t.noiseSigma, noiseClip: t.noiseClip ?? true } : {}),
    metric: null,
    pythonMetric: t.pythonMetric ?? null,
    notes: t.notes ?? '',
  };
}

/** Measures the manifest metric of one entry on `data` (null for feature extractors). */
export async function measureMetric(
  entry: ZooModel,
  manifest: ZooManifest,
  data: Dataset,
  options: Pick<BuildManifestOptions, 'batchSize' | 'intraOpThreads'> = {},
): Promise<ZooMetric | null> {
  if (!isEvaluable(entry)) return null;
  const r = await evaluateModel(join(packageRoot(), entry.file), {
    ...zooEvalOptions(entry, manifest),
    data,
    batchSize: options.batchSize ?? 1000,
    intraOpThreads: options.intraOpThreads ?? 2,
  });
  const name = r.accuracy !== undefined ? 'accuracy' : 'ssim';
  return {
    name,
    value: Number((r.accuracy ?? r.ssim!).toFixed(6)),
    samples: r.samples,
    dataset: r.dataset,
    output: r.output,
    ...(r.perOutput
      ? {
          perOutput: Object.fromEntries(
            Object.entries(r.perOutput).map(([k, v]) => [k, Number(v.toFixed(6))]),
          ),
        }
      : {}),
    ...(entry.encoder ? { composedWith: entry.encoder } : {}),
  };
}

/** Builds the manifest from the training record: profiles every model and measures every metric. */
export async function buildManifest(
  record: TrainingRecord,
  options: BuildManifestOptions = {},
): Promise<ZooManifest> {
  const models: ZooModel[] = [];
  for (const t of record.models) {
    options.onModel?.(t.name, 'profile');
    models.push(entryWithoutMetric(t, await profileSize(join(packageRoot(), t.file))));
  }
  const draft: ZooManifest = parseManifest(
    {
      version: MANIFEST_VERSION,
      convention:
        record.convention ??
        'classifier input float32 [N,1,28,28] = pixel/255 in [0,1], no other normalisation; output logits [N,10]',
      dataset: MANIFEST_DATASET,
      models,
    },
    'training/zoo.json',
  );
  const data = loadDataset(MANIFEST_DATASET);
  for (const entry of draft.models) {
    const keep = options.only && !options.only.includes(entry.name);
    const old = options.previous?.models.find((m) => m.name === entry.name);
    if (keep && old) {
      entry.metric = old.metric;
      continue;
    }
    if (isEvaluable(entry)) options.onModel?.(entry.name, 'evaluate');
    entry.metric = await measureMetric(entry, draft, data, options);
  }
  return parseManifest(draft, 'built manifest');
}

function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A Markdown table of the manifest: name, task, params, MACs, metric. */
export function manifestMarkdownTable(manifest: ZooManifest): string {
  const rows = manifest.models.map((m) => {
    const metric = m.metric
      ? `${m.metric.name} ${m.metric.value.toFixed(4)}${m.metric.composedWith ? ` (with ${m.metric.composedWith})` : ''}`
      : '-';
    const extra = m.metric?.perOutput
      ? ` (${Object.entries(m.metric.perOutput)
          .map(([k, v]) => `${k} ${v.toFixed(4)}`)
          .join(', ')})`
      : '';
    const task = m.task === 'denoising' && m.noiseSigma ? `denoising (sigma ${m.noiseSigma})` : m.task;
    return `| ${m.name} | ${task} | ${fmtCount(m.params)} | ${fmtCount(m.macs)} | ${metric}${extra} |`;
  });
  return [
    '| model | task | params | MACs | test metric (TS, onnxruntime-node) |',
    '| --- | --- | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
}

/** The LCP variants (whole models) with accuracy, params and MACs, also relative to `lcp-original`. */
export function lcpMarkdownTable(manifest: ZooManifest): string {
  const lcp = manifest.models.filter((m) => /^lcp-(original|split\d+(-f\d+)?)$/.test(m.name));
  const base = lcp.find((m) => m.name === 'lcp-original');
  const pct = (v: number, b: number | undefined) => (b ? ` (${((100 * v) / b).toFixed(1)}%)` : '');
  const rows = lcp
    .sort((a, b) => a.params - b.params)
    .reverse()
    .map((m) => {
      const acc = m.metric ? m.metric.value.toFixed(4) : '-';
      return `| ${m.name} | ${acc} | ${fmtCount(m.params)}${pct(m.params, base?.params)} | ${fmtCount(m.macs)}${pct(m.macs, base?.macs)} |`;
    });
  return [
    '| model | accuracy | params (% of original) | MACs (% of original) |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** Replaces the text between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` in a document. */
export function replaceZooTable(doc: string, table: string, marker = 'zoo-table'): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new EdgesplitError('E_DATA', `document has no ${start} ... ${end} markers`);
  return `${doc.slice(0, i + start.length)}\n${table}\n${doc.slice(j)}`;
}
