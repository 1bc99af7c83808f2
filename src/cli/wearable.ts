import { writeOutputFile } from '../core/output-file.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { fmtEnergy, fmtPower } from '../report/format.js';
import { wearableHtml } from '../report/wearable-html.js';
import { parseFormat } from '../strategy/quantize/formats.js';
import { DEFAULT_CALIBRATION_LIMIT } from '../zoo/precision.js';
import { runWearable, type WearableRunResult } from '../zoo/wearable-run.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { manifestOrUndefined, resolveModel } from './eval.js';
import { parsePositiveInt } from './options.js';
import { formatTable, printJson } from './output.js';
import { calibrationOption } from './quantize.js';

interface WearableCliOptions {
  node: string;
  hub: string;
  link: string;
  weights: string;
  activations: string;
  calibrate: string;
  calibrateLimit: string;
  limit: string;
  fps: string;
  catalog: string[];
  workDir?: string;
  out?: string;
  json?: boolean;
}

/** `edgesplit wearable`: split autoencoders run for real between a wearable node and a hub (DistNN Fig. 10). */
export function registerWearableCommand(program: Command): void {
  program
    .command('wearable')
    .description(
      'split autoencoders at the cut DistNN chooses, run the fixed-point node side and the hub decoder as processes over the emulated link, report SSIM and energy',
    )
    .argument('[models...]', 'autoencoders (zoo names or files)', ['ae', 'ae-complex', 'ae-denoise'])
    .option('--node <device>', 'node device', 'distnn-asic-65nm')
    .option('--hub <device>', 'hub device', 'phone')
    .option('--link <link>', 'link between them (emulated)', 'ble')
    .option('--weights <format>', 'node-side weight format', 'q1.8')
    .option('--activations <format>', 'node-side feature-map format (8-bit codes go on the wire)', 'int8')
    .option('--calibrate <dataset>', 'calibration images', 'fashion-mnist-calib')
    .option('--calibrate-limit <n>', 'calibration images used', String(DEFAULT_CALIBRATION_LIMIT))
    .option('--limit <n>', 'test images run through the pipeline', '500')
    .option('--fps <n>', 'frame rate', '30')
    .option(
      '--catalog <file>',
      'extra device/link catalog JSON (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--work-dir <dir>', 'plan directories and quantised models (default a temp dir)')
    .option('--out <file>', 'HTML report with the image grid')
    .option('--json', 'print one JSON object')
    .action(async (models: string[], opts: WearableCliOptions) => {
      const manifest = manifestOrUndefined();
      const devices = loadDeviceCatalog(opts.catalog);
      const links = loadLinkCatalog(opts.catalog);
      const pair = {
        weights: parseFormat(opts.weights, '--weights'),
        activations: parseFormat(opts.activations, '--activations'),
      };
      const calibration = calibrationOption(opts.calibrate, opts.calibrateLimit, 'minmax', '99.99')!;
      const workDir = opts.workDir ?? join(tmpdir(), `edgesplit-wearable-${process.pid}`);
      const runs: WearableRunResult[] = [];
      for (const m of models) {
        const { path, entry } = resolveModel(m, manifest);
        const ev = entry && manifest ? zooEvalOptions(entry, manifest) : {};
        runs.push(
          await runWearable({
            model: { name: entry?.name ?? m, path, noiseSigma: ev.noiseSigma, noiseClip: ev.noiseClip },
            node: devices.get(opts.node),
            hub: devices.get(opts.hub),
            link: links.get(opts.link),
            pair,
            calibration,
            limit: parsePositiveInt('--limit', opts.limit),
            fps: parsePositiveInt('--fps', opts.fps),
            outDir: workDir,
            log: (l) => process.stderr.write(`${l}\n`),
          }),
        );
      }
      if (opts.out)
        await writeOutputFile(
          opts.out,
          await wearableHtml(runs, `Split autoencoders: ${opts.node} over ${opts.link} to ${opts.hub}`),
          'report',
        );
      if (opts.json) {
        printJson({
          runs: runs.map(({ samples: _s, split: _p, ...r }) => r),
          ...(opts.out ? { report: opts.out } : {}),
        });
        return;
      }
      const rows = runs.map((r) => [
        r.model,
        `${r.cut.index} (${r.cut.after})`,
        r.ssim.toFixed(4),
        r.wholeModelSsim.toFixed(4),
        `${r.payloadBytesPerFrame} B / ${r.wireBytesPerFrame} B`,
        fmtEnergy(r.nodeEnergyJ),
        fmtPower(r.nodePowerW),
        r.sustainsFps ? 'yes' : 'no',
      ]);
      process.stdout.write(
        `${opts.node} -> ${opts.link} -> ${opts.hub}, node arithmetic W:${pair.weights.name} FM:${pair.activations.name}, ${runs[0]?.images ?? 0} test images each\n`,
      );
      process.stdout.write(
        `${formatTable(['model', 'cut', 'SSIM run', 'SSIM whole', 'payload / framed per frame', 'E_node', `power@${opts.fps}fps`, 'fps met'], rows)}\n`,
      );
      if (opts.out) process.stdout.write(`wrote ${opts.out}\n`);
    });
}
