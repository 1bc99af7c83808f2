/**
 * The strategy table of the seed (Table 5): for each device, which of on-device-small,
 * on-device-large, HI, EE-HI and remote inference is best under each QoS requirement. Pure.
 */
import type { CostPoint } from './accounting.js';
import {
  searchThresholds,
  type HiSearchCosts,
  type HiSearchSample,
  type OperatingPoint,
  type QosGoal,
} from './search.js';

/** The strategies compared. */
export type StrategyName = 'on-device-small' | 'on-device-large' | 'hi' | 'ee-hi' | 'remote';

/** A strategy without a tunable threshold: its accuracy and per-sample cost. */
export interface FixedStrategy {
  readonly name: 'on-device-small' | 'on-device-large' | 'remote';
  readonly accuracy: number;
  readonly cost: CostPoint;
}

/** Everything known about one device: fixed strategies and the data to tune HI / EE-HI. */
export interface DeviceScenario {
  readonly device: string;
  readonly fixed: readonly FixedStrategy[];
  readonly hi?: { readonly samples: readonly HiSearchSample[]; readonly costs: HiSearchCosts };
  readonly eeHi?: { readonly samples: readonly HiSearchSample[]; readonly costs: HiSearchCosts };
  /** Full-offload cost per sample; the latency and energy bounds are fractions of it. */
  readonly offload: CostPoint;
}

/** The three QoS requirements of the seed (section 3.3). */
export interface QosRequirements {
  /** Accuracy >= this (the seed: SOTA - 10%). */
  readonly minAccuracy: number;
  /** Latency <= factor x full offload (default 0.5). */
  readonly latencyFactor?: number;
  /** Energy <= factor x full offload (default 0.5). */
  readonly energyFactor?: number;
}

/** One strategy evaluated under one requirement. */
export interface StrategyCandidate {
  readonly name: StrategyName;
  readonly feasible: boolean;
  readonly accuracy: number;
  readonly latencyMs: number;
  readonly energyMJ: number;
  readonly offloadFraction: number;
  /** Chosen thresholds of HI / EE-HI. */
  readonly point?: OperatingPoint;
  /** Why a tunable strategy has no feasible point. */
  readonly note?: string;
}

/** The best strategy of one device under one requirement, with every candidate's numbers. */
export interface StrategyTableRow {
  readonly device: string;
  readonly qos: 'accuracy' | 'latency' | 'energy';
  /** Human-readable requirement, e.g. "accuracy >= 0.90". */
  readonly requirement: string;
  /** Undefined when no strategy meets the requirement. */
  readonly best?: StrategyName;
  readonly candidates: readonly StrategyCandidate[];
}

function rank(c: StrategyCandidate, qos: StrategyTableRow['qos']): number[] {
  // accuracy QoS: the gain sought is latency (then energy); latency/energy QoS: accuracy (then cost)
  return qos === 'accuracy'
    ? [c.latencyMs, c.energyMJ, -c.accuracy]
    : qos === 'latency'
      ? [-c.accuracy, c.latencyMs, c.energyMJ]
      : [-c.accuracy, c.energyMJ, c.latencyMs];
}

function lessThan(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-12) return a[i] < b[i];
  return false;
}

function tuned(
  name: 'hi' | 'ee-hi',
  data: DeviceScenario['hi'],
  goal: QosGoal,
): StrategyCandidate | undefined {
  if (!data) return undefined;
  const res = searchThresholds(data.samples, data.costs, goal);
  if (!res.best)
    return {
      name,
      feasible: false,
      accuracy: NaN,
      latencyMs: NaN,
      energyMJ: NaN,
      offloadFraction: NaN,
      note: res.infeasible,
    };
  const p = res.best;
  return {
    name,
    feasible: true,
    accuracy: p.accuracy,
    latencyMs: p.latencyMs,
    energyMJ: p.energyMJ,
    offloadFraction: p.offloadFraction,
    point: p,
  };
}

/** Builds the strategy table: three rows (accuracy, latency, energy QoS) per device. */
export function strategyTable(
  scenarios: readonly DeviceScenario[],
  qos: QosRequirements,
): StrategyTableRow[] {
  const rows: StrategyTableRow[] = [];
  for (const s of scenarios) {
    const maxLat = (qos.latencyFactor ?? 0.5) * s.offload.latencyMs;
    const maxEn = (qos.energyFactor ?? 0.5) * s.offload.energyMJ;
    const reqs: [StrategyTableRow['qos'], string, QosGoal, (c: StrategyCandidate) => boolean][] = [
      [
        'accuracy',
        `accuracy >= ${qos.minAccuracy}`,
        { kind: 'min-latency', minAccuracy: qos.minAccuracy },
        (c) => c.accuracy >= qos.minAccuracy - 1e-12,
      ],
      [
        'latency',
        `latency <= ${maxLat.toFixed(3)} ms`,
        { kind: 'max-accuracy', maxLatencyMs: maxLat },
        (c) => c.latencyMs <= maxLat + 1e-12,
      ],
      [
        'energy',
        `energy <= ${maxEn.toFixed(3)} mJ`,
        { kind: 'max-accuracy', maxEnergyMJ: maxEn },
        (c) => c.energyMJ <= maxEn + 1e-12,
      ],
    ];
    for (const [kind, requirement, goal, ok] of reqs) {
      const candidates: StrategyCandidate[] = s.fixed.map((f) => {
        const c = {
          name: f.name,
          accuracy: f.accuracy,
          latencyMs: f.cost.latencyMs,
          energyMJ: f.cost.energyMJ,
          offloadFraction: f.name === 'remote' ? 1 : 0,
        };
        return { ...c, feasible: ok({ ...c, feasible: true }) };
      });
      for (const t of [tuned('hi', s.hi, goal), tuned('ee-hi', s.eeHi, goal)]) if (t) candidates.push(t);
      let best: StrategyCandidate | undefined;
      for (const c of candidates)
        if (c.feasible && (!best || lessThan(rank(c, kind), rank(best, kind)))) best = c;
      rows.push({ device: s.device, qos: kind, requirement, best: best?.name, candidates });
    }
  }
  return rows;
}
