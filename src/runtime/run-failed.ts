/** The error a run ends with when it cannot deliver every sample. */
import { EdgesplitError, errorMessage, type ErrorCode } from '../core/errors.js';

/** A run that ended early: why, and how many samples were delivered (in order) before it did. */
export class RunFailedError extends EdgesplitError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly delivered: number,
    readonly total: number,
    options?: { cause?: unknown },
  ) {
    super(code, `${message} (${delivered}/${total} samples delivered)`, options);
    this.name = 'RunFailedError';
  }

  /** Wraps any error with the delivery count. */
  static from(err: unknown, delivered: number, total: number): RunFailedError {
    if (err instanceof RunFailedError) return err;
    const code = err instanceof EdgesplitError ? err.code : 'E_TRANSPORT';
    return new RunFailedError(code, errorMessage(err), delivered, total, { cause: err });
  }
}
