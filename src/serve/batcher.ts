import { shapeSize, type Tensor } from '../core/tensor.js';
import { allocArray } from './datatypes.js';

/** Runs a model on a set of named inputs and returns every output. */
export type RunFn = (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

/** Dynamic batching settings. */
export interface BatcherOptions {
  /** Most samples (dimension 0) merged into one run. */
  readonly maxBatch: number;
  /** How long the first queued request waits for company before its batch runs, in ms. */
  readonly maxDelayMs: number;
}

/** Counters of a batcher, for tests and logs. */
export interface BatcherStats {
  /** Requests answered (or failed). */
  requests: number;
  /** Samples run (sum of batch sizes). */
  samples: number;
  /** Model runs (one per merged batch). */
  runs: number;
  /** Largest batch run so far. */
  maxRunBatch: number;
}

interface Pending {
  readonly feeds: Record<string, Tensor>;
  readonly batch: number;
  readonly key: string;
  readonly resolve: (out: Record<string, Tensor>) => void;
  readonly reject: (err: unknown) => void;
}

/** Key of the non-batch part of the inputs: only requests with equal keys can be stacked. */
function stackKey(feeds: Record<string, Tensor>): string {
  return Object.keys(feeds)
    .sort()
    .map((k) => `${k}:${feeds[k].dtype}:${feeds[k].dims.slice(1).join('x')}`)
    .join('|');
}

/** Concatenates tensors along dimension 0 (they share dtype and trailing dims). */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  const total = parts.reduce((s, t) => s + t.dims[0], 0);
  const data = allocArray(
    first.dtype,
    parts.reduce((s, t) => s + t.data.length, 0),
  );
  let at = 0;
  for (const t of parts) {
    (data as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(
      t.data as ArrayLike<unknown>,
      at,
    );
    at += t.data.length;
  }
  return { dtype: first.dtype, dims: [total, ...first.dims.slice(1)], data };
}

/** Copies rows [start, start + count) of dimension 0 out of a tensor. */
export function sliceBatch(t: Tensor, start: number, count: number): Tensor {
  const row = shapeSize(t.dims.slice(1));
  return {
    dtype: t.dtype,
    dims: [count, ...t.dims.slice(1)],
    data: t.data.slice(start * row, (start + count) * row),
  };
}

/**
 * Merges concurrent requests for one model into single runs: a batch runs when it reaches
 * `maxBatch` samples or when its first request has waited `maxDelayMs`; one run is in flight at a
 * time, and requests arriving meanwhile form the next batch. Outputs are split back by rows.
 */
export class DynamicBatcher {
  /** Live counters. */
  readonly stats: BatcherStats = { requests: 0, samples: 0, runs: 0, maxRunBatch: 0 };
  private readonly queue: Pending[] = [];
  private queuedSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly run: RunFn,
    private readonly options: BatcherOptions,
  ) {}

  /** Queues one request whose inputs all have `batch` rows in dimension 0. */
  infer(feeds: Record<string, Tensor>, batch: number): Promise<Record<string, Tensor>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ feeds, batch, key: stackKey(feeds), resolve, reject });
      this.queuedSamples += batch;
      this.schedule();
    });
  }

  /** Requests waiting to run. */
  get queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queuedSamples >= this.options.maxBatch || this.options.maxDelayMs <= 0) {
      this.flushSoon();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
    }
  }

  private flushSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    setImmediate(() => this.flush());
  }

  private takeBatch(): Pending[] {
    const key = this.queue[0].key;
    const taken: Pending[] = [];
    let samples = 0;
    for (let i = 0; i < this.queue.length;) {
      const p = this.queue[i];
      if (p.key === key && (taken.length === 0 || samples + p.batch <= this.options.maxBatch)) {
        taken.push(p);
        samples += p.batch;
        this.queue.splice(i, 1);
        this.queuedSamples -= p.batch;
      } else i++;
    }
    return taken;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.running = true;
    void this.execute(batch).finally(() => {
      this.running = false;
      // requests that arrived during the run have already waited at least that long
      if (this.queue.length > 0) this.flushSoon();
    });
  }

  private async execute(batch: Pending[]): Promise<void> {
    const samples = batch.reduce((s, p) => s + p.batch, 0);
    this.stats.runs++;
    this.stats.samples += samples;
    this.stats.requests += batch.length;
    this.stats.maxRunBatch = Math.max(this.stats.maxRunBatch, samples);
    try {
      if (batch.length === 1) {
        batch[0].resolve(await this.run(batch[0].feeds));
        return;
      }
      const feeds: Record<string, Tensor> = {};
      for (const name of Object.keys(batch[0].feeds))
        feeds[name] = concatBatch(batch.map((p) => p.feeds[name]));
      const out = await this.run(feeds);
      let row = 0;
      const parts = batch.map((p) => {
        const mine: Record<string, Tensor> = {};
        for (const [name, t] of Object.entries(out)) {
          if (t.dims[0] !== samples)
            throw new Error(`output '${name}' has ${t.dims[0]} rows for a batch of ${samples}`);
          mine[name] = sliceBatch(t, row, p.batch);
        }
        row += p.batch;
        return mine;
      });
      batch.forEach((p, i) => p.resolve(parts[i]));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
