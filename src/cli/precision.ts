import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { DATASETS } from '../data/datasets.js';
import { CALIBRATION_METHODS } from '../strategy/quantize/calibrate.js';
import { pairLabel, parsePair } from '../strategy/quantize/formats.js';
import { DEFAULT_CALIBRATION_LIMIT, precisionTable } from '../zoo/precision.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { manifestOrUndefined, resolveModel } from './eval.js';
import { parsePositiveInt } from './options.js';
import { formatTable, printJson } from './output.js';
import { calibrationOption } from './quantize.js';

/** Table V's rows (FP32, W:Q1.8 + FM:FP32, W:Q1.8 + FM:8-bit) plus int8 QDQ and dynamic fixed point. */
export const TABLE_V_PRECISIONS = 'fp32/fp32,q1.8/fp32,q1.8/int8,q1.8/dfp8,int8/int8,dfp10/fp32,dfp10/dfp8';

interface PrecisionCliOptions {
  precisions: string;
  data: string;
  limit?: string;
  calibrate: string;
  calibrateLimit: string;
  calibration: string;
  percentile: string;
  outDir?: string;
  json?: boolean;
}

/** `edgesplit precision`: our DistNN Table V. */
export function registerPrecisionCommand(program: Command): void {
  program
    .command('precision')
    .description(
      'metric of models under weight/feature-map formats (DistNN Table V), run through onnxruntime',
    )
    .argument('[models...]', 'ONNX files or zoo model names', ['local', 'remote', 'ae', 'ae-denoise'])
    .option('--precisions <list>', 'comma-separated <weights>/<activations> pairs', TABLE_V_PRECISIONS)
    .option(
      '--data <name>',
      `evaluation dataset: ${DATASETS.map((d) => d.name).join(', ')}`,
      'fashion-mnist-test',
    )
    .option('--limit <n>', 'evaluate only the first n images')
    .option('--calibrate <dataset>', 'calibration images', 'fashion-mnist-calib')
    .option('--calibrate-limit <n>', 'calibration images used', String(DEFAULT_CALIBRATION_LIMIT))
    .option('--calibration <method>', `range from ${CALIBRATION_METHODS.join(' or ')}`, 'minmax')
    .option('--percentile <p>', 'two-sided percentile of --calibration percentile', '99.99')
    .option('--out-dir <dir>', 'keep the quantised models here (default a temp dir)')
    .option('--json', 'print one JSON object')
    .action(async (models: string[], opts: PrecisionCliOptions) => {
      const manifest = manifestOrUndefined();
      const pairs = opts.precisions.split(',').map((s) => parsePair(s.trim()));
      if (pairs.length === 0) throw new UsageError('--precisions is empty');
      const resolved = models.map((m) => {
        const { path, entry } = resolveModel(m, manifest);
        return {
          name: m,
          path,
          zooName: entry?.name,
          eval: entry && manifest ? zooEvalOptions(entry, manifest) : {},
        };
      });
      const calibration = calibrationOption(
        opts.calibrate,
        opts.calibrateLimit,
        opts.calibration,
        opts.percentile,
      )!;
      const bar = process.stderr.isTTY
        ? new SingleBar({
            stream: process.stderr,
            format: 'precision [{bar}] {value}/{total} {what}',
            hideCursor: true,
          })
        : undefined;
      bar?.start(models.length * pairs.length, 0, { what: '' });
      const cells = await precisionTable({
        models: resolved,
        pairs,
        dataset: opts.data,
        limit: opts.limit === undefined ? undefined : parsePositiveInt('--limit', opts.limit),
        calibration,
        outDir: opts.outDir,
        onProgress: (done, _total, what) =>
          bar ? bar.update(done, { what }) : process.stderr.write(`precision: ${what}\n`),
      });
      bar?.stop();
      if (opts.json) {
        printJson({ dataset: opts.data, calibration, cells });
        return;
      }
      const labels = pairs.map(pairLabel);
      const rows = resolved.map((m) => {
        const mine = cells.filter((c) => c.model === m.name);
        return [
          m.name,
          mine[0]?.metric ?? '',
          ...labels.map((l) => mine.find((c) => c.precision === l)!.value.toFixed(4)),
        ];
      });
      process.stdout.write(
        `${opts.data}, ${cells[0]?.samples ?? 0} images; feature-map scales calibrated on ${calibration.dataset} (${calibration.limit} images, ${calibration.method})\n`,
      );
      process.stdout.write(`${formatTable(['model', 'metric', ...labels], rows)}\n`);
    });
}
