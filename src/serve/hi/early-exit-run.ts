/**
 * EE-HI in the real system: run the early-exit model over both splits, fit its decision module, choose
 * exit and HI thresholds on the calibration split and report them on the test split, next to HI on the
 * same backbone with every exit off (the seed's Table 6 comparison).
 */
import type { InferenceBackend, InferenceSession } from '../../backend/backend.js';
import type { DeviceSpec } from '../../catalog/index.js';
import type { Dataset } from '../../data/datasets.js';
import type { CostPoint } from '../../strategy/hi/accounting.js';
import { deviceInferenceCost } from '../../strategy/hi/costs.js';
import {
  LogisticDecision,
  ThresholdDecision,
  metricsAtThreshold,
  type DecisionMetrics,
  type DecisionModule,
} from '../../strategy/hi/decision/index.js';
import {
  evaluateThresholds,
  searchThresholds,
  type HiSearchCosts,
  type HiSearchSample,
  type OperatingPoint,
  type QosGoal,
} from '../../strategy/hi/search.js';
import { buildSamples, collectSoftmax, correctness, type BatchRunner } from './evaluate.js';
import type { EarlyExitPieces } from './latency.js';
import { loadPieces } from './pieces.js';

/** A fresh decision module of the given kind. */
export function makeDecision(kind: 'lr' | 'threshold'): DecisionModule {
  return kind === 'lr' ? new LogisticDecision() : new ThresholdDecision();
}

/** Thresholds meeting accuracy >= `qos` at least cost on the calibration samples, else the most accurate ones (with a note). */
export function chooseThresholds(
  samples: readonly HiSearchSample[],
  costs: HiSearchCosts,
  qos: number,
  objective: 'latency' | 'energy',
): { point: OperatingPoint; note?: string; exhaustive: boolean } {
  const goal: QosGoal = { kind: objective === 'latency' ? 'min-latency' : 'min-energy', minAccuracy: qos };
  const r = searchThresholds(samples, costs, goal);
  if (r.best) return { point: r.best, exhaustive: r.exhaustive };
  const fallback = searchThresholds(samples, costs, { kind: 'max-accuracy' });
  return {
    point: fallback.best!,
    note: `${r.infeasible} on the calibration split; using the most accurate thresholds`,
    exhaustive: fallback.exhaustive,
  };
}

/** Inputs of {@link runEarlyExit}. */
export interface EarlyExitInputs {
  readonly path: string;
  readonly backend: InferenceBackend;
  readonly device: DeviceSpec;
  readonly decision: 'lr' | 'threshold';
  readonly qosAccuracy: number;
  readonly objective: 'latency' | 'energy';
  readonly offload: CostPoint;
  readonly calib: Dataset;
  readonly test: Dataset;
  /** Remote softmax rows of each split (from the batched pass). */
  readonly calibRemote: readonly Float64Array[];
  readonly testRemote: readonly Float64Array[];
  readonly batch: number;
  /** Every session opened here is pushed, for the caller to release. */
  readonly sessions: InferenceSession[];
}

/** EE-HI on the test split, with what the latency pass and the strategy table need. */
export interface EarlyExitResult {
  readonly point: OperatingPoint;
  readonly note?: string;
  readonly decision: DecisionMetrics;
  readonly pieces: EarlyExitPieces;
  readonly exhaustive: boolean;
  /** HI on the same backbone, exits off, thresholds chosen the same way. */
  readonly backboneHi: OperatingPoint;
  /** Calibration samples and cumulative MACs per exit, for the strategy table. */
  readonly table: { readonly samples: HiSearchSample[]; readonly exitMacs: number[] };
}

/** Runs the early-exit model and chooses its operating point. */
export async function runEarlyExit(e: EarlyExitInputs): Promise<EarlyExitResult> {
  const full = await e.backend.load(e.path);
  e.sessions.push(full);
  const { pieces, macs } = await loadPieces(e.backend, e.path);
  e.sessions.push(...pieces.prefixes, ...pieces.heads, pieces.rest);
  const fullRun: BatchRunner = (input) => full.run({ [full.inputNames[0]]: input });
  const names = ['exit1', 'exit2', 'final'];
  const eeCalib = await collectSoftmax(fullRun, e.calib, names, e.batch);
  const eeTest = await collectSoftmax(fullRun, e.test, names, e.batch);
  const decision = makeDecision(e.decision);
  decision.fit(eeCalib.final, correctness(eeCalib.final, e.calib.labels));
  const costs: HiSearchCosts = {
    exits: macs.map((m) => deviceInferenceCost(e.device, undefined, { macs: m })),
    offload: e.offload,
    exitMacs: macs,
  };
  const c = buildSamples(
    [eeCalib.exit1, eeCalib.exit2],
    eeCalib.final,
    e.calibRemote,
    e.calib.labels,
    decision,
  );
  const t = buildSamples([eeTest.exit1, eeTest.exit2], eeTest.final, e.testRemote, e.test.labels, decision);
  const choice = chooseThresholds(c, costs, e.qosAccuracy, e.objective);
  const point = evaluateThresholds(t, costs, choice.point.exitThresholds, choice.point.threshold);
  const reached = t.filter((s) => point.exitThresholds.every((th, k) => s.exitConfidence[k] < th));
  const exitsOff = (xs: HiSearchSample[]) => xs.map((x) => ({ ...x, exitConfidence: [], exitCorrect: [] }));
  const backboneCosts: HiSearchCosts = { exits: [costs.exits[2]], offload: e.offload, exitMacs: [macs[2]] };
  const backboneChoice = chooseThresholds(exitsOff(c), backboneCosts, e.qosAccuracy, e.objective);
  return {
    point,
    note: choice.note,
    exhaustive: choice.exhaustive,
    pieces: { ...pieces, decision, exitThresholds: point.exitThresholds, threshold: point.threshold },
    decision: metricsAtThreshold(
      reached.map((s) => s.score),
      reached.map((s) => s.localCorrect),
      point.threshold,
    ),
    backboneHi: evaluateThresholds(exitsOff(t), backboneCosts, [], backboneChoice.point.threshold),
    table: { samples: c, exitMacs: macs },
  };
}
