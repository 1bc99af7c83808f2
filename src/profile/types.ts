import type { ConvGeometry } from './conv-geometry.js';

/** Costs of one node. All counts treat symbolic (batch) dims as 1. */
export interface NodeProfile {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  /** Shape of the first output present (symbolic dims as 1). */
  readonly outputShape: readonly number[];
  /** Elements of all outputs. */
  readonly outputElements: number;
  /** DistNN data volume of the outputs in bytes at the activation bit width. */
  readonly outputBytes: number;
  /** Multiply-accumulates (Conv, ConvTranspose, Gemm, MatMul, their quantised forms, LSTM/GRU/RNN). */
  readonly macs: number;
  /** Non-MAC arithmetic operations (element-wise, pooling, normalisation). */
  readonly ops: number;
  /** Parameters: elements of the initializers this node reads (each initializer counted once, at its first reader). */
  readonly params: number;
  /** Parameter bytes at the weight bit width. */
  readonly weightBytes: number;
  /** Square-kernel 2-D convolutions: the geometry the hardware MAC model needs. */
  readonly conv?: ConvGeometry;
}

/** A tensor crossing a cut. */
export interface LiveTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly elements: number;
  readonly bytes: number;
}

/**
 * Cut `k` (0..n) separates nodes [0, k) from [k, n) in topological order.
 * Cut 0 carries the graph inputs, cut n the graph outputs.
 */
export interface CutProfile {
  readonly index: number;
  /** Name of the last node before the cut (`''` for cut 0). */
  readonly after: string;
  readonly live: readonly LiveTensor[];
  /** Total bytes of the live tensors at the activation bit width. */
  readonly bytes: number;
  /** MACs of nodes [0, k). */
  readonly cumulativeMacs: number;
  /** Parameters of nodes [0, k). */
  readonly cumulativeParams: number;
  /** Ops of nodes [0, k). */
  readonly cumulativeOps: number;
}

/** Bit widths used to turn element counts into bytes. */
export interface ProfileOptions {
  /** Activation (feature map) bit width; default 32. */
  readonly activationBits?: number;
  /** Weight bit width of float weights; default 32 (integer weights keep their own width). */
  readonly weightBits?: number;
}

/** Nodes of one op edgesplit has no cost for ("cost unknown"): counted as 0 MACs and 0 ops. */
export interface UnknownOp {
  /** Op type, prefixed by its domain when not the default one (`com.acme.Foo`). */
  readonly op: string;
  readonly count: number;
  /** Node names, in graph order. */
  readonly nodes: readonly string[];
}

/** Whole-model profile. */
export interface ModelProfile {
  readonly model: string;
  readonly activationBits: number;
  readonly weightBits: number;
  readonly nodes: readonly NodeProfile[];
  /** n + 1 cuts. */
  readonly cuts: readonly CutProfile[];
  /** Ops whose cost is unknown; when non-empty, the totals are lower bounds. */
  readonly unknownOps: readonly UnknownOp[];
  readonly totals: {
    readonly macs: number;
    readonly ops: number;
    readonly params: number;
    readonly weightBytes: number;
  };
}
