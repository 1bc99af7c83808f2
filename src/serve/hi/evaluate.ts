/**
 * Batched evaluation for the HI runtime: run a local session or a remote v2 model over a dataset and
 * turn the logits into decision-search samples. I/O lives in the caller-provided run functions.
 */
import { EdgesplitError } from '../../core/errors.js';
import { float32Tensor, type Tensor } from '../../core/tensor.js';
import type { Dataset } from '../../data/datasets.js';
import { argmax, softmax, top2, type DecisionModule } from '../../strategy/hi/decision/index.js';
import type { HiSearchSample } from '../../strategy/hi/search.js';

/** Runs a model on one [B,1,H,W] batch and returns its outputs by name. */
export type BatchRunner = (input: Tensor) => Promise<Record<string, Tensor>>;

/** Softmax rows of every sample, per output name. */
export type OutputRows = Record<string, Float64Array[]>;

/** Runs `run` over the dataset in batches and collects softmax rows of the named outputs. */
export async function collectSoftmax(
  run: BatchRunner,
  data: Dataset,
  outputs: readonly string[],
  batchSize: number,
  onBatch?: (done: number) => void,
): Promise<OutputRows> {
  const per = data.height * data.width;
  const rows: OutputRows = Object.fromEntries(outputs.map((o) => [o, [] as Float64Array[]]));
  for (let start = 0; start < data.count; start += batchSize) {
    const size = Math.min(batchSize, data.count - start);
    const input = float32Tensor(
      [size, 1, data.height, data.width],
      data.images.subarray(start * per, (start + size) * per),
    );
    const out = await run(input);
    for (const name of outputs) {
      const t = out[name];
      if (!t || t.dims.length !== 2 || t.dims[0] !== size) {
        throw new EdgesplitError(
          'E_DATA',
          `output '${name}' must be [${size}, classes] logits, got ${t ? `[${t.dims.join(',')}]` : 'nothing'}`,
        );
      }
      const c = t.dims[1];
      for (let i = 0; i < size; i++)
        rows[name].push(softmax(Array.from(t.data.subarray(i * c, (i + 1) * c) as Float32Array)));
    }
    onBatch?.(start + size);
  }
  return rows;
}

/** Whether each row's argmax equals the label. */
export function correctness(rows: readonly Float64Array[], labels: Uint8Array): boolean[] {
  return rows.map((r, i) => argmax(r) === labels[i]);
}

/** Accuracy of softmax rows against labels. */
export function accuracyOf(rows: readonly Float64Array[], labels: Uint8Array): number {
  const c = correctness(rows, labels);
  return c.filter(Boolean).length / c.length;
}

/**
 * Search samples: early-exit confidences/correctness (rows of each early exit, may be empty), the
 * decision score on the final local rows, and the final local and remote correctness.
 */
export function buildSamples(
  earlyRows: readonly (readonly Float64Array[])[],
  finalRows: readonly Float64Array[],
  remoteRows: readonly Float64Array[],
  labels: Uint8Array,
  decision: DecisionModule,
): HiSearchSample[] {
  const earlyCorrect = earlyRows.map((rows) => correctness(rows, labels));
  const local = correctness(finalRows, labels);
  const remote = correctness(remoteRows, labels);
  return finalRows.map((row, i) => ({
    exitConfidence: earlyRows.map((rows) => top2(rows[i])[0]),
    exitCorrect: earlyCorrect.map((c) => c[i]),
    score: decision.score(row),
    localCorrect: local[i],
    remoteCorrect: remote[i],
  }));
}
