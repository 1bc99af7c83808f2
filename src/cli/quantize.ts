import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { loadModelFile, saveModelFile } from '../onnx/io.js';
import { CALIBRATION_METHODS } from '../strategy/quantize/calibrate.js';
import { parseFormat, type PrecisionPair } from '../strategy/quantize/formats.js';
import {
  DEFAULT_CALIBRATION_LIMIT,
  quantizeLoaded,
  resolveNodeCut,
  tagZooSource,
  type CalibrationSource,
} from '../zoo/precision.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { manifestOrUndefined, resolveModel } from './eval.js';
import { parseChoice, parsePositiveInt } from './options.js';
import { formatTable, printJson } from './output.js';

interface QuantizeCliOptions {
  weights: string;
  activations: string;
  calibrate?: string;
  calibrateLimit: string;
  calibration: string;
  percentile: string;
  nodeCut?: string;
  out: string;
  json?: boolean;
}

/** Parses the shared calibration options of `quantize`, `precision`, `split` and `explore`. */
export function calibrationOption(
  dataset: string | undefined,
  limit: string,
  method: string,
  percentile: string,
): CalibrationSource | undefined {
  if (!dataset) return undefined;
  const p = Number(percentile);
  if (!(p > 50 && p <= 100)) throw new UsageError(`--percentile must be in (50, 100], got '${percentile}'`);
  return {
    dataset,
    limit: parsePositiveInt('--calibrate-limit', limit),
    method: parseChoice('--calibration', method, CALIBRATION_METHODS),
    percentile: p,
  };
}

/** `edgesplit quantize`: a fixed-point / integer / fp16 simulation of a model as an ONNX file. */
export function registerQuantizeCommand(program: Command): void {
  program
    .command('quantize')
    .description(
      'rewrite a model so onnxruntime computes it in fixed point, integers or fp16 (weights and feature maps), whole or only its node side',
    )
    .argument('<model>', 'ONNX file, or the name of a zoo model')
    .option(
      '--weights <format>',
      'weight format: fp32, fp16, q<m>.<n> (q1.8 = 10 bits), dfp<b>, int<k>, int8-tensor',
      'q1.8',
    )
    .option(
      '--activations <format>',
      'feature-map format: fp32, fp16, int<k> (calibrated scale), dfp<b>, q<m>.<n>',
      'int8',
    )
    .option('--calibrate <dataset>', 'calibration images for int/dfp feature maps, e.g. fashion-mnist-calib')
    .option('--calibrate-limit <n>', 'calibration images used', String(DEFAULT_CALIBRATION_LIMIT))
    .option('--calibration <method>', `range from ${CALIBRATION_METHODS.join(' or ')}`, 'minmax')
    .option('--percentile <p>', 'two-sided percentile of --calibration percentile', '99.99')
    .option(
      '--node-cut <cut>',
      'quantise only the node side: cut index k (nodes [0,k)) or the last node-side node name',
    )
    .requiredOption('--out <file>', 'quantised ONNX file to write')
    .option('--json', 'print the quantisation record as JSON')
    .action(async (modelArg: string, opts: QuantizeCliOptions) => {
      const manifest = manifestOrUndefined();
      const { path, entry } = resolveModel(modelArg, manifest);
      const pair: PrecisionPair = {
        weights: parseFormat(opts.weights, '--weights'),
        activations: parseFormat(opts.activations, '--activations'),
      };
      const calib = calibrationOption(opts.calibrate, opts.calibrateLimit, opts.calibration, opts.percentile);
      const noise = entry && manifest && entry.task === 'denoising' ? zooEvalOptions(entry, manifest) : {};
      const model = await loadModelFile(path);
      const nodeCut = opts.nodeCut === undefined ? undefined : resolveNodeCut(model, opts.nodeCut, path);
      const q = await quantizeLoaded(model, {
        pair,
        nodeCut,
        calibration: calib && { ...calib, noiseSigma: noise.noiseSigma, noiseClip: noise.noiseClip },
      });
      if (entry) tagZooSource(q.model, entry.name);
      await saveModelFile(opts.out, q.model);
      if (opts.json) {
        printJson({ file: opts.out, ...q.record });
        return;
      }
      const w = q.record.tensors.filter((t) => t.role === 'weight').length;
      const fm = q.record.tensors.filter((t) => t.role === 'feature-map');
      const rows = [
        ['model', path],
        ['weights', `${pair.weights.name} (${w} tensor(s))`],
        ['feature maps', `${pair.activations.name} (${fm.length} tensor(s))`],
        ['node side', nodeCut === undefined ? 'whole model' : `nodes [0, ${nodeCut}) of ${q.record.nodes}`],
        [
          'calibration',
          q.record.calibration
            ? `${q.record.calibration.dataset}, ${q.record.calibration.images} images, ${q.record.calibration.method}`
            : 'none needed',
        ],
        ['metadata', 'edgesplit.quantize (every tensor, its format and scales)'],
        ['wrote', opts.out],
      ];
      process.stdout.write(`${formatTable(['quantity', 'value'], rows)}\n`);
    });
}
