import type { DType } from '../core/tensor.js';

/** A dimension: a number, or a symbolic name (e.g. a dynamic batch `N`). */
export type Dim = number | string;

/** Value of an ONNX node attribute, decoded to plain JS. */
export type AttrValue = number | string | number[] | string[] | Float32Array | AttrTensor | null;

/** A tensor-valued attribute (e.g. Constant's `value`). */
export interface AttrTensor {
  readonly kind: 'tensor';
  readonly dtype: DType | string;
  readonly dims: number[];
  /** Decoded numeric contents when small and available. */
  readonly values?: number[];
}

/** One operator of the graph. `index` is its position in topological order. */
export interface GraphNode {
  readonly index: number;
  /** Position of the node in the model file's node list (the file need not be topologically sorted). */
  readonly protoIndex?: number;
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttrValue>>;
}

/** Type and shape of a named tensor. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType | string;
  readonly shape: readonly Dim[];
}

/** Metadata of a weight tensor (its bytes are not held here). */
export interface InitializerInfo {
  readonly name: string;
  readonly dtype: DType | string;
  readonly dims: readonly number[];
  readonly elements: number;
  /** True when the bytes live in an external data file. */
  readonly external: boolean;
  /** Decoded values when the tensor is small (shapes, axes), for constant folding. */
  readonly values?: readonly number[];
}

/** Graph IR: nodes in topological order with shapes inferred for every tensor. */
export interface Graph {
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly initializers: ReadonlyMap<string, InitializerInfo>;
  /** Shapes of every tensor (inputs, intermediates, outputs, initializers). */
  readonly values: ReadonlyMap<string, ValueInfo>;
  /** Index of the node producing each non-input tensor. */
  readonly producer: ReadonlyMap<string, number>;
  /** Indices of the nodes consuming each tensor. */
  readonly consumers: ReadonlyMap<string, readonly number[]>;
  /** Values known when the graph is built (small initializers, constants, shape arithmetic; may hold symbols). */
  readonly constants: ReadonlyMap<string, readonly Dim[]>;
  /**
   * Tensors that do not depend on any graph input (initializers, Constant outputs and everything
   * computed only from them). They are weights-like: never live across a cut; a stage that needs
   * one recomputes or embeds it.
   */
  readonly staticTensors: ReadonlySet<string>;
  /** Opset of the default ONNX domain. */
  readonly opset: number;
}
