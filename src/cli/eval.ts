import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { EdgesplitError, UsageError } from '../core/errors.js';
import { DATASETS } from '../data/datasets.js';
import { evaluateModel, MAX_EVAL_BATCH, type EvalOptions, type EvalResult } from '../zoo/evaluate.js';
import {
  findZooModelByPath,
  loadManifest,
  zooModel,
  zooModelPath,
  type ZooManifest,
  type ZooModel,
} from '../zoo/manifest.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { zooSourceOfFile } from '../zoo/precision.js';
import { fmtInt, formatTable, printJson } from './output.js';

interface EvalCliOptions {
  data: string;
  limit?: string;
  batch: string;
  threads: string;
  json?: boolean;
}

function positiveInt(value: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`${flag} must be an integer in 1..${max}, got '${value}'`);
  }
  return n;
}

/** The committed zoo manifest, or undefined when there is none. */
export function manifestOrUndefined(): ZooManifest | undefined {
  try {
    return loadManifest();
  } catch (err) {
    // without a committed manifest eval still works from the model's output shapes
    if (err instanceof EdgesplitError && err.code === 'E_IO') return undefined;
    throw err;
  }
}

/**
 * Resolves the argument as a file path, or as a zoo model name when no such file exists. A file made
 * by `edgesplit quantize` from a zoo model is measured as that zoo model (its metadata names it).
 */
export function resolveModel(
  arg: string,
  manifest: ZooManifest | undefined,
): { path: string; entry?: ZooModel } {
  if (existsSync(arg)) {
    const entry = manifest && findZooModelByPath(arg, manifest);
    if (entry || !manifest) return { path: arg, entry };
    const source = zooSourceOfFile(arg);
    return { path: arg, entry: source ? manifest.models.find((m) => m.name === source) : undefined };
  }
  if (manifest && !arg.endsWith('.onnx') && manifest.models.some((m) => m.name === arg)) {
    return { path: zooModelPath(arg, manifest), entry: zooModel(arg, manifest) };
  }
  throw new EdgesplitError('E_IO', `${arg}: no such model file${manifest ? ' or zoo model name' : ''}`);
}

function resultRows(r: EvalResult, entry: ZooModel | undefined): string[][] {
  const rows: string[][] = [
    ['model', entry ? `${r.model} (zoo: ${entry.name})` : r.model],
    ['dataset', r.dataset],
    ['task', r.task],
    ['samples', fmtInt(r.samples)],
  ];
  if (r.composedWith) rows.push(['encoder', r.composedWith]);
  if (r.noiseSigma !== undefined) rows.push(['input noise sigma', String(r.noiseSigma)]);
  if (r.accuracy !== undefined) rows.push([`accuracy (${r.output})`, r.accuracy.toFixed(4)]);
  for (const [name, acc] of Object.entries(r.perOutput ?? {}))
    if (name !== r.output) rows.push([`accuracy (${name})`, acc.toFixed(4)]);
  if (r.ssim !== undefined) rows.push([`ssim (${r.output})`, r.ssim.toFixed(4)]);
  if (entry?.metric) {
    rows.push([
      `manifest ${entry.metric.name} (${fmtInt(entry.metric.samples)} images)`,
      entry.metric.value.toFixed(4),
    ]);
  }
  rows.push(['throughput', `${fmtInt(r.throughputPerS)} images/s`]);
  rows.push(['batch', String(r.batchSize)]);
  return rows;
}

/** Registers `edgesplit eval`. */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'Evaluate a model on a dataset with onnxruntime-node: accuracy (classifiers) or SSIM (autoencoders), and throughput',
    )
    .argument('<model>', 'ONNX file, or the name of a zoo model from models/manifest.json')
    .option('--data <name>', `dataset: ${DATASETS.map((d) => d.name).join(', ')}`, 'fashion-mnist-test')
    .option('--limit <n>', 'evaluate only the first n images')
    .option('--batch <n>', 'images per inference run', '256')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--json', 'print one JSON object on stdout')
    .action(async (modelArg: string, opts: EvalCliOptions) => {
      const manifest = manifestOrUndefined();
      const { path, entry } = resolveModel(modelArg, manifest);
      const options: EvalOptions = {
        dataset: opts.data,
        limit: opts.limit === undefined ? undefined : positiveInt(opts.limit, '--limit'),
        batchSize: positiveInt(opts.batch, '--batch', MAX_EVAL_BATCH),
        intraOpThreads: positiveInt(opts.threads, '--threads', 64),
        ...(entry && manifest ? zooEvalOptions(entry, manifest) : {}),
      };
      const bar =
        !opts.json && process.stderr.isTTY
          ? new SingleBar({
              stream: process.stderr,
              format: `eval ${basename(path)} [{bar}] {value}/{total} images | {eta}s left`,
              hideCursor: true,
            })
          : undefined;
      let started = false;
      options.onProgress = (done, total) => {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      };
      let result: EvalResult;
      try {
        result = await evaluateModel(path, options);
      } finally {
        if (started) bar?.stop();
      }
      if (opts.json) {
        const { samples, accuracy, ssim, throughputPerS, ...rest } = result;
        printJson({
          samples,
          ...(accuracy !== undefined ? { accuracy } : {}),
          ...(ssim !== undefined ? { ssim } : {}),
          throughputPerS,
          ...rest,
          ...(entry ? { zooModel: entry.name } : {}),
        });
        return;
      }
      process.stdout.write(`${formatTable(['quantity', 'value'], resultRows(result, entry))}\n`);
    });
}
