import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { UsageError } from '../core/errors.js';
import { PLAN_WIRES, type PlanWire } from '../core/vocabulary.js';
import { planLcpModel } from '../plan/lcp-plan.js';
import { measureLcpComparison, type MeasuredRow } from '../runtime/lcp-measured.js';
import { buildGraph } from '../graph/build.js';
import { loadModelFile, saveModelFile } from '../onnx/io.js';
import { profileModelFile } from '../profile/index.js';
import { fmtEnergy, fmtTime } from '../report/format.js';
import {
  LCP_OBJECTIVES,
  compareLcp,
  lcpSplit,
  type LcpComparison,
  type LcpObjective,
  type LcpSplitResult,
} from '../strategy/lcp/index.js';
import { parseDeviceSpec } from '../strategy/plan/devices.js';
import { lcpAccuracyTable, type LcpTable } from '../zoo/lcp-table.js';
import { parseChoice, parsePositiveInt } from './options.js';
import { fmtBytes, fmtInt, formatTable, printJson } from './output.js';
import { parseNonNegative } from './split.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const x = (n: number) => `${n.toFixed(2)}x`;

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new UsageError(`--seed must be a whole number >= 0, got '${value}'`);
  return n;
}

/** The JSON document of `edgesplit lcp split --json`. */
export function lcpSplitJson(r: LcpSplitResult, out: string) {
  const s = r.structure;
  const total = r.profile.totals;
  return {
    model: r.original.model,
    out,
    branches: r.branches,
    divisionFactor: r.divisionFactor,
    fattenPercent: r.fattenPercent,
    seed: r.seed,
    perBranch: s.branches.map((b, i) => ({ branch: i, ...b })),
    classifier: s.classifier,
    lcp: {
      params: total.params,
      macs: total.macs,
      weightBytes: total.weightBytes,
      peakActivationBytes: Math.max(
        ...s.branches.map((b) => b.peakActivationBytes),
        s.classifier.peakActivationBytes,
      ),
    },
    original: r.original,
    fewerParams: r.original.params / total.params,
    fewerMacs: r.original.macs / total.macs,
    fit: r.fit ?? null,
    communication: r.communication,
  };
}

function printSplit(r: LcpSplitResult, out: string): void {
  const s = r.structure;
  const lines: string[] = [];
  lines.push(
    `LCP split of ${r.original.model}: ${r.branches} branch(es), division factor ${r.divisionFactor}, fattening ${r.fattenPercent}%, seed ${r.seed} -> ${out}`,
  );
  if (r.fit) {
    lines.push(`fitting one branch on ${r.fit.device} (seed Procedure 1):`);
    for (const st of r.fit.steps)
      lines.push(
        `  ${st.branches} branch(es): weights ${fmtBytes(st.weightBytes)} / ${fmtBytes(st.weightBytesAvailable)}, activations ${fmtBytes(st.activationBytes)} / ${fmtBytes(st.activationBytesAvailable)}, compute ${fmtTime(st.computeS)} -> ${st.fits ? 'fits' : 'does not fit'}`,
      );
  }
  const row = (
    name: string,
    p: { params: number; macs: number; peakActivationBytes: number; outputBytes: number },
  ) => [name, fmtInt(p.params), fmtInt(p.macs), fmtInt(p.peakActivationBytes), fmtInt(p.outputBytes)];
  const total = r.profile.totals;
  const rows = [
    ...s.branches.map((b, i) => row(`branch ${i}`, b)),
    row('gather + classifier', s.classifier),
    [
      'LCP total',
      fmtInt(total.params),
      fmtInt(total.macs),
      fmtInt(Math.max(...s.branches.map((b) => b.peakActivationBytes), s.classifier.peakActivationBytes)),
      '',
    ],
    [
      'original',
      fmtInt(r.original.params),
      fmtInt(r.original.macs),
      fmtInt(r.original.peakActivationBytes),
      '',
    ],
  ];
  lines.push('');
  lines.push(formatTable(['part', 'params', 'MACs', 'peak act. B', 'output B'], rows));
  lines.push(
    `LCP has ${x(r.original.params / total.params)} fewer params and ${x(r.original.macs / total.macs)} fewer MACs than the original`,
  );
  const c = r.communication;
  const cut = c.pipeline.stages.slice(0, -1).map((st) => fmtInt(st.sendBytes));
  lines.push('');
  lines.push(
    `communication per inference at ${c.devices} device(s), 32-bit activations, input at and result back to one source:`,
  );
  lines.push(
    formatTable(
      ['scheme', 'bytes', 'counted as'],
      [
        [
          'LCP',
          fmtInt(c.lcp.totalBytes),
          `input to ${c.devices} branch(es) ${fmtInt(c.lcp.inputBroadcastBytes)} + pre-final gather ${fmtInt(c.lcp.gatherBytes)}`,
        ],
        [
          `pipeline, ${c.pipeline.stages.length} MAC-balanced stages`,
          fmtInt(c.pipeline.totalBytes),
          `input ${fmtInt(c.pipeline.stages[0].recvBytes)} + cuts [${cut.join(', ')}] + output ${fmtInt(c.pipeline.stages[c.pipeline.stages.length - 1].sendBytes)}`,
        ],
        [
          'intra-layer output split (Fig. 4)',
          fmtInt(c.intraLayer.totalBytes),
          `input ${fmtInt(c.intraLayer.inputBroadcastBytes)} + ${c.intraLayer.exchanges.length} all-gathers ${fmtInt(c.intraLayer.exchanges.reduce((a, e) => a + e.bytes, 0))} + output ${fmtInt(c.intraLayer.outputBytes)}`,
        ],
      ],
    ),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printTable(t: LcpTable): void {
  const rows = t.rows.map((r) => [
    r.model,
    r.accuracy.toFixed(4),
    r.model === 'lcp-original' ? '-' : r.accuracyDeltaPoints.toFixed(2),
    fmtInt(r.params),
    fmtInt(r.macs),
    x(r.fewerParams),
    x(r.fewerMacs),
  ]);
  process.stdout.write(
    `LCP zoo variants on ${t.dataset} (${fmtInt(t.samples)} images, onnxruntime-node):\n` +
      `${formatTable(['model', 'accuracy', 'vs original (points)', 'params', 'MACs', 'fewer params', 'fewer MACs'], rows)}\n`,
  );
}

function printCompare(c: LcpComparison, linkDesc: string): void {
  const lines: string[] = [];
  lines.push(
    `MODELLED (cost model, not measured): ${c.structure.model} vs the original on ${c.devices.join(', ')} over ${linkDesc}`,
  );
  lines.push(
    `LCP placement (classifier device chosen for ${c.objective}): ` +
      c.placement.devices
        .filter((d) => d.branches.length || d.classifier)
        .map(
          (d) =>
            `${d.name}: ${[...(d.branches.length ? [`branches ${d.branches.join(',')}`] : []), ...(d.classifier ? ['gather + classifier'] : [])].join(' + ')}`,
        )
        .join('; '),
  );
  for (const [kind, st] of Object.entries(c.pipelineStages))
    lines.push(
      `pipeline (${kind}) stages, node ranges: ${st.map((s, i) => `${c.devices[i]} [${s.start},${s.end})`).join(', ')}`,
    );
  const names: Record<string, string> = {
    lcp: 'LCP branches',
    'pipeline-balanced': 'model parallel: pipeline, MAC-balanced',
    'pipeline-fastest': 'model parallel: pipeline, fastest',
    'intra-layer': 'model parallel: intra-layer (Fig. 4)',
    'data-parallel': 'data parallel (throughput only)',
    'single-device': 'single device',
  };
  const rows = c.rows.map((r) => [
    names[r.distribution],
    r.model,
    String(r.devicesUsed),
    fmtInt(r.bytes),
    String(r.messages),
    r.latencyS === null ? '-' : `${(r.latencyS * 1e3).toFixed(2)} ms`,
    `${r.throughputPerS.toFixed(1)}/s`,
    fmtEnergy(r.energyJ),
    r.fitsMemory ? 'yes' : 'NO',
  ]);
  lines.push('');
  lines.push(
    formatTable(
      [
        'distribution',
        'model',
        'devices',
        'bytes/inf',
        'messages',
        'latency',
        'throughput',
        'energy/inf',
        'fits',
      ],
      rows,
    ),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
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

function parseTimeScale(value: string): number {
  const k = Number(value);
  if (!(k > 0) || !Number.isFinite(k))
    throw new UsageError(`--time-scale must be a number > 0, got '${value}'`);
  return k;
}

const MEASURED_NAMES: Record<MeasuredRow['distribution'], string> = {
  lcp: 'LCP branches (DAG plan)',
  'lcp-replicas': 'LCP, 2 replicas/stage, one per sample',
  'lcp-hedged': 'LCP, 2 replicas/stage, first answer wins',
  'pipeline-balanced': 'model parallel: pipeline, MAC-balanced',
  'pipeline-fastest': 'model parallel: pipeline, fastest',
  'data-parallel': 'data parallel (throughput only)',
};

function printMeasured(rows: readonly MeasuredRow[], opts: CompareOpts): void {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `\nMEASURED (node processes, emulated devices and link, ${opts.limit} images per run, time scale ${opts.timeScale}; latency with one image in flight, the rest with the default window; energy: the cost model on the measured bytes):`,
  );
  console.log(
    formatTable(
      [
        'distribution',
        'model',
        'devices',
        'bytes/inf',
        'latency mean',
        'p99',
        'max',
        'throughput',
        'energy/inf',
        'accuracy',
        'lost',
      ],
      rows.map((r) => [
        MEASURED_NAMES[r.distribution],
        r.model,
        String(r.devices),
        fmtInt(Math.round(r.bytesPerInference)),
        r.latencyMs ? ms(r.latencyMs.mean) : '-',
        r.latencyMs ? ms(r.latencyMs.p99) : '-',
        r.latencyMs ? ms(r.latencyMs.max) : '-',
        `${r.throughputPerS.toFixed(1)}/s`,
        r.energyPerInferenceJ === null ? '-' : fmtEnergy(r.energyPerInferenceJ),
        r.accuracy === null ? '-' : r.accuracy.toFixed(4),
        String(r.lost),
      ]),
    ),
  );
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
      console.log(
        `LCP plan of ${lcpPath}: ${plan.source.branches} branch(es) on ${plan.stages.length} stage(s), DAG over ${plan.link} -> ${opts.out}`,
      );
      console.log(
        formatTable(
          ['stage', 'devices', 'runs', 'reads', 'sends', 'MACs'],
          plan.stages.map((st) => [
            st.id,
            st.devices.map((d) => d.name).join(', '),
            [
              st.branches.length ? `branches ${st.branches.join(', ')}` : '',
              st.classifier ? 'gather + classifier' : '',
            ]
              .filter(Boolean)
              .join(' + '),
            st.inputs.map((t) => t.name).join(', '),
            st.outputs.map((t) => t.name).join(', '),
            fmtInt(st.macs),
          ]),
        ),
      );
      const p = plan.predicted;
      console.log(
        `modelled: ${fmtInt(p.bytes)} B/inference, latency ${p.latencyS === null ? '-' : fmtTime(p.latencyS)}, ${p.throughputPerS.toFixed(1)}/s, ${fmtEnergy(p.energyJ)}/inference; run it with: edgesplit run ${opts.out}`,
      );
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
      if (opts.json) printJson(lcpSplitJson(result, opts.out));
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
      'also run all three on emulated devices and links (real node processes) and print the measured table',
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
      const c = compareLcp(
        await profileModelFile(lcpPath),
        await profileModelFile(opts.original),
        devices,
        link,
        objective,
      );
      const measured = opts.run
        ? await measureLcpComparison(lcpPath, opts.original, {
            devices,
            link,
            objective,
            limit: parsePositiveInt('--limit', opts.limit),
            timeScale: parseTimeScale(opts.timeScale),
            onProgress: (line) => process.stderr.write(`${line}\n`),
          })
        : undefined;
      if (opts.json) {
        const { structure, ...rest } = c;
        printJson({
          modelled: true,
          lcpModel: lcpPath,
          original: opts.original,
          ...rest,
          branches: structure.branches.length,
          ...(measured ? { measured } : {}),
        });
      } else {
        printCompare(
          c,
          `${link.id} (${(link.throughputBps / 1e6).toFixed(2)} Mb/s, ${(link.latencyS * 1e3).toFixed(2)} ms per message)`,
        );
        if (measured) printMeasured(measured, opts);
      }
    });
}
