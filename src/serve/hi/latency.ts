/**
 * Per-sample latency of each strategy, measured on this host with batch 1 (the device-side view of HI).
 * Offloads take whatever `remoteRun` takes: over HTTP through the emulated link when the caller wired a
 * link proxy in, nothing is added afterwards.
 */
import type { InferenceSession } from '../../backend/backend.js';
import { float32Tensor, type Tensor } from '../../core/tensor.js';
import type { Dataset } from '../../data/datasets.js';
import { argmax, softmax, top2, type DecisionModule } from '../../strategy/hi/decision/index.js';
import type { BatchRunner } from './evaluate.js';

/** The early-exit pieces and the thresholds to run them with. */
export interface EarlyExitPieces {
  readonly prefixes: readonly InferenceSession[];
  readonly heads: readonly InferenceSession[];
  readonly rest: InferenceSession;
  readonly decision?: DecisionModule;
  readonly exitThresholds?: readonly number[];
  readonly threshold?: number;
}

/** Inputs of `measureLatencies`. */
export interface LatencyInputs {
  readonly o: { readonly test: Dataset };
  readonly local: InferenceSession;
  readonly localRun: BatchRunner;
  readonly remoteRun: BatchRunner;
  readonly count: number;
  /** The remote's answer (argmax) per test sample from the batched pass, to check the per-sample offloads against. */
  readonly remoteArgmax?: readonly number[];
  readonly hi?: { readonly decision: DecisionModule; readonly threshold: number };
  readonly ee?: EarlyExitPieces;
}

/** Mean per-sample latencies in ms. */
export interface Latencies {
  readonly count: number;
  readonly localMs: number;
  /** HTTP round trip to the v2 server including remote inference (and the emulated link, if any). */
  readonly remoteMs: number;
  readonly hiMs: number;
  readonly eeMs?: number;
  /** Samples HI and EE-HI offloaded during this pass. */
  readonly hiOffloads: number;
  readonly eeOffloads: number;
  /** Per-sample remote answers that equal the batched pass's (when `remoteArgmax` was given). */
  readonly remoteAgree?: number;
}

function rowOf(out: Record<string, Tensor>): Float64Array {
  const t = Object.values(out)[0];
  return softmax(Array.from(t.data as Float32Array));
}

async function runEe(ee: EarlyExitPieces, x: Tensor, offload: () => Promise<void>): Promise<void> {
  let feat = x;
  for (let k = 0; k < ee.prefixes.length; k++) {
    const p = ee.prefixes[k];
    feat = Object.values(await p.run({ [p.inputNames[0]]: feat }))[0];
    const h = ee.heads[k];
    const conf = top2(rowOf(await h.run({ [h.inputNames[0]]: feat })))[0];
    if (conf >= (ee.exitThresholds?.[k] ?? Infinity)) return;
  }
  const row = rowOf(await ee.rest.run({ [ee.rest.inputNames[0]]: feat }));
  if (ee.decision && ee.decision.score(row) < (ee.threshold ?? -Infinity)) await offload();
}

/** Runs the first `count` test images one at a time through each strategy and averages the times. */
export async function measureLatencies(inp: LatencyInputs): Promise<Latencies> {
  const data = inp.o.test;
  const per = data.height * data.width;
  const sample = (i: number) =>
    float32Tensor([1, 1, data.height, data.width], data.images.slice(i * per, (i + 1) * per));
  const warm = sample(0);
  for (let i = 0; i < 3; i++) {
    await inp.localRun(warm);
    await inp.remoteRun(warm);
  }
  let local = 0;
  let remote = 0;
  let hi = 0;
  let ee = 0;
  let agree = 0;
  let hiOff = 0;
  let eeOff = 0;
  for (let i = 0; i < inp.count; i++) {
    const x = sample(i);
    let t0 = performance.now();
    rowOf(await inp.localRun(x));
    local += performance.now() - t0;
    t0 = performance.now();
    const answer = rowOf(await inp.remoteRun(x));
    remote += performance.now() - t0;
    if (inp.remoteArgmax && argmax(answer) === inp.remoteArgmax[i]) agree += 1;
    if (inp.hi) {
      t0 = performance.now();
      const r = rowOf(await inp.localRun(x));
      if (inp.hi.decision.score(r) < inp.hi.threshold) {
        hiOff += 1;
        await inp.remoteRun(x);
      }
      hi += performance.now() - t0;
    }
    if (inp.ee) {
      t0 = performance.now();
      await runEe(inp.ee, x, async () => {
        eeOff += 1;
        await inp.remoteRun(x);
      });
      ee += performance.now() - t0;
    }
  }
  const n = Math.max(1, inp.count);
  return {
    count: inp.count,
    localMs: local / n,
    remoteMs: remote / n,
    hiMs: hi / n,
    hiOffloads: hiOff,
    eeOffloads: eeOff,
    ...(inp.ee ? { eeMs: ee / n } : {}),
    ...(inp.remoteArgmax ? { remoteAgree: agree } : {}),
  };
}
