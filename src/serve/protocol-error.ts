import { EdgesplitError, errorMessage } from '../core/errors.js';

/** A request the protocol layer rejects; `status` is the HTTP status to answer with (4xx). */
export class ProtocolError extends EdgesplitError {
  /** HTTP status code. */
  readonly status: number;
  constructor(status: number, message: string) {
    super('E_PROTOCOL', message);
    this.status = status;
    this.name = 'ProtocolError';
  }
}

/** How any error thrown while serving a request is answered, whatever the transport. */
export interface ErrorAnswer {
  /** HTTP status; the gRPC transport maps it to a gRPC status code. */
  readonly status: number;
  readonly message: string;
}

/** The one error mapping of both transports: protocol errors keep their status, backend errors are 400. */
export function answerError(err: unknown): ErrorAnswer {
  if (err instanceof ProtocolError) return { status: err.status, message: err.message };
  if (err instanceof EdgesplitError && err.code === 'E_BACKEND')
    return { status: 400, message: `inference failed: ${err.message}` };
  return { status: 500, message: `internal error: ${errorMessage(err)}` };
}
