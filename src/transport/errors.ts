/** Typed errors of the transport layer (codes from `src/core/errors.ts`). */
import { EdgesplitError } from '../core/errors.js';

/** Why a frame was rejected; stable strings carried in error frames and logs. */
export type FrameErrorReason =
  | 'bad-magic'
  | 'bad-version'
  | 'too-large'
  | 'too-small'
  | 'bad-checksum'
  | 'bad-record'
  | 'malformed'
  | 'limit';

/**
 * A frame could not be decoded. `fatal` is true when the byte stream cannot be resynchronised
 * (the length prefix is not trustworthy) and the connection must close.
 */
export class FrameError extends EdgesplitError {
  /** Machine-readable reason. */
  readonly reason: FrameErrorReason;
  /** True when the stream cannot continue after this error. */
  readonly fatal: boolean;
  constructor(reason: FrameErrorReason, message: string, fatal = false) {
    super('E_PROTOCOL', message);
    this.name = 'FrameError';
    this.reason = reason;
    this.fatal = fatal;
  }
}

/** A connection-level failure: closed, refused, timed out, or the peer broke the protocol. */
export class TransportError extends EdgesplitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_TRANSPORT', message, options);
    this.name = 'TransportError';
  }
}

/** Authentication failed: wrong or missing key on either side. */
export class AuthError extends EdgesplitError {
  constructor(message: string) {
    super('E_AUTH', message);
    this.name = 'AuthError';
  }
}
