import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadDeviceCatalog, loadLinkCatalog } from '../catalog/index.js';
import { packageRoot } from '../data/package-root.js';
import { DEMO_PIPELINE, planModelFile } from '../plan/plan-model.js';
import { profileModelFile } from '../profile/index.js';
import { shortLayerName } from '../report/charts.js';
import { cutLabel, fmtEnergy, fmtPower, fmtTime } from '../report/format.js';
import { wearableHtml } from '../report/wearable-html.js';
import { parsePair } from '../strategy/quantize/formats.js';
import { runWearable } from '../zoo/wearable-run.js';
import { zooEvalOptions } from '../zoo/zoo-eval.js';
import { manifestOrUndefined, resolveModel } from './eval.js';
import { writeExploreReport } from '../report/write.js';
import { parseEmulationMode, timeScaleFor } from '../runtime/device-emulation.js';
import { parseTimeScale } from '../runtime/pacing.js';
import { loadRuntimePlan } from '../runtime/plan-dir.js';
import { runPlan, type RunReport } from '../runtime/run.js';
import { planTrace } from '../runtime/trace.js';
import { exploreSplits } from '../strategy/split/explore.js';
import { OBJECTIVES } from '../strategy/plan/types.js';
import { parseBits, parseChoice, parsePositiveInt } from './options.js';
import { formatTwin } from './run.js';
import { fmtBytes, fmtInt, formatTable, printJson } from './output.js';

interface DemoOptions {
  model: string;
  splitModel: string;
  node: string;
  hub: string;
  splitLink: string;
  devices: string;
  link: string;
  runLink: string;
  emulate: string;
  timeScale: string;
  objective: string;
  weightBits: string;
  limit: string;
  out: string;
  json?: boolean;
}

const say = (quiet: boolean, text: string) => {
  if (!quiet) process.stdout.write(`${text}\n`);
};

/**
 * `edgesplit demo` (what `npm start` runs): profile a zoo model, choose a DistNN wearable/hub cut,
 * plan a multi-device pipeline, run it on local node processes over an emulated link on the committed
 * Fashion-MNIST test images, and write an HTML design-space report.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the main demo: profile -> DistNN split -> pipeline plan -> run on local processes over an emulated link -> HTML report',
    )
    .option(
      '--model <file>',
      'ONNX classifier (input [N,1,28,28])',
      join(packageRoot(), 'models', 'remote.onnx'),
    )
    .option(
      '--split-model <model>',
      'zoo autoencoder split between the wearable node and the hub (step 2)',
      'ae',
    )
    .option('--node <device>', 'wearable node for the DistNN split', 'distnn-asic-65nm')
    .option('--hub <device>', 'hub for the DistNN split', 'phone')
    .option('--split-link <link>', 'node-hub link for the DistNN split', 'ble')
    .option('--devices <spec>', 'devices for the pipeline plan', DEMO_PIPELINE.devices)
    .option('--link <link>', 'link the plan assumes between devices', DEMO_PIPELINE.link)
    .option(
      '--run-link <link>',
      'link emulated on the sockets during the run ("none" for raw loopback)',
      DEMO_PIPELINE.link,
    )
    .option(
      '--emulate <mode>',
      "run emulation: devices (compute paced to the plan's devices, one radio per device), links, none",
      'devices',
    )
    .option(
      '--time-scale <k>',
      'deployment time runs k times faster; auto: so the run takes about 8 s of real time',
      'auto',
    )
    .option('--objective <o>', 'pipeline objective', DEMO_PIPELINE.objective)
    .option(
      '--weight-bits <n>',
      'weight bit width on the pipeline devices (32: an unquantised model)',
      String(DEMO_PIPELINE.weightBits),
    )
    .option('--limit <n>', 'test images streamed through the pipeline', '64')
    .option('--out <dir>', 'where the plan, trace and report go', 'reports/demo')
    .option('--json', 'print one JSON summary instead of the narrative')
    .action(async (opts: DemoOptions) => {
      const quiet = Boolean(opts.json);
      const limit = parsePositiveInt('--limit', opts.limit);
      const out = resolve(opts.out);
      const model = resolve(opts.model);
      const shown = relative(process.cwd(), model) || model;
      await mkdir(out, { recursive: true });

      const { graph, profile } = await profileModelFile(model, { activationBits: 8, weightBits: 10 });
      const widest = profile.cuts.reduce((a, c) => (c.bytes > a.bytes ? c : a));
      say(
        quiet,
        `[1/5] profile ${shown}: ${graph.nodes.length} layers, ${fmtInt(profile.totals.params)} params, ${fmtInt(profile.totals.macs)} MACs; widest ${cutLabel(widest.index, widest.after)} carries ${fmtBytes(widest.bytes)} at 8 bits`,
      );

      const devices = loadDeviceCatalog();
      const links = loadLinkCatalog();
      const step2 = await demoWearableStep(opts, out, limit, devices, links, (t) => say(quiet, t));
      const planDir = join(out, 'plan');
      const planned = await planModelFile(model, {
        devices: opts.devices,
        link: opts.link,
        objective: parseChoice('--objective', opts.objective, OBJECTIVES),
        activationBits: DEMO_PIPELINE.activationBits,
        weightBits: parseBits('--weight-bits', opts.weightBits),
        replicas: DEMO_PIPELINE.replicas,
        out: planDir,
      });
      const p = planned.result.plan;
      say(
        quiet,
        `[3/5] pipeline plan over ${opts.devices} (${opts.link}, objective ${opts.objective}): ${p.stages.length} stage(s), predicted ${p.metrics.throughputPerS.toFixed(2)} samples/s, ${fmtInt(p.metrics.totalBytes)} B sent per sample; gain over greedy ${planned.result.gainOverGreedy?.toFixed(2) ?? 'n/a'}x`,
      );
      say(
        quiet,
        formatTable(
          ['stage', 'layers', 'devices', 'memory used/avail', 'MACs', 'sends B'],
          p.stages.map((s) => [
            String(s.index),
            `${s.start}..${s.end - 1}`,
            s.devices.join(','),
            `${fmtBytes(s.memoryBytes)}/${fmtBytes(s.memoryAvailableBytes)}`,
            fmtInt(s.macs),
            fmtInt(s.sendBytes),
          ]),
        ).replace(/^/gm, '      '),
      );

      const plan = loadRuntimePlan(planDir);
      const bar = new SingleBar({
        stream: process.stderr,
        format: '      run [{bar}] {value}/{total} samples',
        hideCursor: true,
      });
      const interactive = Boolean(process.stderr.isTTY) && !quiet;
      if (interactive) bar.start(limit, 0);
      const emulate = parseEmulationMode(opts.emulate);
      const timeScale =
        opts.timeScale === 'auto' ? timeScaleFor(plan, limit, RUN_BUDGET_S) : parseTimeScale(opts.timeScale);
      const { run, report } = await runPlan({
        plan,
        limit,
        link: opts.runLink,
        emulate,
        timeScale,
        onProgress: (done) => (interactive ? bar.update(done) : undefined),
      });
      if (interactive) bar.stop();
      const tracePath = join(out, 'trace.json');
      await writeFile(tracePath, JSON.stringify(planTrace(plan, run)));
      const procs = plan.stages.reduce((n, s) => n + s.devices.length, 0);
      say(
        quiet,
        `[4/5] ran ${report.samples} test images on ${procs} local node process(es), ${describeEmulation(report, opts.runLink)}: ${describeRun(report)}`,
      );
      if (report.twin && emulate === 'devices') say(quiet, formatTwin(report.twin).replace(/^/gm, '      '));

      const sweepLinks = ['hbc', 'ble', 'zigbee', 'wifi', 'lora'].map((id) => links.get(id));
      const sweepNodes = ['esp32s3', 'nano33ble', 'distnn-asic-65nm'].map((id) => devices.get(id));
      const result = exploreSplits(
        { ...profile, model: shown },
        { nodes: sweepNodes, links: sweepLinks, bits: [8, 16, 32], hub: devices.get(opts.hub) },
      );
      const files = await writeExploreReport({
        htmlPath: join(out, 'report.html'),
        modelPath: shown,
        profile,
        result,
        nodes: sweepNodes,
        links: sweepLinks,
        hub: devices.get(opts.hub),
      });
      say(
        quiet,
        `[5/5] design-space report (${result.points.length} points, ${result.points.filter((x) => x.pareto).length} on the Pareto front): ${relative(process.cwd(), files.html)}`,
      );
      say(
        quiet,
        `      trace (chrome://tracing, ui.perfetto.dev): ${relative(process.cwd(), tracePath)}; plan: ${relative(process.cwd(), planDir)}/plan.json`,
      );
      if (quiet) {
        printJson({
          model: shown,
          profile: { layers: graph.nodes.length, ...profile.totals },
          split: step2,
          plan: { stages: p.stages.length, predictedThroughputPerS: p.metrics.throughputPerS, dir: planDir },
          run: {
            samples: report.samples,
            lost: report.lost,
            accuracy: report.accuracy,
            throughputPerS: report.throughputPerS,
            latencyMs: report.latencyMs,
            energy: report.energy,
            emulate: report.emulate,
            timeScale: report.timeScale,
            ...(report.twin ? { twin: report.twin } : {}),
          },
          report: files,
          trace: tracePath,
        });
      }
    });
}

/** Real seconds the demo's run aims for when it picks its own time scale. */
const RUN_BUDGET_S = 8;

function describeEmulation(r: RunReport, link: string): string {
  if (r.emulate === 'none') return 'raw sockets and this CPU (no emulation)';
  if (r.emulate === 'links') return `stages linked by emulated ${link}, inference at this CPU's speed`;
  const scale =
    r.timeScale !== 1
      ? `; time scale ${r.timeScale}: deployment time ran ${r.timeScale}x faster than real (picked so the run takes ~${RUN_BUDGET_S} s), figures below are deployment time`
      : '';
  return `each emulating its plan device (compute paced to the cost model, one ${link} radio per device${scale})`;
}

function describeRun(r: RunReport): string {
  const parts = [
    r.accuracy !== undefined ? `accuracy ${(100 * r.accuracy).toFixed(1)}%` : 'no labels',
    `${r.lost} lost`,
    `${r.throughputPerS.toFixed(2)} samples/s`,
    `latency p50 ${fmtTime(r.latencyMs.p50 / 1e3)}`,
    r.twin
      ? `communication ${(100 * r.twin.communicationShare.measured).toFixed(1)}% of inter-stage time`
      : `communication ${(100 * r.split.communicationFraction).toFixed(1)}% of stage time`,
  ];
  if ('perSampleJ' in r.energy) parts.push(`modelled energy ${fmtEnergy(r.energy.perSampleJ)}/sample`);
  return parts.join(', ');
}

/**
 * Step 2, the DistNN story: split a zoo autoencoder on the wearable node at the cut DistNN chooses,
 * run the Q1.8 / int8 node side and the hub decoder as two processes over the emulated link, print
 * SSIM next to energy and write the split report (image grid, per-layer chart, conditions).
 */
async function demoWearableStep(
  opts: DemoOptions,
  out: string,
  limit: number,
  devices: ReturnType<typeof loadDeviceCatalog>,
  links: ReturnType<typeof loadLinkCatalog>,
  say: (text: string) => void,
) {
  const manifest = manifestOrUndefined();
  const { path, entry } = resolveModel(opts.splitModel, manifest);
  const ev = entry && manifest ? zooEvalOptions(entry, manifest) : {};
  const r = await runWearable({
    model: { name: entry?.name ?? opts.splitModel, path, noiseSigma: ev.noiseSigma, noiseClip: ev.noiseClip },
    node: devices.get(opts.node),
    hub: devices.get(opts.hub),
    link: links.get(opts.splitLink),
    pair: parsePair('q1.8/int8'),
    calibration: { dataset: 'fashion-mnist-calib', limit: 500 },
    limit,
    outDir: join(out, 'wearable'),
  });
  const b = r.split.best;
  const reportPath = join(out, 'wearable.html');
  await writeFile(
    reportPath,
    await wearableHtml([r], `DistNN split of ${r.model}: ${opts.node} over ${opts.splitLink} to ${opts.hub}`),
  );
  say(
    `[2/5] DistNN split of ${r.model} on ${opts.node} -> ${opts.hub} over ${opts.splitLink}: ${cutLabel(b.cut, shortLayerName(b.after, b.op))}, because it has the ${r.why}`,
  );
  say(
    `      node side in fixed point (${r.precision}), ${r.payloadBytesPerFrame} B per frame on the wire: SSIM ${r.ssim.toFixed(4)} on ${r.images} test images run on a node and a hub process ` +
      `(whole quantised model ${r.wholeModelSsim.toFixed(4)}), E_node ${fmtEnergy(r.nodeEnergyJ)}/frame vs ${fmtEnergy(r.split.allOnNode.nodeEnergyJ)} all on node and ${fmtEnergy(r.split.allOffloaded.nodeEnergyJ)} all offloaded, ` +
      `${fmtPower(r.nodePowerW)} at ${r.fps} fps (${r.sustainsFps ? 'meets' : 'misses'} ${r.fps} fps)`,
  );
  for (const c of r.split.conditions) say(`      ${c.verdict.padEnd(5)} ${c.statement}: ${c.detail}`);
  say(`      split report (image grid, per-layer DV/CC/E_node/FoM): ${relative(process.cwd(), reportPath)}`);
  return {
    model: r.model,
    cut: b.after || null,
    cutIndex: b.cut,
    nodeEnergyJ: b.nodeEnergyJ,
    allOnNodeJ: r.split.allOnNode.nodeEnergyJ,
    allOffloadedJ: r.split.allOffloaded.nodeEnergyJ,
    ssim: r.ssim,
    wholeModelSsim: r.wholeModelSsim,
    payloadBytesPerFrame: r.payloadBytesPerFrame,
    nodePowerW: r.nodePowerW,
    sustainsFps: r.sustainsFps,
    report: reportPath,
  };
}
