import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { onnxruntimeBackend } from '../backend/onnxruntime/onnxruntime-backend.js';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { loadDataset } from '../data/datasets.js';
import { runHiSystem, type HiSystemReport, type StrategyResult } from '../serve/hi/system.js';
import { hiAccuracyFromRates, hiCost } from '../strategy/hi/accounting.js';
import { deviceInferenceCost, offloadCost } from '../strategy/hi/costs.js';
import { checkEq2, type Eq2Warning } from '../strategy/hi/plausibility.js';
import { EXIT_NEVER } from '../strategy/hi/search.js';
import { fmtInt, formatTable, printJson } from './output.js';
import { collect, parsePositiveInt } from './options.js';
import { readKeyFile } from './serve.js';

interface HiCliOptions {
  deviceCatalog?: string[];
  linkCatalog?: string[];
  local?: string;
  remote?: string;
  remoteModel?: string;
  remoteOnnx?: string;
  hub: string;
  earlyExit?: string;
  decision: string;
  device: string;
  link: string;
  costLink?: string;
  qosAccuracy: string;
  objective: string;
  data: string;
  calib: string;
  limit?: string;
  latencySamples?: string;
  tableDevices?: string;
  key?: string;
  json?: boolean;
}

interface EstimateCliOptions {
  deviceCatalog?: string[];
  linkCatalog?: string[];
  device: string;
  link: string;
  model?: string;
  macs?: string;
  payload?: string;
  requestBytes?: string;
  serverMs: string;
  offloadFraction: string;
  decisionMs: string;
  decisionMj: string;
  accLocal?: string;
  accRemote?: string;
  fpFraction?: string;
  json?: boolean;
}

function fraction(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`${flag} must be a number in [0, 1], got '${v}'`);
  return n;
}

function nonNegative(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0, got '${v}'`);
  return n;
}

function thresholds(s: StrategyResult): string {
  if (!s.point) return '-';
  const ex = s.point.exitThresholds.map((t, k) => `θ${k + 1}=${t >= EXIT_NEVER ? 'off' : t.toFixed(3)}`);
  return [...ex, `t=${s.point.threshold.toFixed(3)}`].join(' ');
}

function printReport(r: HiSystemReport): void {
  const rows = r.strategies.map((s) => [
    s.name,
    s.accuracy.toFixed(4),
    `${(s.offloadFraction * 100).toFixed(1)}%`,
    s.decision ? s.decision.f1.toFixed(3) : '-',
    s.latencyMs.toFixed(3),
    s.modelLatencyMs.toFixed(3),
    s.energyMJ.toFixed(3),
    fmtInt(s.meanDeviceMacs),
    thresholds(s),
  ]);
  const out = [
    `HI on ${fmtInt(r.samples)} test images (thresholds chosen on ${fmtInt(r.calibSamples)} calibration images), device ${r.device}, link ${r.offloadLink === 'none' ? `none (raw loopback; modelled costs over ${r.link})` : r.offloadLink === r.link ? `${r.link} (emulated on the offload socket)` : `${r.offloadLink} emulated, modelled costs over ${r.link}`}`,
    `remote: ${r.remote.url}${r.remote.url.startsWith('grpc:') ? '/' : '/v2/models/'}${r.remote.model}${r.remote.inProcess ? ' (in-process serve)' : ''}; ${r.remoteWork.macs.toLocaleString('en-US')} MACs per sample ${r.remoteWork.source}`,
    '',
    formatTable(
      [
        'strategy',
        'accuracy',
        'offload',
        'F1',
        'measured ms',
        `${r.device} ms`,
        `${r.device} mJ`,
        'device MACs',
        'thresholds',
      ],
      rows,
    ),
    '',
    `decision: ${r.decision.kind}${r.decision.weights ? ` (w = ${r.decision.weights.map((w) => w.toFixed(3)).join(', ')})` : ''}; at its fitted threshold ${r.decision.fittedThreshold.toFixed(3)}: F1 ${r.decision.atFittedThreshold.f1.toFixed(3)}, precision ${r.decision.atFittedThreshold.precision.toFixed(3)}, recall ${r.decision.atFittedThreshold.recall.toFixed(3)}`,
    `  positive class = offload; false positives = correct answers offloaded, false negatives = wrong answers kept (HI row: FP ${r.strategies[1].decision?.falsePositives}, FN ${r.strategies[1].decision?.falseNegatives})`,
    `measured ms: batch-1 mean over the first ${r.latencySamples} test images on this host (offloaded there: ${r.strategies
      .filter((s) => s.name === 'hi' || s.name === 'ee-hi')
      .map((s) => `${s.name} ${s.measuredOffloads}`)
      .join(', ')}); ${r.linkNote}`,
    `  remote answers of those offloads equal the batched evaluation's on ${r.remoteAgreement}/${r.latencySamples} images (accuracy columns come from the batched pass over all ${fmtInt(r.samples)})`,
    `server time: ${r.costs.server.latencyMs.toFixed(3)} ms per offload, modelled on hub ${r.costs.server.hub} (${r.costs.server.basis}); never this host's measured time`,
    `${r.device} ms / mJ: Eqs. (3)-(4) with local cost ${r.costs.local.latencyMs.toFixed(3)} ms / ${r.costs.local.energyMJ.toFixed(3)} mJ (${r.costs.local.basis}), offload ${r.costs.offload.latencyMs.toFixed(3)} ms / ${r.costs.offload.energyMJ.toFixed(3)} mJ (${r.costs.offload.basis})`,
    ...eeComparison(r),
    ...r.strategies.filter((s) => s.note).map((s) => `note (${s.name}): ${s.note}`),
    ...(r.searchExhaustive
      ? []
      : ['note: early-exit thresholds were searched over quantiles, not every distinct confidence']),
    ...(r.strategyTable
      ? [
          '',
          'strategy table (seed Table 5; calibration split, modelled costs):',
          tableText(r),
          'where each row comes from:',
          ...Object.entries(r.tableInputs ?? {}).map(([k, v]) => `  ${k}: ${v}`),
        ]
      : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

function eeComparison(r: HiSystemReport): string[] {
  const b = r.eeBackboneHi;
  const ee = r.strategies.find((s) => s.name === 'ee-hi');
  if (!b || !ee) return [];
  const cut = 1 - ee.meanDeviceMacs / (b.meanDeviceMacs ?? NaN);
  return [
    `EE-HI vs HI on the same early-exit backbone with exits off (seed Table 6), both for accuracy >= ${r.qosAccuracy} on calibration: ` +
      `accuracy ${ee.accuracy.toFixed(4)} vs ${b.accuracy.toFixed(4)}, offload ${(ee.offloadFraction * 100).toFixed(1)}% vs ${(b.offloadFraction * 100).toFixed(1)}%, ` +
      `mean device MACs ${fmtInt(ee.meanDeviceMacs)} vs ${fmtInt(b.meanDeviceMacs ?? NaN)} (${(cut * 100).toFixed(1)}% fewer), ${r.device} ${ee.modelLatencyMs.toFixed(3)} vs ${b.latencyMs.toFixed(3)} ms, ${ee.energyMJ.toFixed(3)} vs ${b.energyMJ.toFixed(3)} mJ`,
  ];
}

function tableText(r: HiSystemReport): string {
  const rows = (r.strategyTable ?? []).map((row) => {
    const b = row.candidates.find((c) => c.name === row.best);
    return [
      row.device,
      row.requirement,
      row.best ?? 'none',
      b ? b.accuracy.toFixed(4) : '-',
      b ? b.latencyMs.toFixed(3) : '-',
      b ? b.energyMJ.toFixed(3) : '-',
      b ? `${(b.offloadFraction * 100).toFixed(1)}%` : '-',
    ];
  });
  return formatTable(['device', 'requirement', 'best', 'accuracy', 'ms', 'mJ', 'offload'], rows);
}

async function runHi(o: HiCliOptions): Promise<void> {
  if (!o.local || !o.remote)
    throw new UsageError('hi needs --local <model.onnx> and --remote <url|model.onnx>');
  if (o.decision !== 'lr' && o.decision !== 'threshold')
    throw new UsageError(`--decision must be lr or threshold, got '${o.decision}'`);
  if (o.objective !== 'energy' && o.objective !== 'latency')
    throw new UsageError(`--objective must be energy or latency, got '${o.objective}'`);
  const limit = o.limit ? parsePositiveInt('--limit', o.limit) : undefined;
  const devices = loadDeviceCatalog(o.deviceCatalog ?? []);
  const links = loadLinkCatalog(o.linkCatalog ?? []);
  const emulated = o.link === 'none' ? undefined : links.get(o.link);
  const report = await runHiSystem({
    local: o.local,
    remote: o.remote,
    remoteModel: o.remoteModel,
    remoteOnnx: o.remoteOnnx,
    hub: devices.get(o.hub),
    earlyExit: o.earlyExit,
    decision: o.decision,
    device: devices.get(o.device),
    link: links.get(o.costLink ?? emulated?.id ?? 'wifi'),
    offloadLink: emulated,
    qosAccuracy: fraction('--qos-accuracy', o.qosAccuracy),
    objective: o.objective,
    test: loadDataset(o.data, { limit }),
    calib: loadDataset(o.calib),
    latencySamples: o.latencySamples ? parsePositiveInt('--latency-samples', o.latencySamples) : undefined,
    tableDevices: o.tableDevices ? o.tableDevices.split(',').map((id) => devices.get(id.trim())) : undefined,
    key: o.key ? readKeyFile(o.key) : undefined,
    backend: onnxruntimeBackend,
    onProgress: (m) => process.stderr.write(`hi: ${m}\n`),
  });
  if (o.json) printJson(report);
  else printReport(report);
}

function runEstimate(o: EstimateCliOptions): void {
  const device = loadDeviceCatalog(o.deviceCatalog ?? []).get(o.device);
  const link = loadLinkCatalog(o.linkCatalog ?? []).get(o.link);
  if (o.model === undefined && o.macs === undefined)
    throw new UsageError('hi estimate needs --model <catalog model id> or --macs <n>');
  if (o.payload === undefined && o.requestBytes === undefined)
    throw new UsageError('hi estimate needs --payload <measured payload> or --request-bytes <n>');
  const local = deviceInferenceCost(
    device,
    o.model,
    o.macs ? { macs: nonNegative('--macs', o.macs) } : undefined,
  );
  const offload = offloadCost(
    link,
    o.payload
      ? { payload: o.payload }
      : {
          requestBytes: nonNegative('--request-bytes', o.requestBytes!),
          serverMs: nonNegative('--server-ms', o.serverMs),
        },
  );
  const decision = {
    latencyMs: nonNegative('--decision-ms', o.decisionMs),
    energyMJ: nonNegative('--decision-mj', o.decisionMj),
  };
  const etas = o.offloadFraction.split(',').map((v) => fraction('--offload-fraction', v.trim()));
  const rates =
    o.accLocal !== undefined && o.accRemote !== undefined
      ? {
          local: fraction('--acc-local', o.accLocal),
          remote: fraction('--acc-remote', o.accRemote),
          fp: fraction('--fp-fraction', o.fpFraction ?? '0'),
        }
      : undefined;
  const points = etas.map((eta) => {
    const c = hiCost({ device: local, decision, offload }, eta);
    return {
      offloadFraction: eta,
      latencyMs: c.latencyMs,
      energyMJ: c.energyMJ,
      ...(rates ? { accuracy: hiAccuracyFromRates(rates.local, rates.fp, rates.remote, eta) } : {}),
    };
  });
  const warnings: Eq2Warning[] = rates
    ? etas.flatMap(
        (eta) => checkEq2(rates.local, rates.fp, rates.remote, eta, o.fpFraction !== undefined) ?? [],
      )
    : [];
  // text mode prints them under the table; with --json they also go to stderr so they are seen
  if (o.json) for (const w of warnings) process.stderr.write(`warning: ${w.message}\n`);
  const result = {
    device: device.id,
    link: link.id,
    equations:
      'latency = t_dev + t_LR + eta_off * t_off (Eq. 3); energy = e_dev + e_LR + eta_off * e_off (Eq. 4); accuracy = (Acc_OD - eta_FP) + Acc_S * eta_off (Eq. 2)',
    onDevice: { latencyMs: local.latencyMs, energyMJ: local.energyMJ, basis: local.basis },
    offload: { latencyMs: offload.latencyMs, energyMJ: offload.energyMJ, basis: offload.basis },
    decision,
    hi: points,
    remote: { latencyMs: offload.latencyMs, energyMJ: offload.energyMJ },
    warnings,
  };
  if (o.json) {
    printJson(result);
    return;
  }
  const rows = [
    [
      'on-device',
      '0.0%',
      local.latencyMs.toFixed(3),
      local.energyMJ.toFixed(3),
      rates ? rates.local.toFixed(4) : '-',
    ],
    ...points.map((p) => [
      'hi',
      `${(p.offloadFraction * 100).toFixed(1)}%`,
      p.latencyMs.toFixed(3),
      p.energyMJ.toFixed(3),
      p.accuracy !== undefined ? p.accuracy.toFixed(4) : '-',
    ]),
    [
      'remote',
      '100.0%',
      offload.latencyMs.toFixed(3),
      offload.energyMJ.toFixed(3),
      rates ? rates.remote.toFixed(4) : '-',
    ],
  ];
  process.stdout.write(
    [
      `HI estimate for ${device.id} over ${link.id} (Eqs. 2-4, catalog numbers only)`,
      formatTable(['strategy', 'offload', 'latency ms', 'energy mJ', 'accuracy'], rows),
      `on-device: ${local.basis}`,
      `offload:   ${offload.basis}`,
      ...warnings.map((w) => `warning: ${w.message}`),
    ].join('\n') + '\n',
  );
}

/** `edgesplit hi` (run the real HI / EE-HI system) and `edgesplit hi estimate` (Eqs. 1-4 from the catalog). */
export function registerHiCommand(program: Command): void {
  // `hi` and `hi estimate` share option names; commander routes them to the subcommand only when every ancestor parses options positionally (the root has no options of its own, so this changes nothing else)
  program.enablePositionalOptions();
  const hi = program
    .command('hi')
    .description(
      'hierarchical inference: local model in-process, offloads to a v2 server over HTTP; compares on-device, HI, EE-HI, remote',
    )
    .option('--local <model>', 'local (small) ONNX classifier')
    .option(
      '--remote <url|model>',
      'v2 server URL (http://host:port/v2/models/<name> or grpc://host:port/<name>) or an ONNX file served in-process',
    )
    .option('--remote-model <name>', 'model name on the remote server when the URL does not name it')
    .option(
      '--remote-onnx <file>',
      "for a URL remote: the ONNX file it serves, profiled for its MACs (needed unless the server's model config advertises them, as edgesplit serve does)",
    )
    .option(
      '--hub <id>',
      'catalog device the remote runs on: its modelled inference time is the server time of each offload',
      't4',
    )
    .option(
      '--early-exit <model>',
      'early-exit ONNX model (outputs exit1, exit2, final) with its pieces ee-prefix1/ee-head1/ee-prefix2/ee-head2/ee-rest next to it',
    )
    .option(
      '--decision <kind>',
      'decision module: lr (logistic regression on top-2 softmax) or threshold (max softmax)',
      'lr',
    )
    .option('--device <id>', 'catalog device for modelled latency and energy', 'rpi4b')
    .option(
      '--link <id>',
      'catalog link emulated in real time on every offload (HTTP through a link proxy) and used for modelled costs; none = raw loopback HTTP',
      'wifi',
    )
    .option(
      '--cost-link <id>',
      'catalog link for the modelled offload time and energy (default: --link, or wifi with --link none)',
    )
    .option(
      '--qos-accuracy <a>',
      'accuracy requirement the thresholds must meet on the calibration split',
      '0.9',
    )
    .option('--objective <what>', 'minimise energy or latency subject to the accuracy requirement', 'energy')
    .option('--data <name>', 'test dataset', 'fashion-mnist-test')
    .option(
      '--calib <name>',
      'calibration dataset (fits the decision module and chooses thresholds)',
      'fashion-mnist-calib',
    )
    .option('--limit <n>', 'use only the first n test images')
    .option(
      '--latency-samples <n>',
      'test images run one by one to measure latency (default 200, fewer on slow links: ~30 s of emulated link time)',
    )
    .option(
      '--table-devices <ids>',
      'comma-separated catalog devices: also print the strategy table (seed Table 5)',
    )
    .option('--key <file>', 'pre-shared key for the remote server (and the in-process one)')
    .option('--device-catalog <file>', 'extra device catalog JSON (repeatable)', collect)
    .option('--link-catalog <file>', 'extra link catalog JSON (repeatable)', collect)
    .option('--json', 'print JSON')
    .enablePositionalOptions()
    .action(async (opts: HiCliOptions) => runHi(opts));
  hi.command('estimate')
    .description("evaluate the seed's Eqs. (2)-(4) from catalog numbers only (no models run)")
    .option('--device <id>', 'catalog device', 'rpi4b')
    .option('--link <id>', 'catalog link', 'wifi-rpi4b')
    .option('--model <id>', 'model id measured on the device in the catalog (e.g. resnet8-cifar10)')
    .option('--macs <n>', 'MACs per inference, when the device has no measurement')
    .option('--payload <name>', 'measured offload payload of the link (e.g. cifar10-offload-roundtrip)')
    .option('--request-bytes <n>', 'bytes sent per offload, when the link has no measurement')
    .option('--server-ms <ms>', 'remote inference time per sample (with --request-bytes)', '0')
    .option('--offload-fraction <list>', 'eta_off, one value or a comma-separated list', '0.2')
    .option('--decision-ms <ms>', 't_LR', '0')
    .option('--decision-mj <mJ>', 'e_LR', '0')
    .option('--acc-local <a>', 'on-device accuracy Acc_OD (for Eq. 2)')
    .option('--acc-remote <a>', 'remote accuracy Acc_S on offloaded samples (for Eq. 2)')
    .option('--fp-fraction <f>', 'eta_FP: fraction of all samples correct locally yet offloaded (for Eq. 2)')
    .option('--device-catalog <file>', 'extra device catalog JSON (repeatable)', collect)
    .option('--link-catalog <file>', 'extra link catalog JSON (repeatable)', collect)
    .option('--json', 'print JSON')
    .action((opts: EstimateCliOptions) => runEstimate(opts));
}
