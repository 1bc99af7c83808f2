/**
 * Typed errors. Library code throws these; only `src/cli/` turns them into exit codes and one-line messages.
 */

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'E_IO'
  | 'E_ONNX_DECODE'
  | 'E_ONNX_INVALID'
  | 'E_SHAPE'
  | 'E_UNSUPPORTED_OP'
  | 'E_GRAPH'
  | 'E_CATALOG'
  | 'E_DATA'
  | 'E_INFEASIBLE'
  | 'E_BACKEND'
  | 'E_TRANSPORT'
  | 'E_AUTH'
  | 'E_PROTOCOL'
  | 'E_USAGE'
  | 'E_PLAN'
  | 'E_PLAN_SEARCH';

/** Base class of every error edgesplit throws on purpose. */
export class EdgesplitError extends Error {
  /** Machine-readable code. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'EdgesplitError';
  }
}

/** Bad or unreadable ONNX bytes. */
export class OnnxDecodeError extends EdgesplitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ONNX_DECODE', message, options);
    this.name = 'OnnxDecodeError';
  }
}

/** Shape inference could not proceed. */
export class ShapeError extends EdgesplitError {
  constructor(message: string) {
    super('E_SHAPE', message);
    this.name = 'ShapeError';
  }
}

/** An operator the profiler or shape inference does not know. */
export class UnsupportedOpError extends EdgesplitError {
  constructor(message: string) {
    super('E_UNSUPPORTED_OP', message);
    this.name = 'UnsupportedOpError';
  }
}

/** A request that no plan can satisfy; the message states the shortfall. */
export class InfeasibleError extends EdgesplitError {
  constructor(message: string) {
    super('E_INFEASIBLE', message);
    this.name = 'InfeasibleError';
  }
}

/** Wrong CLI usage or option values. */
export class UsageError extends EdgesplitError {
  constructor(message: string) {
    super('E_USAGE', message);
    this.name = 'UsageError';
  }
}

/** Returns the message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
