import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { UsageError, errorMessage } from '../core/errors.js';
import { writeOutputFile } from '../core/output-file.js';
import { DATASETS } from '../data/datasets.js';
import { loadDeviceCatalog } from '../catalog/index.js';
import { defaultEmulation, parseEmulationMode } from '../runtime/device-emulation.js';
import { parseTimeScale } from '../runtime/pacing.js';
import { loadHostsFile } from '../runtime/node-pool.js';
import type { TwinPair, TwinReport } from '../runtime/twin-report.js';
import { loadRuntimePlan } from '../runtime/plan-dir.js';
import { REPLICA_POLICIES, type ReplicaPolicy } from '../runtime/replica-picker.js';
import { runPlan, type RunReport } from '../runtime/run.js';
import { planTrace } from '../runtime/trace.js';
import { loadKeyFile } from '../transport/auth/key-file.js';
import { collect, MAX_TIMER_MS, parseBoundedInt, parsePositiveInt } from './options.js';
import { fmtBytes, fmtInt, formatTable, printJson } from './output.js';

/** Samples in flight a run takes at most (each holds its input and outputs in memory). */
const MAX_WINDOW = 1_000_000;

interface RunCliOptions {
  data: string;
  limit?: string;
  link?: string;
  emulate?: string;
  timeScale?: string;
  hosts?: string;
  stallTimeout?: string;
  deviceCatalog?: string[];
  linkCatalog?: string[];
  out?: string;
  key?: string;
  trace?: string;
  window?: string;
  batch?: string;
  hedge?: boolean;
  policy?: string;
  nodeLogs?: boolean;
  json?: boolean;
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');

function printReport(r: RunReport, trace: string | undefined): void {
  const head: string[][] = [
    ['plan', r.plan],
    [
      'nodes',
      `${r.mode}, ${!r.authenticated ? 'plaintext' : r.mode === 'local' ? 'encrypted (per-run key)' : 'encrypted (pre-shared key)'}, link ${r.link}, emulate ${r.emulate}, batch ${r.batch}${r.timeScale !== 1 ? `, time scale ${r.timeScale} (times below are deployment time)` : ''}`,
    ],
    ['samples', fmtInt(r.samples)],
    ['lost', fmtInt(r.lost)],
    ['duplicates dropped', fmtInt(r.duplicates)],
  ];
  if (r.accuracy !== undefined) head.push(['accuracy', r.accuracy.toFixed(4)]);
  head.push(['throughput (measured)', `${r.throughputPerS.toFixed(1)} samples/s`]);
  // the bound counts stage compute only, so over an emulated link it says how far the links hold the pipeline back
  const boundNote = r.link === 'none' ? '' : '; compute only, the emulated links are not in it';
  head.push([
    'bound from measured stage compute',
    `${r.boundThroughputPerS.toFixed(1)} samples/s (measured/bound ${(r.throughputPerS / r.boundThroughputPerS).toFixed(2)}${boundNote})`,
  ]);
  if (r.predictedThroughputPerS !== undefined)
    head.push([
      'throughput (plan prediction)',
      `${r.predictedThroughputPerS.toFixed(1)} samples/s (measured/predicted ${(r.throughputPerS / r.predictedThroughputPerS).toFixed(2)})`,
    ]);
  head.push(['latency p50 / p95', `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p95)} ms`]);
  head.push([
    'compute vs communication',
    Number.isFinite(r.split.communicationMs)
      ? `${ms(r.split.computeMs)} ms vs ${ms(r.split.communicationMs)} ms (communication ${(100 * r.split.communicationFraction).toFixed(1)}%, ${r.split.ratio.toFixed(2)}x compute)`
      : `${ms(r.split.computeMs)} ms compute; communication time per hop is not attributed in DAG plans`,
  ]);
  if ('perSampleJ' in r.energy)
    head.push([
      'energy per sample (modelled)',
      `${(r.energy.perSampleJ * 1e3).toFixed(4)} mJ (compute ${(r.energy.computeJ * 1e3).toFixed(4)}, communication ${(r.energy.communicationJ * 1e3).toFixed(4)})`,
    ]);
  else head.push(['energy', `not estimated: ${r.energy.unavailable}`]);
  for (const f of r.failovers)
    head.push([
      'failover',
      `${f.device} (stage ${f.stageIndex}) -> ${f.replacedBy}, ${f.resent} samples re-sent`,
    ]);
  if (trace) head.push(['trace', trace]);
  const stages = r.stages.map((s) => [
    s.id,
    s.devices.join(','),
    fmtInt(s.processed),
    ms(s.receiveMs),
    ms(s.queueMs),
    ms(s.computeMs),
    s.predictedComputeMs !== undefined ? ms(s.predictedComputeMs) : '-',
    ms(s.sendMs),
    fmtBytes(Math.round(s.bytesPerSample)),
  ]);
  const links = r.links.map((l) => [
    `${l.from} -> ${l.to}`,
    fmtBytes(l.bytes),
    fmtBytes(Math.round(l.bytesPerSample)),
    ms(l.communicationMs),
  ]);
  process.stdout.write(
    `${formatTable(['quantity', 'value'], head)}\n\n` +
      `${formatTable(['stage', 'devices', 'samples', 'receive ms', 'queue ms', 'compute ms', 'predicted ms', 'send ms', 'out/sample'], stages)}\n\n` +
      `${formatTable(['link', 'bytes', 'per sample', 'communication ms'], links)}\n` +
      ('basis' in r.energy ? `\nenergy: ${r.energy.basis}\n` : '') +
      (r.twin ? `\n${formatTwin(r.twin)}\n` : ''),
  );
}

const pair = (p: TwinPair, f: (x: number) => string) => [
  p.predicted !== null ? f(p.predicted) : '-',
  f(p.measured),
  p.ratio !== null ? p.ratio.toFixed(2) : '-',
];

/** The predicted-vs-measured tables of a run (deployment time). */
export function formatTwin(t: TwinReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const run = [
    ['throughput, samples/s', ...pair(t.throughputPerS, (x) => x.toFixed(3))],
    ['latency p50, ms', ...pair(t.latencyP50Ms, ms)],
    ['latency p95, ms', ...pair(t.latencyP95Ms, ms)],
    ['communication share', ...pair(t.communicationShare, pct)],
    ['energy per sample, mJ', ...pair(t.energyPerSampleJ, (x) => (x * 1e3).toFixed(3))],
  ];
  const stages = t.stages.flatMap((s) =>
    (
      [
        ['compute', s.computeMs],
        ['send', s.sendMs],
        ['receive', s.receiveMs],
        ['queue', s.queueMs],
        ['hop', s.hopMs],
        ['waiting', s.hopWaitMs],
      ] as const
    ).map(([what, p]) => [`${s.id} ${what}`, ...pair(p, ms)]),
  );
  return (
    `${formatTable(['predicted vs measured', 'predicted', 'measured', 'measured/predicted'], run)}\n\n` +
    `${formatTable(['stage, ms per sample', 'predicted', 'measured', 'measured/predicted'], stages)}\n` +
    `twin: ${t.basis}`
  );
}

/** `edgesplit run`: stream a dataset through a plan on local node processes or running nodes. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run a plan directory on stage nodes (local processes, or --hosts) and report accuracy, throughput, latency, per-stage times and bytes per link',
    )
    .argument('<plan-dir>', 'directory with plan.json and stage-<i>.onnx (from `edgesplit plan`)')
    .option('--data <name>', `dataset: ${DATASETS.map((d) => d.name).join(', ')}`, 'fashion-mnist-test')
    .option('--limit <n>', 'run only the first n samples')
    .option(
      '--link <id>',
      "catalog link emulated between stages (none: real sockets; default: the plan's link with --emulate devices, else none); with --hosts every node must emulate it (default there: what the nodes report)",
    )
    .option(
      '--emulate <mode>',
      "devices: pace compute to the plan's catalog devices, one radio per device; links: emulate links only; none: raw (default devices when every plan device is a catalog device)",
    )
    .option(
      '--time-scale <k>',
      'run deployment time k times faster, compute and links alike (reports deployment time)',
      '1',
    )
    .option(
      '--hosts <file>',
      'JSON {"<plan device>": "host:port"} of running `edgesplit node`s (default: start local nodes)',
    )
    .option(
      '--key <file>',
      'pre-shared key file for --hosts nodes (local nodes always get a fresh per-run key); all traffic encrypted',
    )
    .option('--trace <file>', 'write a Chrome/Perfetto trace JSON of every sample')
    .option('--window <n>', 'samples in flight at most (default (2 per node + 2) x batch)')
    .option(
      '--batch <k|auto>',
      "micro-batch: k samples per frame and per onnxruntime call (auto: from the plan's bytes per sample, so per-frame costs stay under 10% (docs/runtime.md), at most samples / (4 x nodes), when every stage tensor has a symbolic batch dim and devices are not paced; else 1)",
      'auto',
    )
    .option('--hedge', 'DAG plans: send each sample to every replica of a branch; the first answer wins')
    .option(
      '--policy <p>',
      `replica choice: ${REPLICA_POLICIES.join(', ')} (default: seq with --emulate devices, else least-loaded)`,
    )
    .option(
      '--stall-timeout <ms>',
      'a node silent this long (no output, no health reply) is failed over; default max(5000, 3 x window x predicted ms per sample)',
    )
    .option('--out <file>', 'write every result as a JSON line (seq, label, outputs) as it is released')
    .option('--device-catalog <file>', 'extra device catalog JSON for energy estimates (repeatable)', collect)
    .option(
      '--link-catalog <file>',
      'extra link catalog JSON for --link emulation and energy (repeatable; local nodes get it too)',
      collect,
    )
    .option('--node-logs', "show local nodes' stderr")
    .option('--json', 'print one JSON object on stdout')
    .action(async (dir: string, opts: RunCliOptions) => {
      if (opts.policy !== undefined && !(REPLICA_POLICIES as readonly string[]).includes(opts.policy))
        throw new UsageError(`--policy must be one of ${REPLICA_POLICIES.join(', ')}, got '${opts.policy}'`);
      const plan = loadRuntimePlan(dir);
      const deviceCatalog = loadDeviceCatalog(opts.deviceCatalog ?? []);
      const emulate = opts.emulate ? parseEmulationMode(opts.emulate) : defaultEmulation(plan, deviceCatalog);
      const timeScale = parseTimeScale(opts.timeScale ?? '1');
      const key = opts.key ? loadKeyFile(opts.key) : undefined;
      const hosts = opts.hosts ? loadHostsFile(opts.hosts) : undefined;
      const bar =
        !opts.json && process.stderr.isTTY
          ? new SingleBar({
              stream: process.stderr,
              format: 'run [{bar}] {value}/{total} samples | {eta}s left',
              hideCursor: true,
            })
          : undefined;
      let started = false;
      const abort = new AbortController();
      const onSignal = () => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('edgesplit run: interrupted; stopping (again to force)\n');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let result;
      try {
        result = await runPlan({
          plan,
          dataset: opts.data,
          ...(opts.limit !== undefined ? { limit: parsePositiveInt('--limit', opts.limit) } : {}),
          ...(opts.link !== undefined ? { link: opts.link } : {}),
          ...(opts.stallTimeout !== undefined
            ? { stallTimeoutMs: parseBoundedInt('--stall-timeout', opts.stallTimeout, MAX_TIMER_MS, ' ms') }
            : {}),
          ...(opts.out ? { outFile: opts.out } : {}),
          ...(opts.deviceCatalog ? { deviceCatalogFiles: opts.deviceCatalog } : {}),
          ...(opts.linkCatalog ? { linkCatalogFiles: opts.linkCatalog } : {}),
          keepOutputs: false,
          keepRecords: !!opts.trace,
          signal: abort.signal,
          emulate,
          timeScale,
          ...(hosts ? { hosts, hostsFile: opts.hosts } : {}),
          ...(key ? { key } : {}),
          ...(opts.window !== undefined
            ? { window: parseBoundedInt('--window', opts.window, MAX_WINDOW) }
            : {}),
          ...(opts.batch !== undefined && opts.batch !== 'auto'
            ? { batch: parsePositiveInt('--batch', opts.batch) }
            : {}),
          ...(opts.hedge ? { hedge: true } : {}),
          ...(opts.policy !== undefined ? { policy: opts.policy as ReplicaPolicy } : {}),
          nodeLogs: !!opts.nodeLogs,
          log: (line) => process.stderr.write(`edgesplit run: ${line}\n`),
          onProgress: (done, total) => {
            if (!bar) return;
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            if (done % 16 === 0 || done === total) bar.update(done);
          },
        });
      } catch (err) {
        // every node and connection is closed by now; 130 is what shells expect after ^C
        if (!abort.signal.aborted) throw err;
        process.stderr.write(`edgesplit run: ${errorMessage(err)}\n`);
        process.exit(130);
      } finally {
        if (started) bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const { run, report } = result;
      if (opts.trace) {
        await writeOutputFile(opts.trace, JSON.stringify(planTrace(plan, run)), 'trace');
      }
      if (opts.json) printJson({ ...report, ...(opts.trace ? { trace: opts.trace } : {}) });
      else printReport(report, opts.trace);
    });
}
