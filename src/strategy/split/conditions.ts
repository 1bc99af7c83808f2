/**
 * DistNN's energy conditions (seed Sec. III-C), each with a verdict and the numbers behind it:
 * E_node << E_hub, E_node(split) << E_node(all on node), and the communication energy below the
 * compute energy it saves. "<<" is read as at least an order of magnitude (ratio <= 0.1).
 */
import type { CutEstimate } from '../../cost/estimate.js';

/** `holds`: satisfied (for "<<", by 10x); `weak`: only "<" holds; `fails`: not satisfied. */
export type Verdict = 'holds' | 'weak' | 'fails';

/** One condition, its verdict and numbers. */
export interface ConditionResult {
  readonly id: 'node-vs-hub' | 'split-vs-all-on-node' | 'comm-vs-saved-compute';
  readonly statement: string;
  readonly verdict: Verdict;
  readonly lhsJ: number;
  readonly rhsJ: number;
  /** lhs / rhs (Infinity when rhs is 0 and lhs is not). */
  readonly ratio: number;
  readonly detail: string;
}

/** Ratio at or below which "a << b" holds. */
export const MUCH_LESS_RATIO = 0.1;

function ratioOf(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Infinity;
  return a / b;
}

function muchLess(ratio: number): Verdict {
  if (ratio <= MUCH_LESS_RATIO) return 'holds';
  return ratio < 1 ? 'weak' : 'fails';
}

function fmtJ(j: number): string {
  const a = Math.abs(j);
  if (a === 0) return '0 J';
  if (a >= 1) return `${j.toPrecision(3)} J`;
  if (a >= 1e-3) return `${(j * 1e3).toPrecision(3)} mJ`;
  if (a >= 1e-6) return `${(j * 1e6).toPrecision(3)} uJ`;
  if (a >= 1e-9) return `${(j * 1e9).toPrecision(3)} nJ`;
  return `${(j * 1e12).toPrecision(3)} pJ`;
}

/** Evaluates the three conditions for `chosen`, given the all-on-node baseline. */
export function energyConditions(chosen: CutEstimate, allOnNode: CutEstimate): ConditionResult[] {
  const eNode = chosen.nodeEnergyJ;
  const eHub = chosen.hubCompute.energyJ;
  const r1 = ratioOf(eNode, eHub);
  const eAll = allOnNode.nodeEnergyJ;
  const r2 = ratioOf(eNode, eAll);
  const eComm = chosen.transfer.energyJ;
  const saved = allOnNode.nodeCompute.energyJ - chosen.nodeCompute.energyJ;
  const r3 = ratioOf(eComm, saved);
  const v3: Verdict = saved > 0 && eComm < saved ? 'holds' : 'fails';
  return [
    {
      id: 'node-vs-hub',
      statement: 'E_node << E_hub',
      verdict: muchLess(r1),
      lhsJ: eNode,
      rhsJ: eHub,
      ratio: r1,
      detail: `node ${fmtJ(eNode)} vs hub ${fmtJ(eHub)} (ratio ${fmtRatio(r1)})`,
    },
    {
      id: 'split-vs-all-on-node',
      statement: 'E_node(split) << E_node(all on node)',
      verdict: muchLess(r2),
      lhsJ: eNode,
      rhsJ: eAll,
      ratio: r2,
      detail: `split ${fmtJ(eNode)} vs all on node ${fmtJ(eAll)} (ratio ${fmtRatio(r2)})`,
    },
    {
      id: 'comm-vs-saved-compute',
      statement: 'E_comm < compute energy saved on the node',
      verdict: v3,
      lhsJ: eComm,
      rhsJ: saved,
      ratio: r3,
      detail: `communication ${fmtJ(eComm)} vs saved compute ${fmtJ(saved)}${saved <= 0 ? ' (nothing is offloaded)' : ''}`,
    },
  ];
}

function fmtRatio(r: number): string {
  return Number.isFinite(r) ? r.toPrecision(3) : 'inf';
}

export { fmtJ as formatJoules };
