/**
 * The estimator: for a model profile, a cut and (node, hub, link, bit widths, frame rate), the node's
 * compute and communication cost, the hub's compute, end-to-end latency and the node's average power,
 * plus the all-on-node (cut n) and all-offloaded (cut 0) baselines. Pure.
 */
import type { DeviceSpec, LinkSpec } from '../catalog/schema.js';
import { EdgesplitError } from '../core/errors.js';
import type { ModelProfile } from '../profile/types.js';
import type { MacArrangement } from '../catalog/schema.js';
import { computeCost, transferCost, usesPerMacEnergy, type Cost, type TransferCost } from './device-cost.js';
import { hasMacUnit, macUnitCompute, type MacUnitCost } from './mac-unit-cost.js';

/** Devices, link and settings of a node/hub split. */
export interface SplitConfig {
  readonly node: DeviceSpec;
  readonly hub: DeviceSpec;
  readonly link: LinkSpec;
  /** Bit width of the activations sent over the link; default the profile's activation bit width. */
  readonly bits?: number;
  /** Bit width of the weights stored on the node; default the profile's weight bit width. */
  readonly weightBits?: number;
  /** Frames per second the node must sustain; default 30. */
  readonly fps?: number;
  /** Memory overhead on per-MAC energies; default each device's own (`memoryOverhead` or 0). */
  readonly memoryOverhead?: number;
  /** Whole-model name for measured device entries (used at cut n on the node and cut 0 on the hub). */
  readonly model?: string;
  /** MAC-unit nodes: parallel (k x k) or serial (k) blocks; default the catalog's. */
  readonly macArrangement?: MacArrangement;
}

/** Costs of one cut. Cut k runs nodes [0, k) on the node and [k, n) on the hub. */
export interface CutEstimate {
  readonly cut: number;
  /** Name of the last node on the node side (`''` for cut 0). */
  readonly after: string;
  readonly nodeMacs: number;
  readonly hubMacs: number;
  /** Node compute; on a MAC-unit node it carries the per-layer breakdown of the hardware MAC model. */
  readonly nodeCompute: Cost | MacUnitCost;
  /** Live tensors across the cut at the wire bit width, then packetised by the link. */
  readonly transfer: TransferCost & { readonly payloadBytes: number; readonly bits: number };
  readonly hubCompute: Cost;
  /** Node compute + communication energy per frame. */
  readonly nodeEnergyJ: number;
  /** Node compute + transfer + hub compute time. */
  readonly latencyS: number;
  /** Node busy time per frame (compute + send). */
  readonly nodeBusyS: number;
  /** Average node power at the frame rate: energy per frame x fps plus idle power outside compute. */
  readonly nodeAvgPowerW: number;
  /** Whether the node's busy time fits in one frame period. */
  readonly sustainsFps: boolean;
  /** Node memory: weights of nodes [0, k) and peak activations, against the device's memory. */
  readonly memory: {
    readonly weightBytes: number;
    readonly activationBytes: number;
    readonly fitsWeights: boolean;
    readonly fitsActivations: boolean;
  };
}

/** Every cut of a model under one configuration, with the two baselines. */
export interface SplitEstimate {
  readonly model: string;
  readonly bits: number;
  readonly weightBits: number;
  readonly fps: number;
  readonly memoryOverheadApplied: boolean;
  readonly cuts: readonly CutEstimate[];
  /** Cut n: everything on the node, the outputs are sent. */
  readonly allOnNode: CutEstimate;
  /** Cut 0: the inputs are sent, everything on the hub. */
  readonly allOffloaded: CutEstimate;
}

function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) {
    throw new EdgesplitError('E_USAGE', `${what} must be a whole number of bits in 1..64, got ${bits}`);
  }
}

/** Peak node activation bytes for nodes [0, k): the live set before each node plus its outputs. */
function nodeActivationBytes(profile: ModelProfile, k: number, bits: number): number {
  let peak = 0;
  for (let i = 0; i < k; i++) {
    const live = profile.cuts[i].live.reduce((s, t) => s + t.elements, 0);
    peak = Math.max(peak, Math.ceil(((live + profile.nodes[i].outputElements) * bits) / 8));
  }
  return peak;
}

/** Costs of cut `k` (0..n) of `profile` under `config`. */
export function estimateCut(profile: ModelProfile, k: number, config: SplitConfig): CutEstimate {
  const n = profile.nodes.length;
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new EdgesplitError('E_USAGE', `cut ${k} is out of range 0..${n} for ${profile.model}`);
  const bits = config.bits ?? profile.activationBits;
  const weightBits = config.weightBits ?? profile.weightBits;
  const fps = config.fps ?? 30;
  checkBits(bits, 'bits');
  checkBits(weightBits, 'weight bits');
  if (!(fps > 0)) throw new EdgesplitError('E_USAGE', `fps must be > 0, got ${fps}`);
  const cut = profile.cuts[k];
  const nodeMacs = cut.cumulativeMacs;
  const hubMacs = profile.totals.macs - nodeMacs;
  const nodeOps = cut.cumulativeOps;
  const hubOps = profile.totals.ops - nodeOps;
  const overhead = { memoryOverhead: config.memoryOverhead };
  const node = config.node;
  const measuredNode =
    k === n && config.model !== undefined && node.measured?.some((m) => m.model === config.model);
  const nodeCompute =
    k === 0
      ? zeroCost()
      : hasMacUnit(node) && !measuredNode
        ? macUnitCompute(node, profile.nodes.slice(0, k), {
            arrangement: config.macArrangement,
            weightBits,
            activationBits: bits,
            memoryOverhead: config.memoryOverhead ?? node.memoryOverhead ?? 0,
            fps,
          })
        : computeCost(node, nodeMacs, nodeOps, {
            ...overhead,
            model: k === n ? config.model : undefined,
          });
  const hubCompute =
    k === n
      ? zeroCost()
      : computeCost(config.hub, hubMacs, hubOps, { ...overhead, model: k === 0 ? config.model : undefined });
  const payloadBytes = cut.live.reduce((s, t) => s + Math.ceil((t.elements * bits) / 8), 0);
  const t = transferCost(config.link, payloadBytes);
  const nodeEnergyJ = nodeCompute.energyJ + t.energyJ;
  const nodeBusyS = nodeCompute.timeS + t.timeS;
  const duty = nodeBusyS * fps;
  // the processor idles while the radio sends, so idle power covers all but the compute time
  const computeDuty = nodeCompute.timeS * fps;
  const weightBytes = Math.ceil((cut.cumulativeParams * weightBits) / 8);
  const activationBytes = nodeActivationBytes(profile, k, bits);
  return {
    cut: k,
    after: cut.after,
    nodeMacs,
    hubMacs,
    nodeCompute,
    transfer: { ...t, payloadBytes, bits: t.wireBytes * 8 },
    hubCompute,
    nodeEnergyJ,
    latencyS: nodeCompute.timeS + t.timeS + hubCompute.timeS,
    nodeBusyS,
    nodeAvgPowerW: nodeEnergyJ * fps + config.node.idlePowerW * Math.max(0, 1 - computeDuty),
    sustainsFps: duty <= 1,
    memory: {
      weightBytes,
      activationBytes,
      fitsWeights: weightBytes <= config.node.flashBytes - config.node.runtimeOverheadBytes,
      fitsActivations: activationBytes <= config.node.sramBytes,
    },
  };
}

function zeroCost(): Cost {
  return { timeS: 0, energyJ: 0, source: 'estimate' };
}

/** Costs of every cut 0..n of `profile` under `config`, with the all-on-node and all-offloaded baselines. */
export function estimateSplit(profile: ModelProfile, config: SplitConfig): SplitEstimate {
  const cuts = profile.cuts.map((_, k) => estimateCut(profile, k, config));
  return {
    model: profile.model,
    bits: config.bits ?? profile.activationBits,
    weightBits: config.weightBits ?? profile.weightBits,
    fps: config.fps ?? 30,
    memoryOverheadApplied:
      usesPerMacEnergy(config.node) && (config.memoryOverhead ?? config.node.memoryOverhead ?? 0) > 0,
    cuts,
    allOnNode: cuts[cuts.length - 1],
    allOffloaded: cuts[0],
  };
}
