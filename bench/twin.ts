/**
 * Twin benchmark (run with `npx tsx bench/twin.ts`; needs `npm run build` first, because the nodes run
 * the built CLI). Does `edgesplit run --emulate devices` predict the deployment? Prints, from one run:
 *  1. per setting (the demo plan: `remote` over 4 Nano 33 BLE; MobileNetV2-64 over 8 ESP32-S3, docs/plan.md's
 *     seed setting; both over ble-esp32s3): measured/predicted throughput and latency p50 (target
 *     [0.85, 1.15]), communication share vs the plan's (target within 5 points), per-stage compute and hop;
 *  2. a device feeding two replicas at once over real sockets: its aggregate rate / its radio's rate
 *     with one radio per device (target <= 1) and with a budget per connection (today's `links`).
 *
 *   npx tsx bench/twin.ts [--samples 64] [--latency-samples 8] [--policy seq|least-loaded|round-robin] [--json]
 *
 * `--policy` overrides the replica choice (default: `seq`, the devices mode's default).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLink } from '../src/catalog/index.js';
import { formatTable } from '../src/cli/output.js';
import { float32Tensor } from '../src/core/tensor.js';
import { mulberry32 } from '../src/core/random.js';
import { mobilenetV2 } from '../src/graph/builder/architectures.js';
import { encodeModel } from '../src/onnx/io.js';
import { DEMO_PIPELINE, planModelFile } from '../src/plan/plan-model.js';
import type { SampleSource } from '../src/runtime/coordinator.js';
import { timeScaleFor } from '../src/runtime/device-emulation.js';
import { loadRuntimePlan } from '../src/runtime/plan-dir.js';
import type { ReplicaPolicy } from '../src/runtime/replica-picker.js';
import type { RuntimePlan } from '../src/runtime/routes.js';
import { runPlan, type RunReport } from '../src/runtime/run.js';
import { creditScheme } from '../src/transport/link/credit-scheme.js';
import { emulateLink, type EmulatedLink } from '../src/transport/link/emulated-link.js';
import { LINK_SEQ_BYTES, linkParamsFromSpec } from '../src/transport/link/params.js';
import { Radio } from '../src/transport/link/radio.js';
import { tcpTransport } from '../src/transport/tcp/tcp-transport.js';
import type { ByteDuplex, Connection } from '../src/transport/transport.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const SAMPLES = Number(arg('samples', '64'));
const POLICY = arg('policy', '');
const LATENCY_SAMPLES = Number(arg('latency-samples', '8'));
/** Real seconds each throughput run aims for (the time scale is picked for it). */
const BUDGET_S = Number(arg('budget-s', '10'));

/** Seeded random images for a plan whose input is not a Fashion-MNIST image. */
function randomSamples(plan: RuntimePlan, count: number): SampleSource {
  const t = plan.graphInputs[0];
  const dims = t.shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  return {
    count,
    input: (i) => {
      const rng = mulberry32(i + 1);
      return {
        [t.name]: float32Tensor(
          dims,
          Float32Array.from({ length: n }, () => rng()),
        ),
      };
    },
  };
}

interface Setting {
  readonly name: string;
  readonly plan: RuntimePlan;
  readonly samples?: (count: number) => SampleSource;
}

interface SettingResult {
  readonly name: string;
  readonly timeScale: number;
  readonly loaded: RunReport;
  readonly alone: RunReport;
}

async function runSetting(s: Setting): Promise<SettingResult> {
  const k = timeScaleFor(s.plan, SAMPLES, BUDGET_S);
  process.stderr.write(`twin: ${s.name}: ${SAMPLES} samples at time scale ${k} ...\n`);
  const common = {
    plan: s.plan,
    emulate: 'devices' as const,
    timeScale: k,
    keepOutputs: false,
    nodeStartTimeoutMs: 120_000,
    ...(POLICY ? { policy: POLICY as ReplicaPolicy } : {}),
  };
  const loaded = await runPlan({
    ...common,
    ...(s.samples ? { samples: s.samples(SAMPLES) } : { limit: SAMPLES }),
  });
  process.stderr.write(`twin: ${s.name}: ${LATENCY_SAMPLES} samples one at a time ...\n`);
  const alone = await runPlan({
    ...common,
    window: 1,
    ...(s.samples ? { samples: s.samples(LATENCY_SAMPLES) } : { limit: LATENCY_SAMPLES }),
  });
  return { name: s.name, timeScale: k, loaded: loaded.report, alone: alone.report };
}

/** Aggregate payload rate of one device sending to two receivers at once over TCP, / its radio's rate. */
async function fanOut(shared: boolean): Promise<number> {
  const params = linkParamsFromSpec(getLink('ble-esp32s3'));
  const timeScale = 0.1;
  const radio = new Radio('sender');
  const links: EmulatedLink[] = [];
  const wrapSend = (raw: ByteDuplex) => {
    const l = emulateLink(raw, {
      params,
      scheme: creditScheme(),
      timeScale,
      seed: links.length + 1,
      radio: shared ? radio : new Radio(`conn ${links.length}`),
    });
    links.push(l);
    return l;
  };
  const wrapRecv = (raw: ByteDuplex) => emulateLink(raw, { params, scheme: creditScheme(), timeScale });
  const bytes = 40 * 1024;
  const ends = await Promise.all(
    [0, 1].map(async () => {
      let got!: (c: Connection) => void;
      const server = new Promise<Connection>((r) => (got = r));
      const l = await tcpTransport.listen({
        host: '127.0.0.1',
        port: 0,
        wrap: wrapRecv,
        log: () => undefined,
        onConnection: got,
      });
      const c = await tcpTransport.connect({
        host: '127.0.0.1',
        port: l.port,
        wrap: wrapSend,
        log: () => undefined,
      });
      return { l, c, s: await server };
    }),
  );
  const t0 = performance.now();
  const data = new Float32Array(bytes / 4).map((_, i) => Math.sin(i));
  const arrivals = ends.map(async ({ s }) => {
    await s.receive();
    return performance.now();
  });
  await Promise.all(
    ends.map(({ c }) =>
      c.send({
        type: 'tensor',
        streamId: 1,
        seq: 0,
        name: 'x',
        tensor: { dtype: 'float32', dims: [data.length], data },
      }),
    ),
  );
  const last = Math.max(...(await Promise.all(arrivals)));
  const deploymentS = (last - t0) / 1000 / timeScale;
  await Promise.all(ends.flatMap(({ l, c }) => [c.close(), l.close()]));
  const payloadBps =
    (params.throughputBps * (params.packetBytes - params.headerBytes - LINK_SEQ_BYTES)) /
    (params.packetBytes - params.headerBytes);
  return (2 * bytes * 8) / deploymentS / payloadBps;
}

const r2 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-twin-'));
  await planModelFile('models/remote.onnx', { ...DEMO_PIPELINE, out: join(dir, 'demo') });
  const mnv2 = join(dir, 'mobilenetv2-64.onnx');
  writeFileSync(mnv2, encodeModel(mobilenetV2({ size: 64, classes: 10, seed: 1 })));
  await planModelFile(mnv2, {
    devices: 'esp32s3x8',
    link: 'ble-esp32s3',
    objective: 'throughput',
    activationBits: 16,
    weightBits: 32,
    replicas: 'auto',
    out: join(dir, 'mnv2'),
  });
  const demo = await loadRuntimePlan(join(dir, 'demo'));
  const mnv2Plan = await loadRuntimePlan(join(dir, 'mnv2'));
  const results: SettingResult[] = [];
  results.push(await runSetting({ name: 'remote / 4x nano33ble / BLE (demo)', plan: demo }));
  results.push(
    await runSetting({
      name: 'MobileNetV2-64 / 8x esp32s3 / BLE',
      plan: mnv2Plan,
      samples: (n) => randomSamples(mnv2Plan, n),
    }),
  );
  process.stderr.write('twin: one device feeding two receivers ...\n');
  const fan = { sharedRadio: await fanOut(true), perConnection: await fanOut(false) };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ samples: SAMPLES, results, fanOut: fan }, null, 2)}\n`);
    return;
  }
  const rows = results.map((r) => {
    const t = r.loaded.twin!;
    const a = r.alone.twin!;
    const share = t.communicationShare;
    return [
      r.name,
      String(r.timeScale),
      `${t.throughputPerS.measured.toFixed(3)} / ${t.throughputPerS.predicted?.toFixed(3)}`,
      r2(t.throughputPerS.ratio),
      `${(a.latencyP50Ms.measured / 1000).toFixed(2)} / ${((a.latencyP50Ms.predicted ?? NaN) / 1000).toFixed(2)}`,
      r2(a.latencyP50Ms.ratio),
      r2(t.latencyP50Ms.ratio),
      `${pct(share.measured)} / ${pct(share.predicted)}`,
      share.predicted !== null ? `${(100 * (share.measured - share.predicted)).toFixed(1)}` : '-',
    ];
  });
  console.log(
    formatTable(
      [
        'setting (--emulate devices)',
        'time scale',
        'samples/s meas / pred',
        'ratio',
        'latency p50 s meas / pred (window 1)',
        'ratio',
        `ratio, window ${results[0].loaded.twin!.window} (Little)`,
        'comm share meas / plan',
        'points',
      ],
      rows,
    ),
  );
  for (const r of results) {
    console.log(`\n${r.name}: per stage, deployment ms per sample (measured / predicted)`);
    const t = r.loaded.twin!;
    console.log(
      formatTable(
        ['stage', 'devices', 'compute', 'ratio', 'send (air + latency)', 'ratio', 'hop', 'waiting', 'queue'],
        t.stages.map((s, k) => [
          s.id,
          r.loaded.stages[k].devices.join(','),
          `${s.computeMs.measured.toFixed(1)} / ${s.computeMs.predicted?.toFixed(1)}`,
          r2(s.computeMs.ratio),
          `${s.sendMs.measured.toFixed(1)} / ${s.sendMs.predicted?.toFixed(1)}${s.sendBasis === 'hop' ? ' (hop)' : ''}`,
          r2(s.sendMs.ratio),
          s.hopMs.measured.toFixed(1),
          s.hopWaitMs.measured.toFixed(1),
          s.queueMs.measured.toFixed(1),
        ]),
      ),
    );
    const a = r.alone.twin!;
    console.log(
      `  one at a time: send ${a.stages
        .slice(0, -1)
        .map((s) => `${s.sendMs.measured.toFixed(1)} / ${s.sendMs.predicted?.toFixed(1)}`)
        .join(', ')}; hop ${a.stages
        .slice(0, -1)
        .map((s) => s.hopMs.measured.toFixed(1))
        .join(
          ', ',
        )}; comm share ${pct(a.communicationShare.measured)} / ${pct(a.communicationShare.predicted)}`,
    );
  }
  console.log(
    `\none device sending 40 KiB to each of two receivers at once (ble-esp32s3, real sockets): aggregate / radio rate = ${fan.sharedRadio.toFixed(3)} with one radio per device (target <= 1), ${fan.perConnection.toFixed(3)} with a budget per connection (--emulate links)`,
  );
}

await main();
