/**
 * Compute cost on a MAC-unit design (a device with `macUnit`, DistNN's 65 nm ASIC): every square-kernel
 * convolution costs what the hardware MAC model of Table IV says (blocks x energy per block, blocks /
 * clock), other MAC ops cost `energyPerMacJ` each at `macsPerS`, non-MAC ops run at `opsPerS` for
 * `energyPerOpJ`. Energies scale with the operand widths by the catalog's `bitScaling` law
 * (`product`: x (w bits x a bits) / (reference w bits x reference a bits)), then get
 * (1 + memoryOverhead). Pure.
 */
import type { DeviceSpec, MacArrangement, MacUnitSpec } from '../catalog/schema.js';
import type { NodeProfile } from '../profile/types.js';
import type { Cost } from './device-cost.js';
import { macLayerEstimate } from './hardware-mac.js';

/** Settings of a MAC-unit cost. */
export interface MacUnitOptions {
  /** Override the catalog's default arrangement. */
  readonly arrangement?: MacArrangement;
  readonly weightBits: number;
  readonly activationBits: number;
  readonly memoryOverhead: number;
  /** Frame rate the per-layer powers are quoted at. */
  readonly fps: number;
}

/** One node on the MAC unit. */
export interface MacUnitLayer {
  readonly name: string;
  readonly op: string;
  /** 'blocks' when the hardware MAC model priced it, 'per-mac' for other MAC ops, 'ops' for the rest. */
  readonly model: 'blocks' | 'per-mac' | 'ops';
  readonly blocks: number;
  readonly energyJ: number;
  readonly powerW: number;
  readonly latencyS: number;
}

/** A compute cost with its per-layer breakdown. */
export interface MacUnitCost extends Cost {
  readonly arrangement: MacArrangement;
  /** Energy factor of the bit widths (1 at the reference widths). */
  readonly bitScale: number;
  readonly layers: readonly MacUnitLayer[];
}

/** The bit-width factor of the catalog's scaling law. */
export function macBitScale(unit: MacUnitSpec, weightBits: number, activationBits: number): number {
  if (unit.bitScaling === 'none') return 1;
  return (weightBits * activationBits) / (unit.referenceWeightBits * unit.referenceActivationBits);
}

/** Energy of one block of `arrangement` and kernel `k`: the catalog's synthesised value, else k (or k^2) MACs. */
export function blockEnergyJ(
  device: DeviceSpec,
  unit: MacUnitSpec,
  arrangement: MacArrangement,
  k: number,
): number {
  const b = unit.blocks.find((x) => x.arrangement === arrangement && x.kernel === k);
  if (b) return b.energyPerBlockJ;
  return (arrangement === 'k-parallel' ? k : k * k) * (device.energyPerMacJ ?? 0);
}

/** Compute cost of `nodes` (in order) on a device with a `macUnit`. */
export function macUnitCompute(
  device: DeviceSpec & { macUnit: MacUnitSpec },
  nodes: readonly Pick<NodeProfile, 'name' | 'op' | 'macs' | 'ops' | 'conv'>[],
  opts: MacUnitOptions,
): MacUnitCost {
  const unit = device.macUnit;
  const arrangement = opts.arrangement ?? unit.arrangement;
  const scale = macBitScale(unit, opts.weightBits, opts.activationBits);
  const over = 1 + opts.memoryOverhead;
  const layers: MacUnitLayer[] = [];
  for (const n of nodes) {
    if (n.conv && n.macs > 0) {
      const e = macLayerEstimate(
        {
          input: n.conv.input as [number, number, number],
          kernel: n.conv.kernel,
          kernels: n.conv.kernels,
          stride: n.conv.stride,
          outputHw: n.conv.outputHw as [number, number],
        },
        {
          arrangement,
          energyPerBlockJ: blockEnergyJ(device, unit, arrangement, n.conv.kernel) * scale,
          clockHz: device.clockHz,
          blocksPerCycle: unit.blocksPerCycle,
          memoryOverhead: opts.memoryOverhead,
          countInputChannels: unit.countInputChannels,
        },
        opts.fps,
      );
      layers.push({
        name: n.name,
        op: n.op,
        model: 'blocks',
        blocks: e.blocks,
        energyJ: e.energyJ,
        powerW: e.powerW,
        latencyS: e.latencyS,
      });
      continue;
    }
    const macJ = n.macs * (device.energyPerMacJ ?? 0) * scale * over;
    const opJ = n.ops * (device.energyPerOpJ ?? 0);
    const latencyS = n.macs / device.macsPerS + n.ops / (device.opsPerS ?? device.macsPerS);
    if (n.macs === 0 && n.ops === 0) continue;
    layers.push({
      name: n.name,
      op: n.op,
      model: n.macs > 0 ? 'per-mac' : 'ops',
      blocks: 0,
      energyJ: macJ + opJ,
      powerW: (macJ + opJ) * opts.fps,
      latencyS,
    });
  }
  return {
    timeS: layers.reduce((s, l) => s + l.latencyS, 0),
    energyJ: layers.reduce((s, l) => s + l.energyJ, 0),
    source: 'estimate',
    arrangement,
    bitScale: scale,
    layers,
  };
}

/** Whether the device is priced by the hardware MAC model. */
export function hasMacUnit(device: DeviceSpec): device is DeviceSpec & { macUnit: MacUnitSpec } {
  return device.macUnit !== undefined;
}
