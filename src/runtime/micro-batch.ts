/**
 * Micro-batching (pure): k consecutive samples travel as one frame per tensor, stacked along the
 * first (batch) dimension, and run as one onnxruntime call. A batched frame's `seq` is its first
 * sample's; its samples are seq, seq + 1, ..., seq + dims[0] - 1. Exactly-once, in-order release and
 * failover stay per sample: the coordinator unstacks results into per-sample outputs before its
 * ledger sees them, and re-sends incomplete samples as contiguous runs.
 */
import { EdgesplitError } from '../core/errors.js';
import type { Tensor, TensorArray } from '../core/tensor.js';
import { DEFAULT_WINDOW } from '../transport/transport.js';
import { wireElementBytes } from './frame-size.js';
import type { RuntimePlan, RuntimeTensor } from './routes.js';
import type { NodeRecord } from './summary.js';

/** Largest `--batch`. */
export const MAX_BATCH = 256;

/**
 * One hop's fixed cost per frame (socket writes, AEAD record, credit frame, frame handling), as the
 * tensor bytes whose per-byte cost equals it. Source: bench/pipeline.ts on this repo's 2-core
 * machine, per frame per hop F = (overhead at batch 1 - overhead at batch k) x k / (k - 1) and per
 * byte the rest of the batch-k overhead over the mean bytes per hop: 90 KiB (`local`, F 543 us,
 * 6.1 us/KiB) and 44 KiB (`remote`, F 380 us, 8.6 us/KiB), docs/runtime-performance.md; re-measure when the
 * transport changes (the bench prints it).
 */
export const FRAME_COST_BYTES = 64 * 1024;
/** Share of the runtime's per-sample cost that per-frame costs may take at the automatic batch. */
export const AUTO_FRAME_SHARE = 0.1;
/** The automatic batch when a tensor's per-sample size is unknown (a symbolic dim beyond the first). */
export const AUTO_BATCH_FALLBACK = 32;
/** A connection's credit window should hold at least this many frames of the automatic batch. */
const FRAMES_PER_WINDOW = 4;

/**
 * Bytes per sample on each hop of a chain (coordinator -> entry, each stage -> next), at each
 * tensor's wire encoding; undefined when a tensor has a symbolic dim beyond the first.
 */
export function hopBytesPerSample(plan: RuntimePlan): number[] | undefined {
  const bytes = (ts: readonly RuntimeTensor[]): number | undefined => {
    let sum = 0;
    for (const t of ts) {
      const rest = t.shape.slice(1);
      if (!rest.every((d): d is number => typeof d === 'number')) return undefined;
      sum += rest.reduce((a, b) => a * b, 1) * wireElementBytes(t.dtype, t.wire);
    }
    return sum;
  };
  const hops = [bytes(plan.graphInputs), ...plan.stages.map((s) => bytes(s.outputs))];
  return hops.every((h): h is number => h !== undefined) ? hops : undefined;
}

/**
 * The automatic batch (`--batch auto`) of a throughput run, from what the plan says a sample moves.
 * A frame costs a fixed F per hop plus a per-byte cost for its B bytes per sample, so at batch k
 * the fixed share of the per-sample cost is (F/k) / (F/k + B) with F in bytes ({@link
 * FRAME_COST_BYTES}); keeping it at most s ({@link AUTO_FRAME_SHARE}) needs k >= (1 - s)/s x F / B,
 * with B the mean bytes per sample per hop. Capped so that a connection's credit window
 * (`DEFAULT_WINDOW.bytes`) holds {@link FRAMES_PER_WINDOW} frames of the largest hop, by
 * {@link MAX_BATCH}, and so that every node still sees at least 4 batches (samples / (4 x nodes)).
 * Tiny tensors get large batches, large activations small ones.
 */
export function autoBatch(plan: RuntimePlan, samples: number): number {
  const nodes = plan.stages.reduce((n, s) => n + s.devices.length, 0);
  const hops = hopBytesPerSample(plan);
  let k = AUTO_BATCH_FALLBACK;
  if (hops) {
    const mean = Math.max(1, hops.reduce((a, b) => a + b, 0) / hops.length);
    const largest = Math.max(1, ...hops);
    const wanted = Math.ceil(((1 - AUTO_FRAME_SHARE) / AUTO_FRAME_SHARE) * (FRAME_COST_BYTES / mean));
    k = Math.min(wanted, Math.floor(DEFAULT_WINDOW.bytes / FRAMES_PER_WINDOW / largest));
  }
  return Math.max(1, Math.min(k, MAX_BATCH, Math.floor(samples / (4 * nodes))));
}

/** True when every tensor the runtime moves has a symbolic first (batch) dimension. */
export function batchesAlongFirstDim(plan: RuntimePlan): boolean {
  const tensors = [...plan.graphInputs, ...plan.stages.flatMap((s) => [...s.inputs, ...s.outputs])];
  return tensors.length > 0 && tensors.every((t) => typeof t.shape[0] === 'string');
}

/**
 * The run's batch size. `requested` undefined means automatic: {@link autoBatch} when every stage
 * model has a dynamic batch dimension and the run is not a device twin (paced devices infer one
 * sample at a time, as the deployment does); else 1. An explicit k > 1 needs a dynamic batch
 * dimension and no pacing.
 */
export function chooseBatch(
  plan: RuntimePlan,
  requested: number | undefined,
  paced: boolean,
  samples: number,
): number {
  const batchable = batchesAlongFirstDim(plan);
  if (requested === undefined) return batchable && !paced ? autoBatch(plan, samples) : 1;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_BATCH)
    throw new EdgesplitError('E_USAGE', `--batch must be an integer in [1, ${MAX_BATCH}], got ${requested}`);
  if (requested === 1) return 1;
  if (paced)
    throw new EdgesplitError(
      'E_USAGE',
      `--batch ${requested} with --emulate devices: paced devices infer one sample at a time; use --emulate links or none`,
    );
  if (!batchable)
    throw new EdgesplitError(
      'E_USAGE',
      `--batch ${requested}: plan ${plan.dir} has a tensor without a symbolic first (batch) dimension`,
    );
  return requested;
}

/** Stacks one tensor of several samples (each with first dim 1) along the first dim. */
export function stackTensors(name: string, parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  if (parts.length === 1) return first;
  const per = first.data.length;
  for (const p of parts)
    if (p.dtype !== first.dtype || p.data.length !== per || p.dims[0] !== 1)
      throw new EdgesplitError(
        'E_DATA',
        `cannot micro-batch input '${name}': samples differ in dtype or size, or have a first dim other than 1`,
      );
  const Ctor = first.data.constructor as new (n: number) => TensorArray;
  const data = new Ctor(per * parts.length);
  parts.forEach((p, i) => (data as { set(a: ArrayLike<unknown>, o: number): void }).set(p.data, i * per));
  return { dtype: first.dtype, dims: [parts.length, ...first.dims.slice(1)], data };
}

/** Splits a batched tensor into its samples' tensors (views on its data, no copy). */
export function unstackTensor(t: Tensor): Tensor[] {
  const count = t.dims[0] ?? 1;
  const per = count > 0 ? t.data.length / count : 0;
  const dims = [1, ...t.dims.slice(1)];
  return Array.from({ length: count }, (_, i) => ({
    dtype: t.dtype,
    dims,
    data: t.data.subarray(i * per, (i + 1) * per) as TensorArray,
  }));
}

/** Groups ascending seqs into runs of consecutive numbers of at most `k`. */
export function contiguousRuns(seqs: readonly number[], k: number): number[][] {
  const runs: number[][] = [];
  for (const s of seqs) {
    const last = runs[runs.length - 1];
    if (last && last.length < k && last[last.length - 1] === s - 1) last.push(s);
    else runs.push([s]);
  }
  return runs;
}

/** A node's record of one sample or of a micro-batch of `count` samples (seq, seq + 1, ...). */
export interface BatchNodeRecord extends NodeRecord {
  readonly count: number;
}

/**
 * One record per sample of a batch record: each gets its 1/count share of the batch's inference
 * and send intervals (so per-sample compute is the amortised one) and of the bytes sent. The run's
 * statistics fold a batch record as these samples without making them (`RunStats.node`); this is
 * for the kept records (a trace).
 */
export function perSampleRecords(r: BatchNodeRecord): NodeRecord[] {
  const { count, ...one } = r;
  if (count <= 1) return [one];
  const di = (r.inferEnd - r.inferStart) / count;
  const ds = (r.sendEnd - r.sendStart) / count;
  return Array.from({ length: count }, (_, i): NodeRecord => ({
    ...one,
    seq: r.seq + i,
    inferStart: r.inferStart + i * di,
    inferEnd: r.inferStart + (i + 1) * di,
    sendStart: r.sendStart + i * ds,
    sendEnd: r.sendStart + (i + 1) * ds,
    bytes: r.bytes / count,
  }));
}
