/**
 * DistNN's hardware MAC model (seed Sec. III-D and IV-B): a convolution layer computed by MAC blocks,
 * either k x k MAC units in parallel (one block per output element) or k units in parallel (k blocks
 * per output element). Energy is blocks x energy per block x (1 + memory overhead); power is energy
 * per frame x fps; latency is blocks / (blocks per cycle x clock).
 *
 * Table IV of the seed is reproduced with memoryOverhead = 0 and without counting input channels: its
 * 524,288 blocks for a 5x5x3 layer are one 25-MAC block per output element, although a 3-channel
 * 5x5 kernel needs 75 MACs, and its 126 uW equals 524,288 x 8 pJ x 30 fps with no overhead added,
 * though the text says the power "includes" 80%. Both are explicit options here.
 */
import type { MacArrangement } from '../catalog/schema.js';
import { EdgesplitError } from '../core/errors.js';

export type { MacArrangement } from '../catalog/schema.js';

/** A convolution layer as DistNN Table IV describes it (HWC shapes). */
export interface MacConvLayer {
  /** Input height, width, channels. */
  readonly input: readonly [number, number, number];
  /** Kernel side k (k x k kernels). */
  readonly kernel: number;
  /** Number of kernels (output channels). */
  readonly kernels: number;
  /** Stride; the output side is ceil(input / stride) ('same' padding). Default 1. */
  readonly stride?: number;
  /** Output height and width when known (a model's real padding, transposed convolutions). */
  readonly outputHw?: readonly [number, number];
}

/** Parameters of the MAC hardware. */
export interface MacHardware {
  readonly arrangement: MacArrangement;
  /** Energy of one block (J). */
  readonly energyPerBlockJ: number;
  /** Clock (Hz); default 100 MHz as in the seed. */
  readonly clockHz?: number;
  /** Blocks completing per cycle; default 1. */
  readonly blocksPerCycle?: number;
  /** Memory overhead as a fraction of compute energy; default 0 (what reproduces Table IV). */
  readonly memoryOverhead?: number;
  /** Multiply the blocks by input channels (a full k x k x C dot product per output); default false (Table IV). */
  readonly countInputChannels?: boolean;
}

/** Result of the MAC model for one layer. */
export interface MacLayerEstimate {
  readonly output: readonly [number, number, number];
  readonly macsPerBlock: number;
  readonly blocks: number;
  readonly energyJ: number;
  readonly powerW: number;
  readonly latencyS: number;
}

/** Energy, power at `fps` and latency of one convolution layer on the MAC hardware. */
export function macLayerEstimate(layer: MacConvLayer, hw: MacHardware, fps: number): MacLayerEstimate {
  const [h, w, c] = layer.input;
  const stride = layer.stride ?? 1;
  for (const [name, v] of [
    ['input height', h],
    ['input width', w],
    ['input channels', c],
    ['kernel', layer.kernel],
    ['kernels', layer.kernels],
    ['stride', stride],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new EdgesplitError('E_USAGE', `MAC model: ${name} must be a positive integer, got ${v}`);
  }
  if (!(hw.energyPerBlockJ >= 0))
    throw new EdgesplitError('E_USAGE', `MAC model: energyPerBlockJ must be >= 0, got ${hw.energyPerBlockJ}`);
  if (!(fps > 0)) throw new EdgesplitError('E_USAGE', `MAC model: fps must be > 0, got ${fps}`);
  const output: [number, number, number] = layer.outputHw
    ? [layer.outputHw[0], layer.outputHw[1], layer.kernels]
    : [Math.ceil(h / stride), Math.ceil(w / stride), layer.kernels];
  const outputElements = output[0] * output[1] * output[2];
  const k = layer.kernel;
  const perOutput = (hw.arrangement === 'k-parallel' ? k : 1) * (hw.countInputChannels ? c : 1);
  const blocks = outputElements * perOutput;
  const energyJ = blocks * hw.energyPerBlockJ * (1 + (hw.memoryOverhead ?? 0));
  const clockHz = hw.clockHz ?? 100e6;
  return {
    output,
    macsPerBlock: hw.arrangement === 'k-parallel' ? k : k * k,
    blocks,
    energyJ,
    powerW: energyJ * fps,
    latencyS: blocks / ((hw.blocksPerCycle ?? 1) * clockHz),
  };
}

/** Totals of several layers run one after another on the same hardware. */
export interface MacNetworkEstimate {
  readonly layers: readonly MacLayerEstimate[];
  readonly blocks: number;
  readonly energyJ: number;
  readonly powerW: number;
  readonly latencyS: number;
}

/** Sums {@link macLayerEstimate} over layers, each with its own hardware (e.g. its own energy per block). */
export function macNetworkEstimate(
  layers: readonly { layer: MacConvLayer; hw: MacHardware }[],
  fps: number,
): MacNetworkEstimate {
  const est = layers.map(({ layer, hw }) => macLayerEstimate(layer, hw, fps));
  const sum = (f: (e: MacLayerEstimate) => number) => est.reduce((s, e) => s + f(e), 0);
  return {
    layers: est,
    blocks: sum((e) => e.blocks),
    energyJ: sum((e) => e.energyJ),
    powerW: sum((e) => e.powerW),
    latencyS: sum((e) => e.latencyS),
  };
}
