import type { DeviceSpec, LinkSpec } from '../../catalog/schema.js';
import { computeCost, transferCost } from '../../cost/device-cost.js';
import { hasMacUnit, macUnitCompute } from '../../cost/mac-unit-cost.js';
import type { PartitionProblem } from './types.js';

/** Transfer time and sender energy of every cut over one link (cuts 0 and n cost nothing: input is local, results stay). */
export interface CutTransfers {
  readonly timeS: Float64Array;
  readonly energyJ: Float64Array;
}

/** Per-cut transfer costs over `link`. */
export function cutTransfers(problem: PartitionProblem, link: LinkSpec): CutTransfers {
  const n = problem.nodes.length;
  const timeS = new Float64Array(n + 1);
  const energyJ = new Float64Array(n + 1);
  for (let k = 1; k < n; k++) {
    const c = transferCost(link, problem.cutBytes[k]);
    timeS[k] = c.timeS;
    energyJ[k] = c.energyJ;
  }
  return { timeS, energyJ };
}

/**
 * O(1) stage queries for the search: prefix sums of MACs, ops and weights, a sparse table of the
 * per-node live bytes (range maximum = a stage's activation peak), and per device type the largest
 * end each start can reach. Feasibility is monotone (a sub-range of a fitting range fits), so the
 * reachable ends of a start are exactly (start, maxEnd].
 */
export class StageCosts {
  readonly n: number;
  readonly types: readonly DeviceSpec[];
  readonly transfers: CutTransfers;
  private readonly macs: Float64Array;
  private readonly ops: Float64Array;
  private readonly weights: Float64Array;
  private readonly table: Float64Array[];
  private readonly log: Uint8Array;
  /** maxEnd[t][a]: the largest b with [a, b) fitting type t (a when even one node does not fit). */
  readonly maxEnd: Int32Array[];

  constructor(
    readonly problem: PartitionProblem,
    types: readonly DeviceSpec[],
    link: LinkSpec,
  ) {
    const n = problem.nodes.length;
    this.n = n;
    this.types = types;
    this.transfers = cutTransfers(problem, link);
    this.macs = new Float64Array(n + 1);
    this.ops = new Float64Array(n + 1);
    this.weights = new Float64Array(n + 1);
    problem.nodes.forEach((node, k) => {
      this.macs[k + 1] = this.macs[k] + node.macs;
      this.ops[k + 1] = this.ops[k] + node.ops;
      this.weights[k + 1] = this.weights[k] + node.weightBytes;
    });
    this.log = new Uint8Array(n + 1);
    for (let i = 2; i <= n; i++) this.log[i] = this.log[i >> 1] + 1;
    this.table = [Float64Array.from(problem.nodes, (x) => x.liveBytes)];
    for (let j = 1; 1 << j <= n; j++) {
      const prev = this.table[j - 1];
      const row = new Float64Array(n - (1 << j) + 1);
      for (let i = 0; i < row.length; i++) row[i] = Math.max(prev[i], prev[i + (1 << (j - 1))]);
      this.table.push(row);
    }
    this.maxEnd = types.map((t) => {
      const ends = new Int32Array(n);
      let b = 0;
      for (let a = 0; a < n; a++) {
        if (b < a) b = a;
        while (b < n && this.fits(t, a, b + 1)) b++;
        ends[a] = b;
      }
      return ends;
    });
  }

  /** Weight bytes of nodes [a, b). */
  weightBytes(a: number, b: number): number {
    return this.weights[b] - this.weights[a];
  }

  /** MACs of nodes [a, b). */
  macsOf(a: number, b: number): number {
    return this.macs[b] - this.macs[a];
  }

  /** Non-MAC ops of nodes [a, b). */
  opsOf(a: number, b: number): number {
    return this.ops[b] - this.ops[a];
  }

  /** Activation peak of nodes [a, b) (a < b). */
  peakBytes(a: number, b: number): number {
    const j = this.log[b - a];
    const row = this.table[j];
    return Math.max(row[a], row[b - (1 << j)]);
  }

  /** Whether nodes [a, b) fit a device: weights + runtime within flash, activation peak within SRAM. */
  fits(device: DeviceSpec, a: number, b: number): boolean {
    return (
      this.weightBytes(a, b) + device.runtimeOverheadBytes <= device.flashBytes &&
      this.peakBytes(a, b) <= device.sramBytes
    );
  }

  /** Compute time and energy of nodes [a, b) on `device` (MAC-unit designs: the hardware MAC model). */
  compute(device: DeviceSpec, a: number, b: number): { timeS: number; energyJ: number } {
    if (hasMacUnit(device))
      return macUnitCompute(device, this.problem.nodes.slice(a, b), {
        weightBits: this.problem.weightBits,
        activationBits: this.problem.activationBits,
        memoryOverhead: device.memoryOverhead ?? 0,
        fps: 1,
      });
    return computeCost(device, this.macsOf(a, b), this.opsOf(a, b));
  }
}
