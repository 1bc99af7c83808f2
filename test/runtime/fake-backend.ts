/**
 * A fake InferenceBackend for runtime unit tests. A "model" is JSON: for each output, the inputs it
 * sums and a constant added, plus an optional per-sample delay (ms, from the first element) so
 * replicas finish out of order.
 */
import type { InferenceBackend, InferenceSession } from '../../src/backend/backend.js';
import type { Tensor } from '../../src/core/tensor.js';

/** The fake model's description. */
export interface FakeModel {
  readonly inputs: readonly string[];
  readonly outputs: Readonly<Record<string, { readonly sum: readonly string[]; readonly add: number }>>;
  /** Delay = (first element of the first input mod delayMod) ms. */
  readonly delayMod?: number;
}

/** Encodes a fake model as the bytes a stage frame carries. */
export function fakeModelBytes(m: FakeModel): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

/** The fake backend; `runs` counts session runs across sessions. */
export function fakeBackend(): InferenceBackend & { runs: number } {
  const b = {
    name: 'fake',
    runs: 0,
    async load(model: string | Uint8Array): Promise<InferenceSession> {
      const m = JSON.parse(typeof model === 'string' ? model : new TextDecoder().decode(model)) as FakeModel;
      return {
        inputNames: m.inputs,
        outputNames: Object.keys(m.outputs),
        async run(feeds: Readonly<Record<string, Tensor>>, outputNames?: readonly string[]) {
          b.runs += 1;
          const first = feeds[m.inputs[0]].data as Float32Array;
          if (m.delayMod)
            await new Promise((r) => setTimeout(r, Math.abs(Math.round(first[0])) % m.delayMod!));
          const out: Record<string, Tensor> = {};
          for (const [name, spec] of Object.entries(m.outputs)) {
            if (outputNames && !outputNames.includes(name)) continue;
            const data = new Float32Array(first.length);
            for (const i of spec.sum) (feeds[i].data as Float32Array).forEach((v, j) => (data[j] += v));
            for (let j = 0; j < data.length; j++) data[j] += spec.add;
            out[name] = { dtype: 'float32', dims: [...feeds[m.inputs[0]].dims], data };
          }
          return out;
        },
        async release() {},
      };
    },
  };
  return b;
}
