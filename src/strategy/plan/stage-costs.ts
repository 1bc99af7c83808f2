import type { DeviceSpec, LinkSpec } from '../../catalog/schema.js';
import { transferCost } from '../../cost/device-cost.js';
import { hasMacUnit, macUnitCompute } from '../../cost/mac-unit-cost.js';
import { stageComputeCost } from './stage-compute.js';
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

/** SRAM left for activations on a device: all of it, less what its runtime and radio stack reserve. */
export function activationSramBytes(device: DeviceSpec): number {
  return device.sramBytes - (device.sramReservedBytes ?? 0);
}

/**
 * Stage queries for the search: prefix sums of MACs, ops and own weights plus the shared weights a
 * range touches, a sparse table of the per-node live bytes (range maximum = a stage's activation
 * peak), and per device type the largest end each start can reach. Feasibility is monotone (a
 * sub-range of a fitting range fits), so the reachable ends of a start are exactly (start, maxEnd].
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
  /** Shared weights each node reads (indices into `problem.sharedWeights`). */
  private readonly sharedOf: number[][];

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
    const shared = problem.sharedWeights ?? [];
    this.sharedOf = Array.from({ length: n }, () => []);
    shared.forEach((w, i) => w.readers.forEach((k) => this.sharedOf[k].push(i)));
    this.maxEnd = types.map((t) => this.reach(t));
  }

  /** Two pointers over the nodes, keeping the shared weights of the window counted once. */
  private reach(t: DeviceSpec): Int32Array {
    const n = this.n;
    const shared = this.problem.sharedWeights ?? [];
    const count = new Int32Array(shared.length);
    let sharedBytes = 0;
    const enter = (k: number) => {
      for (const i of this.sharedOf[k]) if (count[i]++ === 0) sharedBytes += shared[i].bytes;
    };
    const leave = (k: number) => {
      for (const i of this.sharedOf[k]) if (--count[i] === 0) sharedBytes -= shared[i].bytes;
    };
    const ends = new Int32Array(n);
    let b = 0;
    for (let a = 0; a < n; a++) {
      if (b < a) b = a;
      for (;;) {
        if (b >= n) break;
        enter(b);
        const w = this.weights[b + 1] - this.weights[a] + sharedBytes;
        if (!this.fitsWith(t, w, this.peakBytes(a, b + 1))) {
          leave(b);
          break;
        }
        b++;
      }
      ends[a] = b;
      if (b > a) leave(a);
    }
    return ends;
  }

  /** Weight bytes a stage model of nodes [a, b) holds: its own weights plus every shared weight it reads. */
  weightBytes(a: number, b: number): number {
    let w = this.weights[b] - this.weights[a];
    for (const sw of this.problem.sharedWeights ?? []) {
      if (sw.readers.some((k) => k >= a && k < b)) w += sw.bytes;
    }
    return w;
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

  /** Whether nodes [a, b) fit a device under the problem's memory model (see {@link memoryShortfall}). */
  fits(device: DeviceSpec, a: number, b: number): boolean {
    return this.fitsWith(device, this.weightBytes(a, b), this.peakBytes(a, b));
  }

  private fitsWith(device: DeviceSpec, weights: number, peak: number): boolean {
    const s = memoryShortfall(this.problem, device, weights, peak);
    return s.flash <= 0 && s.sram <= 0;
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
    return stageComputeCost(device, this.macsOf(a, b), this.opsOf(a, b));
  }
}

/**
 * Bytes missing on a device for a stage with `weights` and activation peak `peak` (positive = short):
 * `seed` puts weights, runtime and the largest intermediate in one memory (flash, seed Sec. II-C);
 * `inplace` and `strict` check weights + runtime against flash and the peak against the SRAM left by
 * the runtime's reservation; problems without a memory model check the peak against all SRAM.
 */
export function memoryShortfall(
  problem: PartitionProblem,
  device: DeviceSpec,
  weights: number,
  peak: number,
): { flash: number; sram: number } {
  const flash = weights + device.runtimeOverheadBytes - device.flashBytes;
  if (problem.memoryModel === 'seed') return { flash: flash + peak, sram: 0 };
  const sram = problem.memoryModel ? activationSramBytes(device) : device.sramBytes;
  return { flash, sram: peak - sram };
}
