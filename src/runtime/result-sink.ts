/**
 * Where a run's results go as they are released: a streaming accuracy count and, optionally, a
 * JSON Lines file (one `{"seq", "label"?, "outputs": {name: {dtype, dims, data}}}` per sample).
 * Nothing per sample is kept in memory.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { shapeSize, type Tensor } from '../core/tensor.js';
import { argmaxRow } from '../data/metrics.js';
import type { SampleSource } from './coordinator.js';

/** Counts correct top-1 predictions of a 10-logit output, sample by sample. */
export class AccuracyCounter {
  correct = 0;
  counted = 0;
  /** False once a result was not 10 float32 logits or had no label: accuracy is then undefined. */
  applicable = true;

  constructor(
    private readonly samples: SampleSource,
    private readonly outputName: string | undefined,
  ) {
    if (!samples.label || outputName === undefined) this.applicable = false;
  }

  add(seq: number, outputs: Record<string, Tensor>): void {
    if (!this.applicable) return;
    const t = outputs[this.outputName!];
    const label = this.samples.label!(seq);
    if (t?.dtype !== 'float32' || shapeSize(t.dims) !== 10 || label === undefined) {
      this.applicable = false;
      return;
    }
    this.counted += 1;
    if (argmaxRow(t.data as Float32Array, 0, 10) === label) this.correct += 1;
  }

  /** Accuracy over the counted samples, or undefined when not applicable. */
  get accuracy(): number | undefined {
    return this.applicable && this.counted > 0 ? this.correct / this.counted : undefined;
  }
}

/** Appends one JSON line per result to a file (synchronously, so memory stays flat). */
export class JsonlResults {
  private readonly fd: number;
  /** Lines written. */
  written = 0;

  constructor(
    readonly file: string,
    private readonly samples?: SampleSource,
  ) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.fd = openSync(file, 'w');
    } catch (err) {
      throw new EdgesplitError('E_IO', `cannot write results file ${file}: ${errorMessage(err)}`);
    }
  }

  add(seq: number, outputs: Record<string, Tensor>): void {
    const label = this.samples?.label?.(seq);
    const out = Object.fromEntries(
      Object.entries(outputs).map(([name, t]) => [
        name,
        { dtype: t.dtype, dims: t.dims, data: Array.from(t.data as ArrayLike<number | bigint>, Number) },
      ]),
    );
    writeSync(
      this.fd,
      `${JSON.stringify({ seq, ...(label !== undefined ? { label } : {}), outputs: out })}\n`,
    );
    this.written += 1;
  }

  close(): void {
    closeSync(this.fd);
  }
}
