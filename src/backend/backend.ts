import type { Tensor } from '../core/tensor.js';

/** One loaded model, ready to run. */
export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model on named inputs; returns the requested outputs (all when omitted). The returned
   * tensors belong to the caller: a later run never writes into them, so a node may send their bytes
   * without copying them (test/backend/backend.contract.ts checks every implementation).
   */
  run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor>>;
  /** Frees native resources. */
  release(): Promise<void>;
}

/** Options for loading a model. */
export interface LoadOptions {
  /** Threads used inside one operator; default 1 so several sessions share the machine fairly. */
  intraOpThreads?: number;
}

/** Something that turns ONNX bytes or a path into a runnable session. */
export interface InferenceBackend {
  readonly name: string;
  load(model: string | Uint8Array, options?: LoadOptions): Promise<InferenceSession>;
}
