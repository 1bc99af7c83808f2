/**
 * Shared contract every InferenceBackend must pass: onnxruntime-node and the runtime tests' fake. It
 * checks what the runtime relies on: all outputs or a requested subset, results the caller owns (a
 * node sends a result's bytes without copying them, so a later run must never write into them), and
 * a micro-batch giving each sample its single-sample outputs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceBackend, InferenceSession } from '../../src/backend/backend.js';
import type { Tensor } from '../../src/core/tensor.js';

/** What one implementation brings to the contract. */
export interface BackendFixture {
  readonly backend: InferenceBackend;
  /** A model with a dynamic batch dimension, one input and at least two outputs. */
  readonly model: string | Uint8Array;
  /** The model's feeds for `batch` samples; other seeds give other values. */
  readonly feeds: (batch: number, seed: number) => Record<string, Tensor>;
}

function values(t: Tensor): number[] {
  return Array.from(t.data as Float32Array);
}

/** One sample's rows of a batched tensor. */
function row(t: Tensor, i: number): number[] {
  const per = t.data.length / t.dims[0];
  return values(t).slice(i * per, (i + 1) * per);
}

function expectClose(got: readonly number[], want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) =>
    expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]))),
  );
}

/** Runs the contract against one backend. */
export function backendContract(name: string, fixture: () => BackendFixture): void {
  describe(`${name}: InferenceBackend contract`, () => {
    const opened: InferenceSession[] = [];
    async function load(): Promise<{ s: InferenceSession; f: BackendFixture }> {
      const f = fixture();
      const s = await f.backend.load(f.model);
      opened.push(s);
      return { s, f };
    }
    afterAll(async () => {
      for (const s of opened.splice(0)) await s.release();
    });

    it('returns every output by default and exactly a requested subset, with the same values', async () => {
      const { s, f } = await load();
      expect(s.outputNames.length).toBeGreaterThanOrEqual(2);
      const feeds = f.feeds(3, 1);
      const all = await s.run(feeds);
      expect(Object.keys(all).sort()).toEqual([...s.outputNames].sort());
      const last = s.outputNames[s.outputNames.length - 1];
      const one = await s.run(feeds, [last]);
      expect(Object.keys(one)).toEqual([last]);
      expect(values(one[last])).toEqual(values(all[last]));
      expect([...one[last].dims]).toEqual([...all[last].dims]);
    });

    it('hands back results the caller owns: later runs never write into a held one', async () => {
      const { s, f } = await load();
      const feeds = f.feeds(4, 2);
      const feedBuffers = new Set(Object.values(feeds).map((t) => t.data.buffer));
      const held = await s.run(feeds);
      const want = Object.fromEntries(Object.entries(held).map(([n, t]) => [n, values(t)]));
      const later: Record<string, Tensor>[] = [];
      // same shape and other values (what a reused output buffer would be overwritten with), then
      // another batch size (the last, partial micro-batch of a run)
      for (const [batch, seed] of [
        [4, 3],
        [4, 4],
        [1, 5],
        [4, 6],
      ] as const)
        later.push(await s.run(f.feeds(batch, seed)));
      for (const [n, t] of Object.entries(held)) {
        expect(values(t), `held output '${n}' changed by a later run`).toEqual(want[n]);
        expect(feedBuffers.has(t.data.buffer), `output '${n}' shares its feeds' buffer`).toBe(false);
        for (const r of later)
          expect(r[n].data.buffer, `output '${n}' reused by a later run`).not.toBe(t.data.buffer);
      }
      expect(values(later[0][s.outputNames[0]])).not.toEqual(want[s.outputNames[0]]);
    });

    it('gives each sample of a batch its single-sample outputs (within 1e-6), in order', async () => {
      const { s, f } = await load();
      const batch = 5;
      const feeds = f.feeds(batch, 7);
      const whole = await s.run(feeds);
      for (let i = 0; i < batch; i++) {
        const single: Record<string, Tensor> = {};
        for (const [n, t] of Object.entries(feeds)) {
          const per = t.data.length / t.dims[0];
          single[n] = {
            dtype: t.dtype,
            dims: [1, ...t.dims.slice(1)],
            data: t.data.slice(i * per, (i + 1) * per),
          };
        }
        const one = await s.run(single);
        for (const n of s.outputNames) {
          expect(one[n].dims[0]).toBe(1);
          expect(whole[n].dims[0]).toBe(batch);
          expectClose(values(one[n]), row(whole[n], i));
        }
      }
    });
  });
}
