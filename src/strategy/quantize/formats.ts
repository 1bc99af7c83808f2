/**
 * The number formats edgesplit can simulate, parsed from their names. One vocabulary for weights and
 * feature maps (activations): `fp32`, `fp16`, `q<m>.<n>` (static fixed point: 1 sign, m integer and n
 * fractional bits), `dfp<b>` (dynamic fixed point: b bits, integer bits chosen from each tensor's
 * range, per channel for weights), `int<k>` (k-bit integers with a scale: symmetric per output channel
 * for weights, asymmetric per tensor from calibration for feature maps). Suffix `-tensor` makes a
 * weight format per tensor instead of per channel.
 */
import { UsageError } from '../../core/errors.js';

/** Kinds of number formats. */
export const FORMAT_KINDS = ['float', 'fixed', 'dynamic-fixed', 'int'] as const;
/** One of {@link FORMAT_KINDS}. */
export type FormatKind = (typeof FORMAT_KINDS)[number];
/** Where a weight format chooses its scale. */
export type Granularity = 'tensor' | 'channel';

/** A parsed number format. */
export type NumberFormat =
  | { readonly kind: 'float'; readonly name: string; readonly bits: 32 | 16 }
  | {
      readonly kind: 'fixed';
      readonly name: string;
      readonly bits: number;
      readonly intBits: number;
      readonly fracBits: number;
    }
  | {
      readonly kind: 'dynamic-fixed';
      readonly name: string;
      readonly bits: number;
      readonly granularity: Granularity;
    }
  | { readonly kind: 'int'; readonly name: string; readonly bits: number; readonly granularity: Granularity };

/** Widest integer format simulated (float32 holds every integer up to 2^24 exactly). */
export const MAX_FORMAT_BITS = 24;

/** Examples listed in error messages. */
export const FORMAT_EXAMPLES = 'fp32, fp16, q1.8, q3.4, dfp10, dfp8, int8, int16, int8-tensor';

function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > MAX_FORMAT_BITS)
    throw new UsageError(`${what}: total bits must be in 2..${MAX_FORMAT_BITS}, got ${bits}`);
}

/** Parses a format name (case-insensitive); throws a usage error naming `what` on a bad name. */
export function parseFormat(name: string, what = 'format'): NumberFormat {
  const s = name.trim().toLowerCase();
  const m = /^(.*?)(-tensor|-channel)?$/.exec(s)!;
  const base = m[1];
  const granularity: Granularity = m[2] === '-tensor' ? 'tensor' : 'channel';
  if (base === 'fp32' || base === 'float32') return { kind: 'float', name: 'fp32', bits: 32 };
  if (base === 'fp16' || base === 'float16') return { kind: 'float', name: 'fp16', bits: 16 };
  let g: RegExpExecArray | null;
  if ((g = /^q(\d+)\.(\d+)$/.exec(base))) {
    const intBits = Number(g[1]);
    const fracBits = Number(g[2]);
    const bits = 1 + intBits + fracBits;
    checkBits(bits, `${what} '${name}'`);
    return { kind: 'fixed', name: `q${intBits}.${fracBits}`, bits, intBits, fracBits };
  }
  if ((g = /^dfp(\d+)$/.exec(base))) {
    const bits = Number(g[1]);
    checkBits(bits, `${what} '${name}'`);
    return {
      kind: 'dynamic-fixed',
      name: `dfp${bits}${granularity === 'tensor' ? '-tensor' : ''}`,
      bits,
      granularity,
    };
  }
  if ((g = /^int(\d+)$/.exec(base))) {
    const bits = Number(g[1]);
    checkBits(bits, `${what} '${name}'`);
    return { kind: 'int', name: `int${bits}${granularity === 'tensor' ? '-tensor' : ''}`, bits, granularity };
  }
  throw new UsageError(`${what}: unknown number format '${name}'; known formats: ${FORMAT_EXAMPLES}`);
}

/** Bits one value of the format occupies in memory or on the wire. */
export function formatBits(f: NumberFormat): number {
  return f.bits;
}

/** True for fp32 (nothing to simulate). */
export function isFp32(f: NumberFormat): boolean {
  return f.kind === 'float' && f.bits === 32;
}

/** A weight/activation pair, the unit of the precision design space. */
export interface PrecisionPair {
  readonly weights: NumberFormat;
  readonly activations: NumberFormat;
}

/** Label of a pair as the seed's Table V writes it: `W:q1.8 FM:int8`. */
export function pairLabel(p: PrecisionPair): string {
  return `W:${p.weights.name} FM:${p.activations.name}`;
}

/** Parses `weights/activations` (e.g. `q1.8/int8`, `fp32/fp32`); a single name applies to both. */
export function parsePair(spec: string): PrecisionPair {
  const parts = spec.split('/');
  if (parts.length > 2 || parts.some((p) => p.trim() === ''))
    throw new UsageError(`precision '${spec}' must be <weights>/<activations>, e.g. q1.8/int8`);
  return {
    weights: parseFormat(parts[0], `weights of '${spec}'`),
    activations: parseFormat(parts[1] ?? parts[0], `activations of '${spec}'`),
  };
}
