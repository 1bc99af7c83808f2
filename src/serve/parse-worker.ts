/**
 * Worker thread of {@link ParsePool}: parses and validates one large JSON inference request off the
 * server's event loop and returns its feeds as typed arrays (or the protocol error to answer with).
 */
import { parentPort } from 'node:worker_threads';
import type { Tensor } from '../core/tensor.js';
import { answerError } from './protocol-error.js';
import { parseInferRequest, type ModelSignature, type ServeLimits } from './protocol.js';

/** A job sent to the worker. */
export interface ParseJob {
  readonly id: number;
  readonly json: Uint8Array;
  readonly binary: Uint8Array;
  readonly signature: ModelSignature;
  readonly limits: ServeLimits;
}

parentPort?.on('message', (job: ParseJob) => {
  try {
    const parsed = parseInferRequest(job.json, job.binary, job.signature, job.limits);
    const transfer = Object.values(parsed.feeds).map((t: Tensor) => t.data.buffer as ArrayBuffer);
    parentPort!.postMessage({ id: job.id, parsed }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: answerError(err) });
  }
});
