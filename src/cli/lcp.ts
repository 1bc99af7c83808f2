/** `edgesplit lcp`: parses the sub-commands' options and prints what the library computes. */
import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { UsageError } from '../core/errors.js';
import { PLAN_WIRES, type PlanWire } from '../core/vocabulary.js';
import { buildGraph } from '../graph/build.js';
import { loadModelFile, saveModelFile } from '../onnx/io.js';
import { planLcpModel } from '../plan/lcp-plan.js';
import { lcpCompare, lcpCompareReport } from '../runtime/lcp-compare.js';
import { parseTimeScale } from '../runtime/pacing.js';
import { LCP_OBJECTIVES, lcpSplit, lcpSplitReport, type LcpObjective } from '../strategy/lcp/index.js';
import { parseDeviceSpec } from '../strategy/plan/devices.js';
import { lcpAccuracyTable } from '../zoo/lcp-table.js';
import { printCompare, printLcpPlan, printSplit, printTable } from './lcp-print.js';
import { parseChoice, parsePositiveInt } from './options.js';
import { printJson } from './output.js';
import { parseNonNegative } from './split.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new UsageError(`--seed must be a whole number >= 0, got '${value}'`);
  return n;
}

interface SplitOpts {
  device?: string;
  branches?: string;
  divisionFactor: string;
  fatten: string;
  seed: string;
  deadline?: string;
  out: string;
  catalog: string[];
  json?: boolean;
}

interface PlanOpts {
  devices: string;
  link: string;
  objective: string;
  replicas: string;
  wire: string;
  out: string;
  catalog: string[];
  json?: boolean;
}

function registerPlan(lcp: Command): void {
  lcp
    .command('plan')
    .description(
      "place an LCP model's branches on devices and write a DAG plan directory for `edgesplit run`",
    )
    .argument('<lcp-model>', 'LCP ONNX model (from lcp split, or a zoo lcp-split* model)')
    .option('--devices <spec>', 'devices: catalog ids with counts', 'rpi3bplusx4')
    .option('--link <id>', 'link between every pair and the coordinator', 'wifi-rpi3bplus')
    .option('--objective <name>', `classifier placement objective: ${LCP_OBJECTIVES.join(', ')}`, 'latency')
    .option('--replicas <n>', 'devices per stage (a replica named <device>-r2, ...)', '1')
    .option('--wire <dtype>', `wire encoding of activations: ${PLAN_WIRES.join('|')}`, 'fp32')
    .requiredOption('--out <dir>', 'plan directory to write')
    .option('--catalog <file>', 'extra device/link catalog JSON (repeatable)', collect, [])
    .option('--json', 'print plan.json')
    .action(async (lcpPath: string, opts: PlanOpts) => {
      const objective = parseChoice<LcpObjective>('--objective', opts.objective, LCP_OBJECTIVES);
      const wire = parseChoice<PlanWire>('--wire', opts.wire, PLAN_WIRES);
      const { plan } = await planLcpModel(lcpPath, {
        devices: parseDeviceSpec(opts.devices, loadDeviceCatalog(opts.catalog)),
        link: loadLinkCatalog(opts.catalog).get(opts.link),
        objective,
        replicas: parsePositiveInt('--replicas', opts.replicas),
        wire,
        out: opts.out,
      });
      if (opts.json) return printJson(plan);
      printLcpPlan(plan, lcpPath, opts.out);
    });
}

interface CompareOpts {
  run?: boolean;
  limit: string;
  timeScale: string;
  original: string;
  devices: string;
  link: string;
  objective: string;
  catalog: string[];
  json?: boolean;
}

/** `edgesplit lcp`: the LCP splitter, the zoo's accuracy table and the modelled comparison. */
export function registerLcpCommand(program: Command): void {
  const lcp = program
    .command('lcp')
    .description(
      'low-communication parallelization (LCP): narrow independent branches that meet before the classifier',
    );
  registerPlan(lcp);
  lcp
    .command('split')
    .description('split a CNN into LCP branches (seed Procedure 1) and write the LCP model as ONNX')
    .argument(
      '<model>',
      'ONNX model file (sequential or residual CNN ending in a fully connected classifier)',
    )
    .option('--branches <n>', 'number of branches (width divided by n)')
    .option('--device <id>', 'divide by the division factor until one branch fits this device')
    .option('--deadline <ms>', 'with --device: a branch must also compute within this time')
    .option('--division-factor <n>', 'division factor of the --device loop', '2')
    .option('--fatten <percent>', 'widen every branch layer by this percentage (0..100)', '0')
    .option('--seed <n>', 'seed of the fresh weights', '1')
    .requiredOption('--out <file>', 'where to write the LCP model')
    .option('--catalog <file>', 'extra device/link catalog JSON (repeatable)', collect, [])
    .option('--json', 'print one JSON object')
    .action(async (modelPath: string, opts: SplitOpts) => {
      if ((opts.branches === undefined) === (opts.device === undefined))
        throw new UsageError('give exactly one of --branches <n> or --device <id>');
      if (opts.deadline !== undefined && opts.device === undefined)
        throw new UsageError('--deadline needs --device');
      const fattenPercent = parseNonNegative('--fatten', opts.fatten);
      if (fattenPercent > 100)
        throw new UsageError(`--fatten must be a percentage in 0..100, got '${opts.fatten}'`);
      const model = await loadModelFile(modelPath);
      const result = lcpSplit(model, buildGraph(model, modelPath), {
        branches: opts.branches === undefined ? undefined : parsePositiveInt('--branches', opts.branches),
        device: opts.device === undefined ? undefined : loadDeviceCatalog(opts.catalog).get(opts.device),
        deadlineS:
          opts.deadline === undefined ? undefined : parseNonNegative('--deadline', opts.deadline) / 1e3,
        divisionFactor: parsePositiveInt('--division-factor', opts.divisionFactor),
        fattenPercent,
        seed: parseSeed(opts.seed),
      });
      await saveModelFile(opts.out, result.model);
      if (opts.json) printJson(lcpSplitReport(result, opts.out));
      else printSplit(result, opts.out);
    });
  lcp
    .command('table')
    .description(
      "accuracy, params and MACs of the zoo's LCP variants (seed Tables II/III), measured with onnxruntime-node",
    )
    .option('--limit <n>', 'evaluate only the first n test images')
    .option('--batch <n>', 'images per inference run', '500')
    .option('--json', 'print one JSON object')
    .action(async (opts: { limit?: string; batch: string; json?: boolean }) => {
      const table = await lcpAccuracyTable({
        limit: opts.limit === undefined ? undefined : parsePositiveInt('--limit', opts.limit),
        batchSize: parsePositiveInt('--batch', opts.batch),
        onModel: opts.json
          ? undefined
          : (m, i, n) => process.stderr.write(`evaluated ${m} (${i + 1}/${n})\n`),
      });
      if (opts.json) printJson(table);
      else printTable(table);
    });
  lcp
    .command('compare')
    .description(
      'MODELLED bytes, latency, throughput and energy of an LCP model vs model and data parallelism of the original',
    )
    .argument('<lcp-model>', 'LCP ONNX model (from lcp split, or a zoo lcp-split* model)')
    .requiredOption('--original <model>', 'the original model for the model- and data-parallel rows')
    .option('--devices <spec>', 'devices: catalog ids with counts', 'rpi3bplusx4')
    .option('--link <id>', 'link between every pair and the coordinator', 'wifi-rpi3bplus')
    .option('--objective <name>', `classifier placement objective: ${LCP_OBJECTIVES.join(', ')}`, 'latency')
    .option('--catalog <file>', 'extra device/link catalog JSON (repeatable)', collect, [])
    .option(
      '--run',
      'also run every row on emulated devices and links (real node processes) and print the measured table',
    )
    .option('--limit <n>', 'with --run: test images per run', '200')
    .option(
      '--time-scale <k>',
      'with --run: deployment time runs k times faster (times reported at deployment scale)',
      '1',
    )
    .option('--json', 'print one JSON object')
    .action(async (lcpPath: string, opts: CompareOpts) => {
      const objective = parseChoice<LcpObjective>('--objective', opts.objective, LCP_OBJECTIVES);
      const devices = parseDeviceSpec(opts.devices, loadDeviceCatalog(opts.catalog));
      const link = loadLinkCatalog(opts.catalog).get(opts.link);
      const result = await lcpCompare(lcpPath, opts.original, {
        devices,
        link,
        objective,
        ...(opts.run
          ? {
              run: {
                limit: parsePositiveInt('--limit', opts.limit),
                timeScale: parseTimeScale(opts.timeScale),
              },
            }
          : {}),
        catalogFiles: opts.catalog,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      if (opts.json) printJson(lcpCompareReport(result));
      else
        printCompare(
          result,
          `${link.id} (${(link.throughputBps / 1e6).toFixed(2)} Mb/s, ${(link.latencyS * 1e3).toFixed(2)} ms per message)`,
        );
    });
}
