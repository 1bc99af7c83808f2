/**
 * The arithmetic of every simulated format, in TypeScript: how a tensor's quantisation parameters are
 * chosen from its values or calibrated range, and the reference quantise-dequantise that the ONNX
 * transform reproduces bit for bit (float32 division by the scale, round half to even as ONNX Round
 * and QuantizeLinear do, saturation, float32 multiplication back). Pure.
 */
import type { NumberFormat } from './formats.js';

/** Affine quantisation of one tensor: q = clamp(round(x / scale) + zeroPoint, qmin, qmax); y = (q - zeroPoint) * scale. */
export interface AffineQuant {
  readonly kind: 'affine';
  /** One float32 scale per tensor, or one per slice along `axis`. */
  readonly scale: readonly number[];
  /** Integer zero points, same length as `scale`. */
  readonly zeroPoint: readonly number[];
  readonly qmin: number;
  readonly qmax: number;
  /** Axis the scales run along (per-channel); undefined when per tensor. */
  readonly axis?: number;
  /** Fixed-point formats: fractional bits of each scale (scale = 2^-fracBits), for the model's metadata. */
  readonly fracBits?: readonly number[];
}

/** Round to float16 and back. */
export interface HalfQuant {
  readonly kind: 'fp16';
}

/** How one tensor is quantised. */
export type TensorQuant = AffineQuant | HalfQuant;

/** A tensor's observed range: min and max, and their largest magnitude. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Round half to even, as ONNX Round, QuantizeLinear and C's nearbyint do. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Nearest float16 value (round half to even; overflow to +-Infinity; subnormals kept). */
export function roundToHalf(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const step = 2 ** (Math.max(e, -14) - 10);
  return Math.sign(x) * roundHalfEven(a / step) * step;
}

/** Reference quantise-dequantise of a row-major tensor of shape `dims`. */
export function fakeQuantize(values: Float32Array, dims: readonly number[], q: TensorQuant): Float32Array {
  const out = new Float32Array(values.length);
  if (q.kind === 'fp16') {
    for (let i = 0; i < values.length; i++) out[i] = roundToHalf(values[i]);
    return out;
  }
  const inner = q.axis === undefined ? values.length : dims.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  const channels = q.axis === undefined ? 1 : dims[q.axis];
  for (let i = 0; i < values.length; i++) {
    const c = q.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    const s = Math.fround(q.scale[c]);
    const zp = q.zeroPoint[c];
    const v = Math.min(q.qmax, Math.max(q.qmin, roundHalfEven(Math.fround(values[i] / s)) + zp));
    out[i] = Math.fround((v - zp) * s);
  }
  return out;
}

/** The representable range [lowest, highest] of an affine quantisation (of channel `c`). */
export function affineRange(q: AffineQuant, c = 0): [number, number] {
  const s = Math.fround(q.scale[c]);
  return [Math.fround((q.qmin - q.zeroPoint[c]) * s), Math.fround((q.qmax - q.zeroPoint[c]) * s)];
}

/** Integer bits of a dynamic fixed-point format for a magnitude: the least m with max|x| <= 2^m (0 for an all-zero tensor). */
export function dynamicIntBits(absMax: number): number {
  if (!(absMax > 0)) return 0;
  let m = Math.ceil(Math.log2(absMax));
  if (2 ** m < absMax) m++;
  return m;
}

function fixedPoint(bits: number, fracBits: readonly number[], signed: boolean, axis?: number): AffineQuant {
  const half = 2 ** (bits - 1);
  return {
    kind: 'affine',
    scale: fracBits.map((n) => 2 ** -n),
    zeroPoint: fracBits.map(() => 0),
    qmin: signed ? -half : 0,
    qmax: signed ? half - 1 : 2 * half - 1,
    axis,
    fracBits,
  };
}

/**
 * Quantisation of a weight tensor in `format`, from its values. `axis` is the output-channel axis used
 * by per-channel formats. Returns undefined for fp32 (nothing to do).
 */
export function weightQuant(
  format: NumberFormat,
  values: Float32Array,
  dims: readonly number[],
  axis: number,
): TensorQuant | undefined {
  if (format.kind === 'float') return format.bits === 16 ? { kind: 'fp16' } : undefined;
  if (format.kind === 'fixed') return fixedPoint(format.bits, [format.fracBits], true);
  const perChannel = format.granularity === 'channel' && dims.length > 1;
  const channels = perChannel ? dims[axis] : 1;
  const inner = perChannel ? dims.slice(axis + 1).reduce((a, b) => a * b, 1) : values.length;
  const absMax = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = perChannel ? Math.floor(i / inner) % channels : 0;
    absMax[c] = Math.max(absMax[c], Math.abs(values[i]));
  }
  const ax = perChannel ? axis : undefined;
  if (format.kind === 'dynamic-fixed') {
    return fixedPoint(
      format.bits,
      absMax.map((a) => format.bits - 1 - dynamicIntBits(a)),
      true,
      ax,
    );
  }
  const qmax = 2 ** (format.bits - 1) - 1;
  return {
    kind: 'affine',
    scale: absMax.map((a) => Math.fround(a > 0 ? a / qmax : 1)),
    zeroPoint: absMax.map(() => 0),
    qmin: -qmax - 1,
    qmax,
    axis: ax,
  };
}

/**
 * Quantisation of a feature map in `format` from its calibrated range (per tensor). Integer formats are
 * asymmetric (unsigned with a zero point); dynamic fixed point is unsigned when the range is
 * non-negative (as after ReLU) and signed otherwise. Returns undefined for fp32.
 */
export function activationQuant(format: NumberFormat, range: Range | undefined): TensorQuant | undefined {
  if (format.kind === 'float') return format.bits === 16 ? { kind: 'fp16' } : undefined;
  if (format.kind === 'fixed') return fixedPoint(format.bits, [format.fracBits], true);
  if (!range) throw new Error(`activation format ${format.name} needs a calibrated range`);
  const lo = Math.min(0, range.min);
  const hi = Math.max(0, range.max);
  if (format.kind === 'dynamic-fixed') {
    const signed = lo < 0;
    const m = dynamicIntBits(Math.max(-lo, hi));
    return fixedPoint(format.bits, [format.bits - (signed ? 1 : 0) - m], signed);
  }
  const qmax = 2 ** format.bits - 1;
  const scale = Math.fround(hi > lo ? (hi - lo) / qmax : 1);
  const zp = Math.min(qmax, Math.max(0, roundHalfEven(-lo / scale)));
  return { kind: 'affine', scale: [scale], zeroPoint: [zp], qmin: 0, qmax };
}

/** Whether a format needs calibrated feature-map ranges. */
export function needsCalibration(format: NumberFormat): boolean {
  return format.kind === 'int' || format.kind === 'dynamic-fixed';
}
