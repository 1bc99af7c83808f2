/**
 * HI / EE-HI accounting of the seed (hierarchical-inference-early-exit), Eqs. (1)-(4). Pure.
 * Units: milliseconds and millijoules, as the seed's tables use.
 */
import { EdgesplitError } from '../../core/errors.js';

/** Average latency and on-device energy of one inference. */
export interface CostPoint {
  readonly latencyMs: number;
  readonly energyMJ: number;
}

/** The per-sample costs Eqs. (3)-(4) combine. */
export interface HiCosts {
  /** t_dev_inf, e_dev_inf: running the local model on the device. */
  readonly device: CostPoint;
  /** t_LR, e_LR: the decision module (default 0). */
  readonly decision?: CostPoint;
  /** t_off, e_edge_off: sending the sample, remote inference and the reply, per offloaded sample. */
  readonly offload: CostPoint;
}

/** Zero cost. */
export const ZERO_COST: CostPoint = { latencyMs: 0, energyMJ: 0 };

function checkFraction(x: number, what: string): void {
  if (!(x >= 0 && x <= 1))
    throw new EdgesplitError('E_USAGE', `${what} must be a fraction in [0, 1], got ${x}`);
}

/** Eqs. (3) and (4): t_dev + t_LR + eta_off * t_off, and the same for energy. */
export function hiCost(costs: HiCosts, offloadFraction: number): CostPoint {
  checkFraction(offloadFraction, 'offload fraction');
  const d = costs.decision ?? ZERO_COST;
  return {
    latencyMs: costs.device.latencyMs + d.latencyMs + offloadFraction * costs.offload.latencyMs,
    energyMJ: costs.device.energyMJ + d.energyMJ + offloadFraction * costs.offload.energyMJ,
  };
}

/**
 * EE-HI version of Eqs. (3)-(4): t_dev is the mean over where samples left the early-exit model.
 * `exitFractions[k]` is the fraction of samples leaving at exit k (the last entry is the final exit)
 * and `exitCosts[k]` the cumulative device cost of running up to and including exit k. Only samples
 * reaching the final exit pay the decision module; `offloadFraction` is over all samples.
 */
export function eeHiCost(
  exitFractions: readonly number[],
  exitCosts: readonly CostPoint[],
  decision: CostPoint,
  offload: CostPoint,
  offloadFraction: number,
): CostPoint {
  if (exitFractions.length !== exitCosts.length || exitCosts.length === 0) {
    throw new EdgesplitError(
      'E_USAGE',
      `${exitFractions.length} exit fractions for ${exitCosts.length} exit costs`,
    );
  }
  const total = exitFractions.reduce((s, f) => s + f, 0);
  if (Math.abs(total - 1) > 1e-9)
    throw new EdgesplitError('E_USAGE', `exit fractions sum to ${total}, not 1`);
  checkFraction(offloadFraction, 'offload fraction');
  const final = exitFractions[exitFractions.length - 1];
  if (offloadFraction > final + 1e-12)
    throw new EdgesplitError(
      'E_USAGE',
      `offload fraction ${offloadFraction} exceeds the fraction reaching the final exit ${final}`,
    );
  let latencyMs = 0;
  let energyMJ = 0;
  exitFractions.forEach((f, k) => {
    latencyMs += f * exitCosts[k].latencyMs;
    energyMJ += f * exitCosts[k].energyMJ;
  });
  return {
    latencyMs: latencyMs + final * decision.latencyMs + offloadFraction * offload.latencyMs,
    energyMJ: energyMJ + final * decision.energyMJ + offloadFraction * offload.energyMJ,
  };
}

/** One sample's HI outcome: whether it was accepted and whether the local / remote answers were right. */
export interface HiOutcome {
  readonly accepted: boolean;
  readonly localCorrect: boolean;
  readonly remoteCorrect: boolean;
}

/** Eq. (1): the fraction of samples answered correctly by whichever model answered them. */
export function hiAccuracy(outcomes: readonly HiOutcome[]): number {
  if (outcomes.length === 0) throw new EdgesplitError('E_DATA', 'HI accuracy of an empty set');
  let right = 0;
  for (const o of outcomes) if (o.accepted ? o.localCorrect : o.remoteCorrect) right++;
  return right / outcomes.length;
}

/**
 * Eq. (2) in this module's convention (positive = offload): Acc_HI = (Acc_OD - eta_FP) + Acc_S|off * eta_off,
 * where eta_FP is the fraction of all samples that were correct locally yet offloaded and Acc_S|off
 * the remote model's accuracy on the offloaded samples. (The seed writes eta_FN with the opposite
 * class convention; its section 6 defines FP/FN as we do.) Equals Eq. (1) exactly.
 */
export function hiAccuracyFromRates(
  accOnDevice: number,
  etaFalsePositive: number,
  remoteAccuracyOnOffloaded: number,
  offloadFraction: number,
): number {
  for (const [v, what] of [
    [accOnDevice, 'on-device accuracy'],
    [etaFalsePositive, 'eta_FP'],
    [remoteAccuracyOnOffloaded, 'remote accuracy'],
    [offloadFraction, 'offload fraction'],
  ] as const)
    checkFraction(v, what);
  const eps = 1e-12;
  if (etaFalsePositive > offloadFraction + eps || etaFalsePositive > accOnDevice + eps) {
    throw new EdgesplitError(
      'E_USAGE',
      `eta_FP ${etaFalsePositive} cannot exceed the offload fraction ${offloadFraction} or the on-device accuracy ${accOnDevice}`,
    );
  }
  if (offloadFraction - etaFalsePositive > 1 - accOnDevice + eps) {
    throw new EdgesplitError(
      'E_USAGE',
      `inconsistent rates: offloading ${offloadFraction} with eta_FP ${etaFalsePositive} offloads ${(offloadFraction - etaFalsePositive).toFixed(4)} wrong answers, but only ${(1 - accOnDevice).toFixed(4)} are wrong`,
    );
  }
  return accOnDevice - etaFalsePositive + remoteAccuracyOnOffloaded * offloadFraction;
}

/** Full offload (remote inference for every sample): no local model runs. */
export function remoteCost(offload: CostPoint): CostPoint {
  return { ...offload };
}

/**
 * The offload fraction that best explains observed HI (latency, energy) pairs through Eqs. (3)-(4),
 * by least squares over all given numbers (each relative to its own scale). Used to check the seed's
 * Table 6 against Tables 3 and 4 when the paper does not state eta_off.
 */
export function fitOffloadFraction(observations: readonly { costs: HiCosts; observed: CostPoint }[]): number {
  let num = 0;
  let den = 0;
  for (const { costs, observed } of observations) {
    const d = costs.decision ?? ZERO_COST;
    const terms: [number, number, number][] = [
      [observed.latencyMs, costs.device.latencyMs + d.latencyMs, costs.offload.latencyMs],
      [observed.energyMJ, costs.device.energyMJ + d.energyMJ, costs.offload.energyMJ],
    ];
    for (const [y, a, b] of terms) {
      // relative residuals: divide by y so milliseconds and millijoules weigh alike
      num += ((y - a) * b) / (y * y);
      den += (b * b) / (y * y);
    }
  }
  if (den === 0) throw new EdgesplitError('E_USAGE', 'no offload cost to fit an offload fraction against');
  return num / den;
}
