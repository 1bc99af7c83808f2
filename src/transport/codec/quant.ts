/**
 * Pure wire-precision conversions: float32 <-> float16 bits, and affine integer quantisation
 * (`q = clamp(round(x / scale) + zeroPoint)`, `x' = (q - zeroPoint) * scale`).
 */
import { FrameError } from '../errors.js';

/** Scale and zero-point of an affine quantisation. */
export interface QuantParams {
  /** Step between adjacent integer levels (> 0, a float32 value). */
  readonly scale: number;
  /** Integer that represents 0.0. */
  readonly zeroPoint: number;
}

/** Integer widths supported for affine quantisation. */
export type QuantBits = 8 | 16;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Converts one float32 value to IEEE binary16 bits, rounding to nearest even. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // carrying into the exponent is the correct rounding (it may overflow to Inf, also correct)
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
  return sign | h;
}

/** Converts IEEE binary16 bits to a float32-representable number. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes a float32 array as binary16 bits. */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

/** Decodes binary16 bits to float32. */
export function fromFloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}

function intRange(bits: QuantBits): [number, number] {
  return bits === 8 ? [-128, 127] : [-32768, 32767];
}

/**
 * Chooses scale and zero-point so that [min(values), max(values)] (always including 0) maps onto the
 * full signed range of `bits`; throws when a value is not finite (it cannot be quantised).
 */
export function chooseQuantParams(values: Float32Array, bits: QuantBits): QuantParams {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v))
      throw new FrameError('malformed', `cannot quantise non-finite value ${v} at element ${i}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const [qmin, qmax] = intRange(bits);
  const span = hi - lo;
  const scale = Math.fround(span > 0 ? span / (qmax - qmin) : 1);
  const zeroPoint = Math.round(qmin - lo / scale);
  return { scale, zeroPoint: Math.min(qmax, Math.max(qmin, zeroPoint)) };
}

/** Quantises float32 values to signed integers; the error is at most scale/2 for values in range. */
export function quantise(values: Float32Array, bits: 8, params: QuantParams): Int8Array;
/** Quantises float32 values to signed 16-bit integers. */
export function quantise(values: Float32Array, bits: 16, params: QuantParams): Int16Array;
/** Quantises float32 values to signed integers of `bits` width. */
export function quantise(values: Float32Array, bits: QuantBits, params: QuantParams): Int8Array | Int16Array;
export function quantise(values: Float32Array, bits: QuantBits, params: QuantParams): Int8Array | Int16Array {
  checkParams(params);
  const [qmin, qmax] = intRange(bits);
  const out = bits === 8 ? new Int8Array(values.length) : new Int16Array(values.length);
  const { scale, zeroPoint } = params;
  for (let i = 0; i < values.length; i++) {
    const q = Math.round(values[i] / scale) + zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return out;
}

/** Dequantises signed integers back to float32 with the same parameters. */
export function dequantise(values: Int8Array | Int16Array, params: QuantParams): Float32Array {
  checkParams(params);
  const out = new Float32Array(values.length);
  const { scale, zeroPoint } = params;
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - zeroPoint) * scale;
  return out;
}

function checkParams(p: QuantParams): void {
  if (!(p.scale > 0) || !Number.isFinite(p.scale))
    throw new FrameError('malformed', `quantisation scale must be a finite number > 0, got ${p.scale}`);
  if (!Number.isInteger(p.zeroPoint))
    throw new FrameError('malformed', `quantisation zero-point must be an integer, got ${p.zeroPoint}`);
}
