import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { UsageError } from '../core/errors.js';
import type { CutEstimate } from '../cost/estimate.js';
import { profileModelFile, requireKnownCosts } from '../profile/index.js';
import { cutLabel, fmtCount, fmtEnergy, fmtPower, fmtTime } from '../report/format.js';
import { parsePair } from '../strategy/quantize/formats.js';
import {
  distnnSplit,
  type DistnnOptions,
  type SplitCandidate,
  type SplitResult,
} from '../strategy/split/index.js';
import { precisionDesign } from '../zoo/precision-design.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { manifestOrUndefined, resolveModel } from './eval.js';
import { MAC_ARRANGEMENTS } from '../catalog/schema.js';
import {
  allowUnknownOpsOption,
  inputShapeOption,
  parseBits,
  parseChoice,
  parseInputShapes,
  parsePositiveInt,
} from './options.js';
import { formatTable, printJson } from './output.js';

interface SplitCliOptions {
  node: string;
  hub: string;
  link: string;
  bits: string;
  weightBits: string;
  fps: string;
  memoryOverhead: string;
  measuredModel?: string;
  macArrangement?: string;
  catalog: string[];
  top: string;
  all?: boolean;
  layers?: boolean;
  precisions?: string;
  calibrate: string;
  qualityLimit: string;
  json?: boolean;
  inputShape?: string[];
  allowUnknownOps?: boolean;
}

/** Parses a non-negative number option, naming the option on failure. */
export function parseNonNegative(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${name} must be a number >= 0, got '${value}'`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function estimateJson(e: CutEstimate) {
  return {
    // the issue's contract: `cut` names the last node on the node side (null when nothing runs there)
    cut: e.after === '' ? null : e.after,
    cutIndex: e.cut,
    nodeEnergyJ: e.nodeEnergyJ,
    nodeComputeJ: e.nodeCompute.energyJ,
    nodeComputeS: e.nodeCompute.timeS,
    nodeComputeSource: e.nodeCompute.source,
    commJ: e.transfer.energyJ,
    commS: e.transfer.timeS,
    payloadBytes: e.transfer.payloadBytes,
    packets: e.transfer.packets,
    bits: e.transfer.bits,
    hubComputeS: e.hubCompute.timeS,
    hubComputeJ: e.hubCompute.energyJ,
    latencyS: e.latencyS,
    nodeAvgPowerW: e.nodeAvgPowerW,
    sustainsFps: e.sustainsFps,
    memory: e.memory,
    ...('layers' in e.nodeCompute
      ? {
          macUnit: { arrangement: e.nodeCompute.arrangement, bitScale: e.nodeCompute.bitScale },
          nodeLayers: e.nodeCompute.layers,
        }
      : {}),
  };
}

function candidateJson(c: SplitCandidate) {
  return {
    ...estimateJson(c.estimate),
    op: c.op,
    dvBits: c.dvBits,
    ccMacs: c.ccMacs,
    dvCcMerit: c.dvCcMerit,
    energyRank: c.energyRank,
    dvCcRank: c.dvCcRank,
    fits: c.fits,
  };
}

/** The JSON document of `edgesplit split --json`. */
export function splitJson(r: SplitResult) {
  return {
    model: r.model,
    node: r.node,
    hub: r.hub,
    link: r.link,
    bits: r.bits,
    weightBits: r.weightBits,
    fps: r.fps,
    memoryOverhead: r.memoryOverhead,
    memoryOverheadApplied: r.memoryOverheadApplied,
    best: candidateJson(r.best),
    bestDvCc: r.bestDvCc ? candidateJson(r.bestDvCc) : null,
    disagreement: r.disagreement,
    conditions: r.conditions,
    baselines: { allOnNode: estimateJson(r.allOnNode), allOffloaded: estimateJson(r.allOffloaded) },
    candidates: [...r.candidates]
      .sort((a, b) => (a.energyRank || Infinity) - (b.energyRank || Infinity) || a.cut - b.cut)
      .map(candidateJson),
  };
}

function layerTable(r: SplitResult): string {
  const c = r.allOnNode.nodeCompute;
  if (!('layers' in c))
    return `(${r.node} has no MAC-unit design; --layers lists the hardware MAC model's layers)`;
  return formatTable(
    ['layer', 'op', 'model', 'MAC blocks', 'energy', `power@${r.fps}fps`, 'latency'],
    c.layers.map((l) => [
      l.name,
      l.op,
      l.model,
      fmtCount(l.blocks),
      fmtEnergy(l.energyJ),
      fmtPower(l.powerW),
      fmtTime(l.latencyS),
    ]),
  );
}

function printHuman(r: SplitResult, top: number, layers: boolean): void {
  const out: string[] = [];
  const ov =
    r.memoryOverheadApplied || r.memoryOverhead === 0
      ? `memory overhead ${r.memoryOverhead}`
      : `memory overhead ${r.memoryOverhead} not applied (node energy is a measured power)`;
  out.push(
    `DistNN split of ${r.model}: node ${r.node}, hub ${r.hub}, link ${r.link}, ${r.bits}-bit activations, ${r.weightBits}-bit weights, ${r.fps} fps, ${ov}`,
  );
  const b = r.best;
  const mac = r.allOnNode.nodeCompute;
  if ('layers' in mac)
    out.push(
      `node compute: hardware MAC model (${mac.arrangement} blocks, DistNN Table IV), energy x ${mac.bitScale.toPrecision(3)} for the bit widths (catalog bitScaling)`,
    );
  out.push(
    `chosen: ${cutLabel(b.cut, b.after)}${b.cut === 0 ? '' : ` (${b.op})`}: E_node ${fmtEnergy(b.nodeEnergyJ)} per frame, ${fmtCount(b.estimate.transfer.bits)} bits sent, ` +
      `latency ${fmtTime(b.estimate.latencyS)}, node power ${fmtPower(b.estimate.nodeAvgPowerW)} at ${r.fps} fps` +
      (b.estimate.sustainsFps ? '' : ' (node cannot keep up with the frame rate)'),
  );
  out.push(
    r.disagreement
      ? `merits disagree: ${r.disagreement}`
      : `merits agree: DV x CC also picks ${r.bestDvCc ? cutLabel(r.bestDvCc.cut, r.bestDvCc.after) : 'nothing'}`,
  );
  const ranked = [...r.candidates].filter((c) => c.fits).sort((x, y) => x.energyRank - y.energyRank);
  const shown = ranked.slice(0, top);
  const rows = shown.map((c) => [
    String(c.energyRank),
    c.dvCcRank ? String(c.dvCcRank) : '-',
    String(c.cut),
    c.after || '(input)',
    c.op,
    fmtCount(c.dvBits),
    fmtCount(c.ccMacs),
    c.dvCcMerit === null ? '-' : c.dvCcMerit.toPrecision(3),
    fmtEnergy(c.nodeEnergyJ),
    fmtEnergy(c.estimate.nodeCompute.energyJ),
    fmtEnergy(c.estimate.transfer.energyJ),
    fmtTime(c.estimate.latencyS),
  ]);
  out.push('');
  out.push(
    formatTable(
      [
        'rank',
        'DVxCC rank',
        'cut',
        'after',
        'op',
        'DV bits',
        'CC MACs',
        'DVxCC',
        'E_node',
        'compute',
        'comm',
        'latency',
      ],
      rows,
    ),
  );
  const hidden = r.candidates.length - shown.length;
  if (hidden > 0)
    out.push(
      `(${hidden} more cut(s) not shown${ranked.length < r.candidates.length ? `, ${r.candidates.length - ranked.length} do not fit the node` : ''}; use --all)`,
    );
  out.push('');
  out.push(
    `all on node:   E_node ${fmtEnergy(r.allOnNode.nodeEnergyJ)}, latency ${fmtTime(r.allOnNode.latencyS)}, node power ${fmtPower(r.allOnNode.nodeAvgPowerW)}` +
      (r.allOnNode.memory.fitsWeights && r.allOnNode.memory.fitsActivations
        ? ''
        : ' (does not fit the node)'),
  );
  out.push(
    `all offloaded: E_node ${fmtEnergy(r.allOffloaded.nodeEnergyJ)}, latency ${fmtTime(r.allOffloaded.latencyS)}, node power ${fmtPower(r.allOffloaded.nodeAvgPowerW)}`,
  );
  if (layers) {
    out.push('');
    out.push(
      `node layers if all ran on ${r.node} (hardware MAC model, memory overhead ${r.memoryOverhead}):`,
    );
    out.push(layerTable(r));
  }
  out.push('');
  out.push('energy conditions (DistNN III-C, "<<" = 10x):');
  for (const c of r.conditions) out.push(`  [${c.verdict}] ${c.statement}: ${c.detail}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** `edgesplit split`: DistNN node/hub split of an ONNX model. */
export function registerSplitCommand(program: Command): void {
  program
    .command('split')
    .description(
      'choose where to cut a model between a wearable node and a hub (DistNN): ranked cuts, chosen cut, energy conditions',
    )
    .argument('<model>', 'ONNX model file')
    .requiredOption('--node <device>', 'node device id from the device catalog')
    .requiredOption('--hub <device>', 'hub device id from the device catalog')
    .requiredOption('--link <link>', 'link id from the link catalog')
    .option('--bits <n>', 'activation bit width on the wire', '8')
    .option('--weight-bits <n>', 'weight bit width on the node', '10')
    .option('--fps <n>', 'frame rate the node must sustain', '30')
    .option('--memory-overhead <x>', 'memory overhead on per-MAC energies (DistNN: 0.8)', '0.8')
    .option(
      '--measured-model <name>',
      'use catalog measurements of this whole model for all-on-node / all-offloaded',
    )
    .option(
      '--mac-arrangement <a>',
      `MAC-unit nodes: ${MAC_ARRANGEMENTS.join(' (parallel) or ')} (serial); default the catalog's`,
    )
    .option('--catalog <file>', 'extra device/link catalog JSON (repeatable)', collect, [])
    .option('--top <n>', 'rows of the ranked table', '15')
    .option('--all', 'show every cut')
    .option('--layers', 'per-layer energy, power and latency of the hardware MAC model (MAC-unit nodes)')
    .option(
      '--precisions <list>',
      'weight/feature-map formats to weigh against each other, e.g. fp32/fp32,q1.8/int8,int8/int8 (quality measured on the calibration split)',
    )
    .option('--calibrate <dataset>', 'calibration images for --precisions', 'fashion-mnist-calib')
    .option('--quality-limit <n>', 'calibration images the quality of each cut is measured on', '500')
    .option('--json', 'print one JSON object')
    .addOption(inputShapeOption())
    .addOption(allowUnknownOpsOption())
    .action(async (model: string, opts: SplitCliOptions) => {
      const bits = parseBits('--bits', opts.bits);
      const weightBits = parseBits('--weight-bits', opts.weightBits);
      const fps = parseNonNegative('--fps', opts.fps);
      if (fps === 0) throw new UsageError('--fps must be > 0');
      const memoryOverhead = parseNonNegative('--memory-overhead', opts.memoryOverhead);
      const top = opts.all ? Infinity : parsePositiveInt('--top', opts.top);
      const devices = loadDeviceCatalog(opts.catalog);
      const links = loadLinkCatalog(opts.catalog);
      const config = {
        node: devices.get(opts.node),
        hub: devices.get(opts.hub),
        link: links.get(opts.link),
        bits,
        weightBits,
        fps,
        memoryOverhead,
        model: opts.measuredModel,
        macArrangement:
          opts.macArrangement === undefined
            ? undefined
            : parseChoice('--mac-arrangement', opts.macArrangement, MAC_ARRANGEMENTS),
      };
      if (opts.measuredModel !== undefined) {
        const known = [
          ...new Set([config.node, config.hub].flatMap((d) => d.measured?.map((m) => m.model) ?? [])),
        ];
        if (!known.includes(opts.measuredModel))
          throw new UsageError(
            `--measured-model ${opts.measuredModel}: neither ${opts.node} nor ${opts.hub} has a catalog measurement of that model (measured: ${known.join(', ') || 'none'})`,
          );
      }
      if (opts.precisions) {
        await precisionSplit(model, opts, config);
        return;
      }
      const { profile } = await profileModelFile(model, {
        activationBits: bits,
        weightBits,
        inputShapes: parseInputShapes(opts.inputShape ?? []),
      });
      if (!opts.allowUnknownOps) requireKnownCosts(profile, 'split');
      const result = distnnSplit({ ...profile, model }, config);
      if (opts.json) printJson(splitJson(result));
      else printHuman(result, top, Boolean(opts.layers));
    });
}

/** `split --precisions`: the DistNN split at each precision, with measured quality, and the energy-quality front. */
async function precisionSplit(model: string, opts: SplitCliOptions, config: DistnnOptions): Promise<void> {
  const manifest = manifestOrUndefined();
  const { path, entry } = resolveModel(model, manifest);
  const pairs = (opts.precisions ?? '').split(',').map((s) => parsePair(s.trim()));
  const design = await precisionDesign({
    modelPath: path,
    model,
    eval: entry && manifest ? zooEvalOptions(entry, manifest) : {},
    nodes: [config.node],
    links: [config.link],
    hub: config.hub,
    pairs,
    calibration: { dataset: opts.calibrate, limit: parsePositiveInt('--quality-limit', opts.qualityLimit) },
    fps: config.fps,
    memoryOverhead: config.memoryOverhead,
    macArrangement: config.macArrangement,
    onProgress: qualityProgress,
  });
  const { results, qualities, points, metric } = design;
  const q = (precision: string, cut: number) =>
    qualities.find((x) => x.precision === precision && x.cut === cut)?.value;
  if (opts.json) {
    printJson({
      model,
      node: config.node.id,
      link: config.link.id,
      metric,
      qualityImages: qualities[0]?.images ?? 0,
      calibration: opts.calibrate,
      precisions: results.map((r) => ({
        precision: r.precision,
        best: candidateJson(r.split.best),
        quality: q(r.precision, r.split.best.cut) ?? null,
      })),
      points,
    });
    return;
  }
  const out: string[] = [];
  out.push(
    `DistNN split of ${model} at ${pairs.length} precision(s): node ${config.node.id}, hub ${config.hub.id}, link ${config.link.id}; ${metric} of the node-side-quantised model on ${qualities[0]?.images ?? 0} ${opts.calibrate} images`,
  );
  out.push(
    formatTable(
      ['precision', 'chosen cut', 'E_node', 'latency', `power@${config.fps ?? 30}fps`, 'sent', metric],
      results.map((r) => {
        const b = r.split.best;
        return [
          r.precision,
          cutLabel(b.cut, b.after),
          fmtEnergy(b.nodeEnergyJ),
          fmtTime(b.estimate.latencyS),
          fmtPower(b.estimate.nodeAvgPowerW),
          `${b.estimate.transfer.payloadBytes} B`,
          (q(r.precision, b.cut) ?? NaN).toFixed(4),
        ];
      }),
    ),
  );
  const front = points.filter((p) => p.pareto).sort((a, b) => a.nodeEnergyJ - b.nodeEnergyJ);
  out.push('');
  out.push(
    `Pareto front (node energy vs ${metric}), ${front.length} of ${points.length} (precision, cut) points:`,
  );
  out.push(
    formatTable(
      ['precision', 'cut', 'E_node', metric],
      front.map((p) => [
        p.precision,
        cutLabel(p.cut, p.after),
        fmtEnergy(p.nodeEnergyJ),
        p.quality.toFixed(4),
      ]),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Progress of quality measurements on stderr (a counter on a terminal, one line per format otherwise). */
export function qualityProgress(what: string, done: number, total: number): void {
  if (process.stderr.isTTY)
    process.stderr.write(`\rquality ${what}: ${done}/${total} cuts${done === total ? '\n' : ''}`);
  else if (done === total) process.stderr.write(`quality ${what}: ${total} cuts measured\n`);
}
