/**
 * The real HI / EE-HI system: the local (and early-exit) models run in this process with
 * onnxruntime, offloads go over HTTP to a v2 server (an in-process `serve` when given a model path)
 * through a link proxy that emulates the chosen link in real time. Thresholds are chosen on the
 * calibration split and reported on the test split.
 */
import { UsageError } from '../../core/errors.js';
import type { InferenceBackend, InferenceSession } from '../../backend/backend.js';
import type { DeviceSpec, LinkSpec } from '../../catalog/index.js';
import type { Dataset } from '../../data/datasets.js';
import { profileModelFile } from '../../profile/index.js';
import type { CostPoint } from '../../strategy/hi/accounting.js';
import { deviceInferenceCost, offloadCost } from '../../strategy/hi/costs.js';
import {
  argmax,
  LogisticDecision,
  metricsAtThreshold,
  type DecisionMetrics,
} from '../../strategy/hi/decision/index.js';
import { evaluateThresholds, type HiSearchCosts, type OperatingPoint } from '../../strategy/hi/search.js';
import { V2Client } from '../client.js';
import { modelNameOf } from '../served-model.js';
import { startServer, type V2Server } from '../server.js';
import {
  defaultLatencySamples,
  openOffloadPath,
  type LinkTraffic,
  type OffloadPath,
} from './offload-link.js';
import { accuracyOf, buildSamples, collectSoftmax, correctness, type BatchRunner } from './evaluate.js';
import { measureLatencies } from './latency.js';
import { chooseThresholds, makeDecision, runEarlyExit, type EarlyExitResult } from './early-exit-run.js';
import { hiStrategyTable, tableInputs } from './table.js';
import { modelledServerCost, remoteWork, type RemoteWork } from './remote-work.js';
import type { StrategyTableRow } from '../../strategy/hi/strategy-table.js';

/** Options of `runHiSystem`. */
export interface HiSystemOptions {
  readonly local: string;
  /** `http(s)://...` of a v2 server (model from `/v2/models/<name>` in the URL or `remoteModel`), or an ONNX path. */
  readonly remote: string;
  readonly remoteModel?: string;
  /** For a URL remote: the ONNX file it serves, profiled for its MACs (else the server's model config must advertise them). */
  readonly remoteOnnx?: string;
  /** Catalog hub device whose modelled inference time is the server time of an offload (Eqs. 3-4). */
  readonly hub: DeviceSpec;
  /** Early-exit model with outputs exit1, exit2, final; its pieces (`ee-prefix1.onnx`, ...) sit next to it. */
  readonly earlyExit?: string;
  readonly decision: 'lr' | 'threshold';
  readonly device: DeviceSpec;
  /** Catalog link of the modelled offload costs (Eqs. 3-4, threshold search, strategy table). */
  readonly link: LinkSpec;
  /**
   * Link emulated in real time on the offload socket (`link-proxy`); omitted = raw loopback HTTP.
   * Usually the same entry as `link`.
   */
  readonly offloadLink?: LinkSpec;
  /** Multiplies the emulated link's durations (default 1 = real time; measured latencies scale with it). */
  readonly linkTimeScale?: number;
  readonly qosAccuracy: number;
  /** What to minimise subject to the accuracy requirement (default energy). */
  readonly objective?: 'latency' | 'energy';
  readonly test: Dataset;
  readonly calib: Dataset;
  /** Devices for the strategy table (seed Table 5), computed on the calibration split; none = no table. */
  readonly tableDevices?: readonly DeviceSpec[];
  /** Test samples run one by one to measure latency (default {@link defaultLatencySamples}). */
  readonly latencySamples?: number;
  readonly key?: string;
  readonly backend: InferenceBackend;
  readonly onProgress?: (message: string) => void;
}

/** One strategy's results on the test split. */
export interface StrategyResult {
  readonly name: 'on-device' | 'hi' | 'ee-hi' | 'remote';
  readonly accuracy: number;
  readonly offloadFraction: number;
  /** Mean measured latency per sample on this host (batch 1); offloads went through the emulated link, if any. */
  readonly latencyMs: number;
  /** Latency on the catalog device by Eq. (3). */
  readonly modelLatencyMs: number;
  /** On-device energy on the catalog device by Eq. (4). */
  readonly energyMJ: number;
  readonly meanDeviceMacs: number;
  /** Samples this strategy offloaded in the latency pass (of `latencySamples`). */
  readonly measuredOffloads: number;
  readonly point?: OperatingPoint;
  readonly decision?: DecisionMetrics;
  readonly note?: string;
}

/** Everything `edgesplit hi` prints. */
export interface HiSystemReport {
  readonly samples: number;
  readonly calibSamples: number;
  readonly latencySamples: number;
  /** The accuracy requirement the thresholds were chosen for (on the calibration split). */
  readonly qosAccuracy: number;
  readonly device: string;
  /** Catalog link of the modelled costs. */
  readonly link: string;
  /** Link emulated on the offload socket, or 'none' (raw loopback). */
  readonly offloadLink: string;
  readonly remote: { readonly url: string; readonly model: string; readonly inProcess: boolean };
  readonly linkNote: string;
  /** What the latency pass sent through the emulated link (absent with no emulation). */
  readonly linkTraffic?: LinkTraffic;
  /** Per-sample remote answers over the link that equal the batched evaluation's, of `latencySamples`. */
  readonly remoteAgreement: number;
  readonly costs: {
    readonly local: CostPoint & { basis: string };
    readonly offload: CostPoint & { basis: string };
    /** Modelled server time per offload on the hub device (part of `offload`). */
    readonly server: CostPoint & { basis: string; hub: string };
  };
  /** The remote model's MACs and their source (a file, or the server's model config). */
  readonly remoteWork: RemoteWork;
  readonly decision: {
    readonly kind: string;
    readonly fittedThreshold: number;
    readonly weights?: readonly number[];
    readonly atFittedThreshold: DecisionMetrics;
  };
  readonly strategies: readonly StrategyResult[];
  readonly searchExhaustive: boolean;
  /**
   * HI on the early-exit model's final output with every exit off (the seed's "base model with HI",
   * Table 6), thresholds chosen like EE-HI's: what EE-HI's early exits save is measured against this.
   */
  readonly eeBackboneHi?: OperatingPoint;
  /** Seed Table 5 for these models, when `tableDevices` was given. */
  readonly strategyTable?: readonly StrategyTableRow[];
  /** Where each strategy-table row's accuracy and cost come from. */
  readonly tableInputs?: Readonly<Record<string, string>>;
}

const BATCH = 64;
const REPLY_BYTES = 40;

/** `http(s)://host:port[/v2/models/<name>]` or `grpc://host:port[/<name> | /v2/models/<name>]`. */
export function remoteTarget(
  remote: string,
  remoteModel: string | undefined,
): { base: string; model?: string } {
  const m =
    /^(https?:\/\/[^/]+)(?:\/v2\/models\/([^/]+))?\/?$/i.exec(remote) ??
    /^(grpc:\/\/[^/]+)(?:\/(?:v2\/models\/)?([^/]+))?\/?$/i.exec(remote);
  if (!m)
    throw new UsageError(
      `--remote '${remote}' must be http(s)://host:port[/v2/models/<name>], grpc://host:port[/<name>] or an .onnx file`,
    );
  return { base: m[1], model: remoteModel ?? (m[2] ? decodeURIComponent(m[2]) : undefined) };
}

/** Runs the HI system end to end and reports every strategy on the test split. */
export async function runHiSystem(o: HiSystemOptions): Promise<HiSystemReport> {
  const say = o.onProgress ?? (() => undefined);
  let server: V2Server | undefined;
  let path: OffloadPath | undefined;
  let client: V2Client | undefined;
  const sessions: InferenceSession[] = [];
  try {
    let base: string;
    let model: string;
    if (/^(https?|grpc):\/\//i.test(o.remote)) {
      const t = remoteTarget(o.remote, o.remoteModel);
      if (!t.model)
        throw new UsageError(
          `--remote ${o.remote} names no model: use http://host:port/v2/models/<name>, grpc://host:port/<name> or --remote-model`,
        );
      base = t.base;
      model = t.model;
    } else {
      say(`starting an in-process v2 server for ${o.remote}`);
      server = await startServer({
        models: [o.remote],
        backend: o.backend,
        port: 0,
        host: '127.0.0.1',
        key: o.key,
        maxDelayMs: 0,
      });
      base = server.url;
      model = modelNameOf(o.remote);
    }
    client = new V2Client(base, { key: o.key });
    const meta = await client.modelMetadata(model);
    const work = await remoteWork({
      file: server ? o.remote : o.remoteOnnx,
      fileRole: server ? '' : '--remote-onnx ',
      client,
      model,
      remote: o.remote,
    });
    const serverCost = modelledServerCost(o.hub, work);
    const direct = client;
    const remoteOut = meta.outputs[0].name;
    const remoteRun: BatchRunner = async (input) =>
      (await direct.infer(model, { [meta.inputs[0].name]: input })).outputs;
    path = await openOffloadPath({
      base,
      model,
      inputName: meta.inputs[0].name,
      key: o.key,
      link: o.offloadLink,
      timeScale: o.linkTimeScale,
    });
    if (o.offloadLink) say(`offloads go through the emulated ${o.offloadLink.id} link to ${base}`);

    const local = await o.backend.load(o.local);
    sessions.push(local);
    const localRun: BatchRunner = (input) => local.run({ [local.inputNames[0]]: input });
    const localOut = local.outputNames[0];
    const localProfile = (await profileModelFile(o.local)).profile;

    const split = async (name: string, data: Dataset) => {
      say(`${name}: local model on ${data.count} images`);
      const l = await collectSoftmax(localRun, data, [localOut], BATCH);
      say(
        `${name}: remote model over ${base.startsWith('grpc:') ? 'gRPC' : 'HTTP'} on ${data.count} images (batches of ${BATCH}, not through the link)`,
      );
      const r = await collectSoftmax(remoteRun, data, [remoteOut], BATCH);
      return { local: l[localOut], remote: r[remoteOut] };
    };
    const calib = await split('calibration', o.calib);
    const test = await split('test', o.test);

    const decision = makeDecision(o.decision);
    decision.fit(calib.local, correctness(calib.local, o.calib.labels));
    const fittedThreshold = decision.threshold;

    const imageBytes = o.test.height * o.test.width * 4;
    const latencyCount = Math.min(
      o.latencySamples ?? defaultLatencySamples(o.offloadLink, imageBytes, o.linkTimeScale),
      o.test.count,
    );
    const localCost = deviceInferenceCost(o.device, undefined, {
      macs: localProfile.totals.macs,
      ops: localProfile.totals.ops,
    });

    // the server time is modelled on the hub device, never measured on this host
    const offload = offloadCost(o.link, {
      requestBytes: imageBytes,
      replyBytes: REPLY_BYTES,
      serverMs: serverCost.latencyMs,
    });
    const hiCosts: HiSearchCosts = { exits: [localCost], offload, exitMacs: [localProfile.totals.macs] };
    const hiCalib = buildSamples([], calib.local, calib.remote, o.calib.labels, decision);
    const hiTest = buildSamples([], test.local, test.remote, o.test.labels, decision);
    const hiChoice = chooseThresholds(hiCalib, hiCosts, o.qosAccuracy, o.objective ?? 'energy');
    const hiPoint = evaluateThresholds(hiTest, hiCosts, [], hiChoice.point.threshold);
    const testScores = hiTest.map((s) => s.score);
    const testCorrect = hiTest.map((s) => s.localCorrect);

    let ee: EarlyExitResult | undefined;
    if (o.earlyExit) {
      say('early exit: loading ee-full and its pieces');
      ee = await runEarlyExit({
        path: o.earlyExit,
        backend: o.backend,
        device: o.device,
        decision: o.decision,
        qosAccuracy: o.qosAccuracy,
        objective: o.objective ?? 'energy',
        offload,
        calib: o.calib,
        test: o.test,
        calibRemote: calib.remote,
        testRemote: test.remote,
        batch: BATCH,
        sessions,
      });
    }

    say(
      `measuring latency on ${latencyCount} test images one by one${o.offloadLink ? ` (offloads through the emulated ${o.offloadLink.id} link, real time)` : ''}`,
    );
    const lat = await measureLatencies({
      o,
      local,
      localRun,
      remoteRun: path.run,
      count: latencyCount,
      remoteArgmax: test.remote.map((r) => argmax(r)),
      hi: { decision, threshold: hiPoint.threshold },
      ee: ee?.pieces,
    });
    const remoteAcc = accuracyOf(test.remote, o.test.labels);
    const strategies: StrategyResult[] = [
      {
        name: 'on-device',
        accuracy: accuracyOf(test.local, o.test.labels),
        offloadFraction: 0,
        latencyMs: lat.localMs,
        modelLatencyMs: localCost.latencyMs,
        energyMJ: localCost.energyMJ,
        meanDeviceMacs: localProfile.totals.macs,
        measuredOffloads: 0,
      },
      {
        name: 'hi',
        accuracy: hiPoint.accuracy,
        offloadFraction: hiPoint.offloadFraction,
        latencyMs: lat.hiMs,
        modelLatencyMs: hiPoint.latencyMs,
        energyMJ: hiPoint.energyMJ,
        meanDeviceMacs: hiPoint.meanDeviceMacs ?? 0,
        measuredOffloads: lat.hiOffloads,
        point: hiPoint,
        decision: metricsAtThreshold(testScores, testCorrect, hiPoint.threshold),
        note: hiChoice.note,
      },
    ];
    if (ee) {
      strategies.push({
        name: 'ee-hi',
        accuracy: ee.point.accuracy,
        offloadFraction: ee.point.offloadFraction,
        latencyMs: lat.eeMs ?? NaN,
        modelLatencyMs: ee.point.latencyMs,
        energyMJ: ee.point.energyMJ,
        meanDeviceMacs: ee.point.meanDeviceMacs ?? 0,
        measuredOffloads: lat.eeOffloads,
        point: ee.point,
        decision: ee.decision,
        note: ee.note,
      });
    }
    strategies.push({
      name: 'remote',
      accuracy: remoteAcc,
      offloadFraction: 1,
      latencyMs: lat.remoteMs,
      modelLatencyMs: offload.latencyMs,
      energyMJ: offload.energyMJ,
      meanDeviceMacs: 0,
      measuredOffloads: lat.count,
    });
    const strategyTable = o.tableDevices?.length
      ? hiStrategyTable({
          devices: o.tableDevices,
          link: o.link,
          minAccuracy: o.qosAccuracy,
          localMacs: localProfile.totals.macs,
          remoteMacs: work.macs,
          localAccuracy: accuracyOf(calib.local, o.calib.labels),
          remoteAccuracy: accuracyOf(calib.remote, o.calib.labels),
          requestBytes: imageBytes,
          replyBytes: REPLY_BYTES,
          serverMs: serverCost.latencyMs,
          hiSamples: hiCalib,
          ee: ee?.table,
        })
      : undefined;
    return {
      samples: o.test.count,
      calibSamples: o.calib.count,
      latencySamples: lat.count,
      qosAccuracy: o.qosAccuracy,
      device: o.device.id,
      link: o.link.id,
      offloadLink: o.offloadLink?.id ?? 'none',
      remote: { url: base, model, inProcess: server !== undefined },
      linkNote: path.note(),
      ...(o.offloadLink ? { linkTraffic: path.traffic() } : {}),
      remoteAgreement: lat.remoteAgree ?? 0,
      costs: { local: localCost, offload, server: serverCost },
      remoteWork: work,
      decision: {
        kind: decision.name,
        fittedThreshold,
        ...(decision instanceof LogisticDecision ? { weights: [...decision.weights] } : {}),
        atFittedThreshold: metricsAtThreshold(testScores, testCorrect, fittedThreshold),
      },
      strategies,
      searchExhaustive: hiChoice.exhaustive && (ee?.exhaustive ?? true),
      ...(ee ? { eeBackboneHi: ee.backboneHi } : {}),
      ...(strategyTable
        ? {
            strategyTable,
            tableInputs: tableInputs({
              local: o.local,
              work,
              serverCost,
              link: o.link.id,
              ee: ee !== undefined,
            }),
          }
        : {}),
    };
  } finally {
    for (const s of sessions) await s.release();
    await path?.close();
    client?.close();
    await server?.close();
  }
}
