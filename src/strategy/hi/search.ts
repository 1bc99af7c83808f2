/**
 * QoS threshold search for HI and EE-HI (pure). The HI threshold is searched exactly: every distinct
 * decision score of the evaluation set is a candidate (plus "offload everything"). Early-exit
 * thresholds are searched over each exit's distinct confidences, or over evenly spaced quantiles of
 * them when that set is larger than `maxCandidatesPerExit` (the result says whether it was exhaustive).
 */
import { EdgesplitError } from '../../core/errors.js';
import { ZERO_COST, type CostPoint } from './accounting.js';

/** Threshold above every possible max-softmax: an early exit that never fires. */
export const EXIT_NEVER = 2;

/** One evaluated sample of an (EE-)HI system. */
export interface HiSearchSample {
  /** Max softmax at each early exit, in order (empty for plain HI). */
  readonly exitConfidence: readonly number[];
  /** Whether each early exit's answer is right. */
  readonly exitCorrect: readonly boolean[];
  /** Decision-module score on the final local output (accept iff score >= threshold). */
  readonly score: number;
  /** Whether the final local answer is right. */
  readonly localCorrect: boolean;
  /** Whether the remote model's answer is right. */
  readonly remoteCorrect: boolean;
}

/** Per-sample costs: cumulative device cost up to each exit (last = the full local model), decision, offload. */
export interface HiSearchCosts {
  readonly exits: readonly CostPoint[];
  readonly decision?: CostPoint;
  readonly offload: CostPoint;
  /** Cumulative device MACs up to each exit, to report mean on-device MACs. */
  readonly exitMacs?: readonly number[];
}

/** What to optimise. Bounds are per-sample averages. */
export type QosGoal =
  | { readonly kind: 'min-latency' | 'min-energy'; readonly minAccuracy: number }
  | { readonly kind: 'max-accuracy'; readonly maxLatencyMs?: number; readonly maxEnergyMJ?: number };

/** One (EE-)HI configuration and its averages over the samples. */
export interface OperatingPoint {
  /** Early-exit thresholds (EXIT_NEVER = exit disabled). */
  readonly exitThresholds: readonly number[];
  /** HI threshold: accept iff score >= threshold. */
  readonly threshold: number;
  readonly accuracy: number;
  readonly offloadFraction: number;
  /** Fraction of samples leaving at each exit (last = final). */
  readonly exitFractions: readonly number[];
  readonly latencyMs: number;
  readonly energyMJ: number;
  readonly meanDeviceMacs?: number;
}

/** Search outcome: the best point, or why none qualifies. */
export interface SearchResult {
  readonly best?: OperatingPoint;
  /** Set when no point meets the goal. */
  readonly infeasible?: string;
  /** Operating points evaluated. */
  readonly evaluated: number;
  /** True when every early-exit candidate set was the full set of distinct confidences. */
  readonly exhaustive: boolean;
}

/** Options of `searchThresholds`. */
export interface SearchOptions {
  /** Largest candidate set per early exit before quantiles are used (default 64). */
  readonly maxCandidatesPerExit?: number;
  /** Forbid offloading: the final exit always accepts (on-device early-exit only). Default false. */
  readonly noOffload?: boolean;
}

function exitCandidates(values: readonly number[], max: number): { list: number[]; exhaustive: boolean } {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= max) return { list: [...distinct, EXIT_NEVER], exhaustive: true };
  const list: number[] = [];
  for (let i = 0; i < max; i++) list.push(distinct[Math.floor((i * (distinct.length - 1)) / (max - 1))]);
  return { list: [...new Set(list), EXIT_NEVER], exhaustive: false };
}

function feasible(p: OperatingPoint, goal: QosGoal): boolean {
  if (goal.kind === 'max-accuracy') {
    return (
      (goal.maxLatencyMs === undefined || p.latencyMs <= goal.maxLatencyMs + 1e-12) &&
      (goal.maxEnergyMJ === undefined || p.energyMJ <= goal.maxEnergyMJ + 1e-12)
    );
  }
  return p.accuracy >= goal.minAccuracy - 1e-12;
}

function better(p: OperatingPoint, q: OperatingPoint | undefined, goal: QosGoal): boolean {
  if (!q) return true;
  const key = (x: OperatingPoint): number[] =>
    goal.kind === 'min-latency'
      ? [x.latencyMs, x.energyMJ, -x.accuracy]
      : goal.kind === 'min-energy'
        ? [x.energyMJ, x.latencyMs, -x.accuracy]
        : [-x.accuracy, x.latencyMs, x.energyMJ];
  const a = key(p);
  const b = key(q);
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-12) return a[i] < b[i];
  return false;
}

function checkInputs(samples: readonly HiSearchSample[], costs: HiSearchCosts): number {
  if (samples.length === 0) throw new EdgesplitError('E_DATA', 'threshold search needs at least one sample');
  const exits = costs.exits.length - 1;
  if (exits < 0) throw new EdgesplitError('E_USAGE', 'threshold search needs the cost of the final exit');
  samples.forEach((s, i) => {
    if (s.exitConfidence.length !== exits || s.exitCorrect.length !== exits) {
      throw new EdgesplitError(
        'E_DATA',
        `sample ${i} has ${s.exitConfidence.length} early-exit confidences, the costs describe ${exits} early exits`,
      );
    }
  });
  return exits;
}

/**
 * Finds the (EE-)HI thresholds that best meet `goal` on `samples`. With no early exits this is
 * plain HI, searched exactly over every distinct score.
 */
export function searchThresholds(
  samples: readonly HiSearchSample[],
  costs: HiSearchCosts,
  goal: QosGoal,
  options: SearchOptions = {},
): SearchResult {
  const exits = checkInputs(samples, costs);
  const n = samples.length;
  const cand = Array.from({ length: exits }, (_, k) =>
    exitCandidates(
      samples.map((s) => s.exitConfidence[k]),
      options.maxCandidatesPerExit ?? 64,
    ),
  );
  const exhaustive = cand.every((c) => c.exhaustive);
  const order = samples.map((_, i) => i).sort((a, b) => samples[b].score - samples[a].score);
  const dec = costs.decision ?? ZERO_COST;
  const exitAt = new Int32Array(n);
  let best: OperatingPoint | undefined;
  let evaluated = 0;
  const thetas = new Array<number>(exits).fill(0);
  const combos = cand.reduce((p, c) => p * c.list.length, 1);
  for (let c = 0; c < combos; c++) {
    let rest = c;
    for (let k = 0; k < exits; k++) {
      thetas[k] = cand[k].list[rest % cand[k].list.length];
      rest = Math.floor(rest / cand[k].list.length);
    }
    const counts = new Array<number>(exits + 1).fill(0);
    let earlyRight = 0;
    for (let i = 0; i < n; i++) {
      const s = samples[i];
      let e = exits;
      for (let k = 0; k < exits; k++) {
        if (s.exitConfidence[k] >= thetas[k]) {
          e = k;
          break;
        }
      }
      exitAt[i] = e;
      counts[e]++;
      if (e < exits && s.exitCorrect[e]) earlyRight++;
    }
    let latency = 0;
    let energy = 0;
    let macs = 0;
    for (let k = 0; k <= exits; k++) {
      latency += counts[k] * costs.exits[k].latencyMs;
      energy += counts[k] * costs.exits[k].energyMJ;
      macs += counts[k] * (costs.exitMacs?.[k] ?? 0);
    }
    const nFinal = counts[exits];
    latency += nFinal * dec.latencyMs;
    energy += nFinal * dec.energyMJ;
    let right = earlyRight;
    for (let i = 0; i < n; i++) if (exitAt[i] === exits && samples[i].remoteCorrect) right++;
    let offloaded = nFinal;
    const emit = (threshold: number) => {
      evaluated++;
      const p: OperatingPoint = {
        exitThresholds: [...thetas],
        threshold,
        accuracy: right / n,
        offloadFraction: offloaded / n,
        exitFractions: counts.map((x) => x / n),
        latencyMs: (latency + offloaded * costs.offload.latencyMs) / n,
        energyMJ: (energy + offloaded * costs.offload.energyMJ) / n,
        ...(costs.exitMacs ? { meanDeviceMacs: macs / n } : {}),
      };
      if (feasible(p, goal) && better(p, best, goal)) best = p;
    };
    const finals = order.filter((i) => exitAt[i] === exits);
    if (!options.noOffload) emit(finals.length ? samples[finals[0]].score + 1 : 1);
    for (let j = 0; j < finals.length;) {
      const t = samples[finals[j]].score;
      while (j < finals.length && samples[finals[j]].score === t) {
        const s = samples[finals[j]];
        right += (s.localCorrect ? 1 : 0) - (s.remoteCorrect ? 1 : 0);
        offloaded--;
        j++;
      }
      if (!options.noOffload || j === finals.length) emit(t);
    }
    if (finals.length === 0 && options.noOffload) emit(0);
  }
  if (!best) return { infeasible: describeInfeasible(goal), evaluated, exhaustive };
  return { best, evaluated, exhaustive };
}

function describeInfeasible(goal: QosGoal): string {
  if (goal.kind === 'max-accuracy') {
    const parts = [
      goal.maxLatencyMs !== undefined ? `latency <= ${goal.maxLatencyMs.toFixed(3)} ms` : '',
      goal.maxEnergyMJ !== undefined ? `energy <= ${goal.maxEnergyMJ.toFixed(3)} mJ` : '',
    ];
    return `no threshold meets ${parts.filter(Boolean).join(' and ')}`;
  }
  return `no threshold reaches accuracy >= ${goal.minAccuracy}`;
}

/** Averages of one fixed (EE-)HI configuration over samples (the same accounting the search uses). */
export function evaluateThresholds(
  samples: readonly HiSearchSample[],
  costs: HiSearchCosts,
  exitThresholds: readonly number[],
  threshold: number,
): OperatingPoint {
  const exits = checkInputs(samples, costs);
  if (exitThresholds.length !== exits)
    throw new EdgesplitError('E_USAGE', `${exitThresholds.length} exit thresholds for ${exits} early exits`);
  const n = samples.length;
  const dec = costs.decision ?? ZERO_COST;
  const counts = new Array<number>(exits + 1).fill(0);
  let right = 0;
  let offloaded = 0;
  for (const s of samples) {
    const e = exitThresholds.findIndex((t, k) => s.exitConfidence[k] >= t);
    if (e >= 0) {
      counts[e]++;
      if (s.exitCorrect[e]) right++;
      continue;
    }
    counts[exits]++;
    const accept = s.score >= threshold;
    if (!accept) offloaded++;
    if (accept ? s.localCorrect : s.remoteCorrect) right++;
  }
  let latency = 0;
  let energy = 0;
  let macs = 0;
  counts.forEach((c, k) => {
    latency += c * costs.exits[k].latencyMs;
    energy += c * costs.exits[k].energyMJ;
    macs += c * (costs.exitMacs?.[k] ?? 0);
  });
  latency += counts[exits] * dec.latencyMs + offloaded * costs.offload.latencyMs;
  energy += counts[exits] * dec.energyMJ + offloaded * costs.offload.energyMJ;
  return {
    exitThresholds: [...exitThresholds],
    threshold,
    accuracy: right / n,
    offloadFraction: offloaded / n,
    exitFractions: counts.map((c) => c / n),
    latencyMs: latency / n,
    energyMJ: energy / n,
    ...(costs.exitMacs ? { meanDeviceMacs: macs / n } : {}),
  };
}
