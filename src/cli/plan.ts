import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/catalog.js';
import { planModelFile } from '../plan/plan-model.js';
import type { PipelinePlanFile } from '../core/plan-file.js';
import { PLAN_WIRES, type PlanWire } from '../core/vocabulary.js';
import { OBJECTIVES, type BalanceGoal, type Objective, type ReplicaMode } from '../strategy/plan/types.js';
import { MEMORY_MODELS, type MemoryModel } from '../profile/memory.js';
import { parsePair } from '../strategy/quantize/formats.js';
import {
  allowUnknownOpsOption,
  inputShapeOption,
  parseBits,
  parseChoice,
  parseInputShapes,
} from './options.js';
import { fmtBytes, fmtInt, formatTable, printJson } from './output.js';

interface PlanCliOptions {
  devices: string;
  link: string;
  objective: string;
  bits: string;
  weightBits: string;
  precision?: string;
  replicas: string;
  balance?: string;
  wire?: string;
  memoryModel: string;
  heuristic?: boolean;
  out: string;
  deviceCatalog?: string[];
  linkCatalog?: string[];
  json?: boolean;
  inputShape?: string[];
  allowUnknownOps?: boolean;
}

const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 3 : 1);

function metricsLine(p: PipelinePlanFile['predicted']): string {
  return (
    `${p.devices} devices, ${p.stages} stages: throughput ${p.throughputPerS.toFixed(3)}/s, latency ${ms(p.latencyS)} ms, ` +
    `${fmtInt(p.totalBytes)} B sent per sample, max device energy ${(p.maxEnergyJ * 1000).toFixed(3)} mJ/sample`
  );
}

function printPlan(file: PipelinePlanFile, out: string): void {
  const seed = file.memoryModel === 'seed';
  const rows = file.stages.map((s) => [
    s.id,
    `${s.start}..${s.end - 1} (${s.end - s.start})`,
    `${s.nodes[0]}..${s.nodes[s.nodes.length - 1]}`,
    s.devices.map((d) => d.name).join(','),
    `${fmtBytes(s.memory.weightBytes + s.memory.runtimeOverheadBytes + (seed ? s.memory.activationPeakBytes : 0))}/${fmtBytes(s.memory.flashBytes)}`,
    seed
      ? `${fmtBytes(s.memory.activationPeakBytes)} (in flash)`
      : `${fmtBytes(s.memory.activationPeakBytes)}/${fmtBytes(s.memory.sramBytes)}`,
    fmtInt(s.macs),
    fmtInt(s.sendBytes),
    ms(s.computeS),
    ms(s.sendS),
    ms(s.cycleS),
    (s.energyJ * 1000).toFixed(3),
  ]);
  const w = process.stdout;
  w.write(
    `${file.source.path}: ${file.graph.nodes} nodes, objective ${file.objective}, ${file.activationBits}-bit activations (${file.wire}), ${file.weightBits}-bit weights, memory model ${file.memoryModel ?? 'strict'}, link ${file.link}, placement ${file.placement}\n`,
  );
  w.write(
    `${formatTable(['stage', 'layers', 'first..last', 'devices', seed ? 'memory used/avail' : 'flash used/avail', seed ? 'largest act.' : 'SRAM used/avail', 'MACs', 'sent B', 'compute ms', 'send ms', 'cycle ms', 'mJ/dev'], rows)}\n`,
  );
  w.write(`\nplan:   ${metricsLine(file.predicted)}\n`);
  if ('infeasible' in file.greedy) {
    w.write(`greedy: infeasible (${file.greedy.infeasible})\n`);
  } else {
    w.write(`greedy: ${metricsLine(file.greedy.predicted)}\n`);
    w.write(
      `        cuts at ${
        file.greedy.stages
          .slice(1)
          .map((s) => s.start)
          .join(', ') || '(none)'
      }\n`,
    );
    const g = file.comparison.gain;
    w.write(
      `gain over greedy on ${file.objective}: ${g === null ? 'n/a (plan value 0)' : `${g.toFixed(3)}x`}\n`,
    );
  }
  if (file.pareto.length) {
    const prow = file.pareto.map((e) => [
      e.optimalFor.join(','),
      e.dominated ? 'dominated' : 'pareto',
      String(e.predicted.devices),
      e.predicted.throughputPerS.toFixed(3),
      ms(e.predicted.latencyS),
      fmtInt(e.predicted.totalBytes),
      (e.predicted.maxEnergyJ * 1000).toFixed(3),
      e.cuts.join(',') || '-',
    ]);
    w.write(
      `\n${formatTable(['optimal for', 'front', 'devices', 'samples/s', 'latency ms', 'bytes', 'max mJ', 'cuts'], prow)}\n`,
    );
  }
  w.write(`\nwrote ${out}/plan.json and ${file.stages.length} stage model(s)\n`);
}

/** `edgesplit plan`: partition a model into pipeline stages over devices and write the plan directory. */
export function registerPlanCommand(program: Command): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command('plan')
    .description(
      'split a model into pipeline stages over devices (exact, memory-aware), place and replicate them, write plan.json + stage models',
    )
    .argument('<model>', 'ONNX model file')
    .requiredOption(
      '--devices <spec|topology.json>',
      'devices: catalog ids with counts (esp32s3x8, esp32s3x2,rpi4bx1) or a topology JSON file',
    )
    .requiredOption('--link <id>', 'catalog link id between devices (e.g. ble-esp32s3, wifi)')
    .requiredOption('--out <dir>', 'plan directory to write (plan.json + stage-<i>.onnx)')
    .option('--objective <name>', `what to minimise: ${OBJECTIVES.join('|')}`, 'devices')
    .option('--bits <n>', 'activation bit width on the wire and in memory', '16')
    .option('--weight-bits <n>', 'weight bit width in flash', '8')
    .option(
      '--precision <w/a>',
      'weight/feature-map formats as in quantize (e.g. q1.8/int8): sets --weight-bits and --bits (stage memory and wire)',
    )
    .option('--replicas <mode>', 'auto: spare devices replicate bottleneck stages; none', 'auto')
    .option(
      '--balance <goal>',
      'what replicas balance: throughput|energy (default: energy for --objective energy)',
    )
    .option(
      '--memory-model <model>',
      `memory accounting: ${MEMORY_MODELS.join('|')} (inplace: element-wise ops overwrite a dying input, SRAM less the runtime's reservation; seed: weights + runtime + largest intermediate in flash, as seed 001; strict: every op out of place)`,
      'inplace',
    )
    .option(
      '--heuristic',
      'topologies: search on the median link, then place (instead of the exact joint search); caps large type searches',
    )
    .option('--wire <dtype>', `wire encoding: ${PLAN_WIRES.join('|')} (default from --bits)`)
    .option('--device-catalog <file>', 'extra device catalog JSON (repeatable)', collect)
    .option('--link-catalog <file>', 'extra link catalog JSON (repeatable)', collect)
    .option('--json', 'print plan.json instead of tables')
    .addOption(inputShapeOption())
    .addOption(allowUnknownOpsOption())
    .action(async (model: string, opts: PlanCliOptions) => {
      const objective = parseChoice<Objective>('--objective', opts.objective, OBJECTIVES);
      const replicas = parseChoice<ReplicaMode>('--replicas', opts.replicas, ['auto', 'none']);
      const balance =
        opts.balance === undefined
          ? undefined
          : parseChoice<BalanceGoal>('--balance', opts.balance, ['throughput', 'energy']);
      const wire =
        opts.wire === undefined ? undefined : parseChoice<PlanWire>('--wire', opts.wire, PLAN_WIRES);
      const memoryModel = parseChoice<MemoryModel>('--memory-model', opts.memoryModel, MEMORY_MODELS);
      const precision = opts.precision === undefined ? undefined : parsePair(opts.precision);
      const activationBits = precision?.activations.bits ?? parseBits('--bits', opts.bits);
      const weightBits = precision?.weights.bits ?? parseBits('--weight-bits', opts.weightBits);
      const started = Date.now();
      const { file } = await planModelFile(model, {
        devices: opts.devices,
        link: opts.link,
        objective,
        activationBits,
        weightBits,
        replicas,
        balance,
        wire,
        memoryModel,
        heuristic: opts.heuristic,
        out: opts.out,
        inputShapes: parseInputShapes(opts.inputShape ?? []),
        allowUnknownOps: opts.allowUnknownOps,
        deviceCatalog: loadDeviceCatalog(opts.deviceCatalog ?? []),
        linkCatalog: loadLinkCatalog(opts.linkCatalog ?? []),
        onProgress: (m) => process.stderr.write(`plan: ${m}\n`),
      });
      process.stderr.write(`plan: done in ${Date.now() - started} ms\n`);
      if (opts.json) printJson(file);
      else printPlan(file!, opts.out);
    });
}
