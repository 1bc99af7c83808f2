/**
 * Calibration: run the float model on held-out images with the feature maps to quantise exposed as
 * extra outputs, and record each one's range, either min/max or a two-sided percentile (from a
 * 4096-bin histogram over the min/max range, a second pass). The backend is passed in.
 */
import type { InferenceBackend } from '../../backend/backend.js';
import { EdgesplitError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { onnx, type ModelProto, type OnnxTypes } from '../../onnx/proto.js';
import type { Range } from './fake-quant.js';

/** Calibration methods. */
export const CALIBRATION_METHODS = ['minmax', 'percentile'] as const;
/** One of {@link CALIBRATION_METHODS}. */
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/** Options of {@link calibrateRanges}. */
export interface CalibrateOptions {
  readonly backend: InferenceBackend;
  /** Batches of the model's (single) input. */
  readonly batches: readonly Tensor[];
  readonly method?: CalibrationMethod;
  /** Two-sided percentile for `percentile` (default 99.99: the 0.01% and 99.99% points). */
  readonly percentile?: number;
}

const BINS = 4096;

function withOutputs(model: ModelProto, tensors: readonly string[]): Uint8Array {
  const m = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const g = m.graph as OnnxTypes.GraphProto;
  const have = new Set(g.output.map((o) => o.name));
  for (const t of tensors)
    if (!have.has(t))
      g.output.push(onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: 1 } } }));
  return onnx.ModelProto.encode(m).finish();
}

/** Ranges of `tensors` of `model` over the calibration batches. */
export async function calibrateRanges(
  model: ModelProto,
  tensors: readonly string[],
  opts: CalibrateOptions,
): Promise<Map<string, Range>> {
  const ranges = new Map<string, Range>();
  if (tensors.length === 0) return ranges;
  if (opts.batches.length === 0) throw new EdgesplitError('E_USAGE', 'calibration needs at least one image');
  const g = model.graph as OnnxTypes.GraphProto;
  const inits = new Set(g.initializer.map((t) => t.name));
  const inputName = g.input.find((i) => !inits.has(i.name))?.name;
  if (!inputName) throw new EdgesplitError('E_USAGE', 'calibration: the model has no input');
  const session = await opts.backend.load(withOutputs(model, tensors));
  try {
    const lo = new Map(tensors.map((t) => [t, Infinity]));
    const hi = new Map(tensors.map((t) => [t, -Infinity]));
    for (const b of opts.batches) {
      const out = await session.run({ [inputName]: b }, tensors);
      for (const t of tensors) {
        const d = out[t].data as Float32Array;
        let a = lo.get(t)!;
        let z = hi.get(t)!;
        for (let i = 0; i < d.length; i++) {
          if (d[i] < a) a = d[i];
          if (d[i] > z) z = d[i];
        }
        lo.set(t, a);
        hi.set(t, z);
      }
    }
    if ((opts.method ?? 'minmax') === 'minmax') {
      for (const t of tensors) ranges.set(t, { min: lo.get(t)!, max: hi.get(t)! });
      return ranges;
    }
    const p = opts.percentile ?? 99.99;
    if (!(p > 50 && p <= 100))
      throw new EdgesplitError('E_USAGE', `percentile must be in (50, 100], got ${p}`);
    const hist = new Map(tensors.map((t) => [t, new Float64Array(BINS)]));
    for (const b of opts.batches) {
      const out = await session.run({ [inputName]: b }, tensors);
      for (const t of tensors) {
        const d = out[t].data as Float32Array;
        const a = lo.get(t)!;
        const w = (hi.get(t)! - a) / BINS || 1;
        const h = hist.get(t)!;
        for (let i = 0; i < d.length; i++) h[Math.min(BINS - 1, Math.floor((d[i] - a) / w))]++;
      }
    }
    for (const t of tensors) {
      const h = hist.get(t)!;
      const a = lo.get(t)!;
      const w = (hi.get(t)! - a) / BINS || 1;
      const count = h.reduce((s, v) => s + v, 0);
      const cut = (count * (100 - p)) / 100;
      let acc = 0;
      let first = 0;
      while (first < BINS - 1 && acc + h[first] <= cut) acc += h[first++];
      acc = 0;
      let last = BINS - 1;
      while (last > 0 && acc + h[last] <= cut) acc += h[last--];
      ranges.set(t, { min: a + first * w, max: a + (last + 1) * w });
    }
    return ranges;
  } finally {
    await session.release();
  }
}
