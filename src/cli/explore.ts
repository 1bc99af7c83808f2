import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { UsageError } from '../core/errors.js';
import { profileModelFile, requireKnownCosts } from '../profile/index.js';
import {
  cutLabel,
  fmtEnergy,
  fmtPower,
  fmtTime,
  PRECISION_FRONT_COLUMNS,
  precisionFrontRows,
} from '../report/format.js';
import { writeExploreReport } from '../report/write.js';
import { chosenCut, exploreSplits } from '../strategy/split/explore.js';
import { parsePair } from '../strategy/quantize/formats.js';
import { precisionDesign } from '../zoo/precision-design.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { manifestOrUndefined, resolveModel } from './eval.js';
import {
  allowUnknownOpsOption,
  inputShapeOption,
  parseBits,
  parseInputShapes,
  parsePositiveInt,
} from './options.js';
import { qualityProgress } from './split.js';
import { formatTable, printJson } from './output.js';
import { parseNonNegative } from './split.js';

interface ExploreCliOptions {
  nodes: string;
  links: string;
  bits: string;
  hub: string;
  weightBits: string;
  fps: string;
  memoryOverhead: string;
  catalog: string[];
  out: string;
  precisions?: string;
  calibrate: string;
  qualityLimit: string;
  json?: boolean;
  inputShape?: string[];
  allowUnknownOps?: boolean;
}

function list(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new UsageError(`${flag} needs a comma-separated list, got '${value}'`);
  return [...new Set(items)];
}

/** `edgesplit explore`: sweep cut x link x node x bits and write an HTML report with CSV and JSON. */
export function registerExploreCommand(program: Command): void {
  program
    .command('explore')
    .description(
      'sweep cut x link x node device x bit width, find the Pareto front of node energy vs latency, write an HTML report (+ CSV, JSON)',
    )
    .argument('<model>', 'ONNX model file')
    .requiredOption('--nodes <ids>', 'node device ids, comma-separated')
    .requiredOption('--links <ids>', 'link ids, comma-separated')
    .option('--bits <list>', 'activation bit widths, comma-separated', '8,10,16,32')
    .option('--hub <device>', 'hub device id', 'phone')
    .option('--weight-bits <n>', 'weight bit width on the node', '10')
    .option('--fps <n>', 'frame rate the node must sustain', '30')
    .option('--memory-overhead <x>', 'memory overhead on per-MAC energies (DistNN: 0.8)', '0.8')
    .option(
      '--catalog <file>',
      'extra device/link catalog JSON (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--out <file>', 'HTML report path; CSV and JSON go next to it', 'report.html')
    .option(
      '--precisions <list>',
      'also sweep weight/feature-map formats (e.g. fp32/fp32,q1.8/int8,int8/int8) with measured quality: report plots node energy vs quality',
    )
    .option('--calibrate <dataset>', 'calibration images for --precisions', 'fashion-mnist-calib')
    .option('--quality-limit <n>', 'calibration images each quality is measured on', '500')
    .option('--json', 'print a JSON summary on stdout')
    .addOption(inputShapeOption())
    .addOption(allowUnknownOpsOption())
    .action(async (model: string, opts: ExploreCliOptions) => {
      const bits = list('--bits', opts.bits).map((b) => parseBits('--bits', b));
      const weightBits = parseBits('--weight-bits', opts.weightBits);
      const fps = parseNonNegative('--fps', opts.fps);
      if (fps === 0) throw new UsageError('--fps must be > 0');
      const memoryOverhead = parseNonNegative('--memory-overhead', opts.memoryOverhead);
      const devices = loadDeviceCatalog(opts.catalog);
      const linkCatalog = loadLinkCatalog(opts.catalog);
      const nodes = list('--nodes', opts.nodes).map((id) => devices.get(id));
      const links = list('--links', opts.links).map((id) => linkCatalog.get(id));
      const hub = devices.get(opts.hub);
      const { profile } = await profileModelFile(model, {
        activationBits: bits[0],
        weightBits,
        inputShapes: parseInputShapes(opts.inputShape ?? []),
      });
      if (!opts.allowUnknownOps) requireKnownCosts(profile, 'explore');
      const total = nodes.length * links.length * bits.length;
      const bar = new SingleBar({
        stream: process.stderr,
        format: 'explore [{bar}] {value}/{total} configurations',
        hideCursor: true,
        noTTYOutput: false,
      });
      const interactive = Boolean(process.stderr.isTTY);
      if (interactive) bar.start(total, 0);
      const result = exploreSplits(
        { ...profile, model },
        {
          nodes,
          links,
          bits,
          hub,
          weightBits,
          fps,
          memoryOverhead,
          onProgress: (done) => (interactive ? bar.update(done) : undefined),
        },
      );
      if (interactive) bar.stop();
      process.stderr.write(
        `explore: ${result.configs.length} configurations, ${result.points.length} points; rendering report\n`,
      );
      const manifest = opts.precisions ? manifestOrUndefined() : undefined;
      const resolved = opts.precisions ? resolveModel(model, manifest) : undefined;
      const design =
        opts.precisions && resolved
          ? await precisionDesign({
              modelPath: resolved.path,
              model,
              eval: resolved.entry && manifest ? zooEvalOptions(resolved.entry, manifest) : {},
              nodes,
              links,
              hub,
              pairs: list('--precisions', opts.precisions).map((p) => parsePair(p)),
              calibration: {
                dataset: opts.calibrate,
                limit: parsePositiveInt('--quality-limit', opts.qualityLimit),
              },
              fps,
              memoryOverhead,
              onProgress: qualityProgress,
            })
          : undefined;
      const files = await writeExploreReport({
        htmlPath: opts.out,
        modelPath: model,
        profile,
        result,
        nodes,
        links,
        hub,
        ...(design
          ? {
              precision: {
                points: design.points,
                metric: design.metric,
                images: design.qualities[0]?.images ?? 0,
              },
            }
          : {}),
      });
      const front = result.points.filter((p) => p.pareto).sort((a, b) => a.latencyS - b.latencyS);
      if (opts.json) {
        printJson({
          model,
          hub: hub.id,
          files,
          configurations: result.configs.length,
          points: result.points.length,
          chosen: result.configs.map(chosenCut),
          pareto: front,
          ...(design
            ? { precision: { metric: design.metric, pareto: design.points.filter((p) => p.pareto) } }
            : {}),
        });
        return;
      }
      const rows = result.configs.map((r) => [
        r.node,
        r.link,
        String(r.bits),
        cutLabel(r.best.cut, r.best.after),
        fmtEnergy(r.best.nodeEnergyJ),
        fmtTime(r.best.estimate.latencyS),
        fmtPower(r.best.estimate.nodeAvgPowerW) + (r.best.estimate.sustainsFps ? '' : ' (misses fps)'),
      ]);
      const out = [
        formatTable(['node', 'link', 'bits', 'chosen cut', 'E_node', 'latency', `power@${fps}fps`], rows),
        '',
        `Pareto front (node energy vs latency), ${front.length} point(s):`,
        formatTable(
          ['node', 'link', 'bits', 'cut', 'E_node', 'latency'],
          front.map((p) => [
            p.node,
            p.link,
            String(p.bits),
            cutLabel(p.cut, p.after),
            fmtEnergy(p.nodeEnergyJ),
            fmtTime(p.latencyS),
          ]),
        ),
        ...(design
          ? [
              '',
              `Pareto front (node energy vs ${design.metric} on ${design.qualities[0]?.images ?? 0} ${opts.calibrate} images), ${design.points.filter((p) => p.pareto).length} of ${design.points.length} point(s):`,
              formatTable([...PRECISION_FRONT_COLUMNS, design.metric], precisionFrontRows(design.points)),
            ]
          : []),
        '',
        `wrote ${files.html}, ${files.csv}, ${files.json}`,
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
