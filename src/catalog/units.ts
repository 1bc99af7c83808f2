/**
 * Strict parsing of quantities with units ("2.5 Mb/s", "30 nJ/bit", "512 KiB") into SI base units.
 *
 * Catalog fields carry their unit in their name (`throughputBps`, `energyPerBitJ`, `sramBytes`) and
 * accept either a bare number already in that unit or a string with an explicit unit of the same
 * dimension. Unknown units, unknown prefixes and units of the wrong dimension are rejected.
 */

/** The physical dimension a catalog field measures. */
export type Dimension =
  | 'bitrate'
  | 'energyPerBit'
  | 'energy'
  | 'power'
  | 'time'
  | 'bytes'
  | 'frequency'
  | 'current'
  | 'macRate'
  | 'energyPerMac';

/** Base unit symbols accepted per dimension, with their factor to the SI base unit. */
const BASE_UNITS: Record<Dimension, Readonly<Record<string, number>>> = {
  bitrate: { 'b/s': 1, bps: 1, 'bit/s': 1, 'B/s': 8 },
  energyPerBit: { 'J/bit': 1, 'J/b': 1 },
  energy: { J: 1 },
  power: { W: 1 },
  time: { s: 1 },
  bytes: { B: 1 },
  frequency: { Hz: 1 },
  current: { A: 1 },
  macRate: { 'MAC/s': 1, 'MACs/s': 1 },
  energyPerMac: { 'J/MAC': 1 },
};

/** Decimal prefixes. `K` is accepted as kilo because the seeds write "90Kb/s". */
const DECIMAL_PREFIXES: Readonly<Record<string, number>> = {
  p: 1e-12,
  n: 1e-9,
  u: 1e-6,
  µ: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/** Binary prefixes, only for byte counts. */
const BINARY_PREFIXES: Readonly<Record<string, number>> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Units that only make sense with a non-fractional prefix (no "mB", "pHz"). */
const NO_SUBUNIT: ReadonlySet<Dimension> = new Set(['bytes', 'bitrate', 'frequency', 'macRate']);

const QUANTITY = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S+)$/;

/** Result of parsing: the value in SI base units, or a message saying why it was rejected. */
export type ParseResult = { ok: true; value: number } | { ok: false; message: string };

/** Lists the units accepted for a dimension, for error messages. */
export function acceptedUnits(dim: Dimension): string {
  const bases = Object.keys(BASE_UNITS[dim]);
  const prefixes =
    dim === 'bytes' ? 'k, M, G, Ki, Mi, Gi' : NO_SUBUNIT.has(dim) ? 'k, M, G, T' : 'p, n, u, m, k, M, G';
  return `${bases.join(', ')} (prefixes ${prefixes})`;
}

/**
 * Parses a number (already in SI base units) or a string "<number> <unit>" of the given dimension.
 * The literal string "unlimited" parses to `Infinity` only when `allowUnlimited` is set.
 */
export function parseQuantity(input: unknown, dim: Dimension, allowUnlimited = false): ParseResult {
  if (typeof input === 'number') {
    return Number.isFinite(input)
      ? { ok: true, value: input }
      : { ok: false, message: `not a finite number: ${input}` };
  }
  if (typeof input !== 'string')
    return { ok: false, message: `expected a number or a string with a unit, got ${typeof input}` };
  const text = input.trim();
  if (allowUnlimited && text === 'unlimited') return { ok: true, value: Infinity };
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return { ok: true, value: Number(text) };
  const m = QUANTITY.exec(text);
  if (!m)
    return {
      ok: false,
      message: `cannot parse "${input}" as "<number> <unit>"; accepted units: ${acceptedUnits(dim)}`,
    };
  const num = Number(m[1]);
  const unit = m[2];
  const factor = unitFactor(unit, dim);
  if (factor === undefined) {
    return {
      ok: false,
      message: `unknown unit "${unit}" in "${input}"; accepted units: ${acceptedUnits(dim)}`,
    };
  }
  // dividing by the inverse keeps "30 nJ/bit" at exactly 3e-8 instead of 3.0000000000000004e-8
  return { ok: true, value: factor < 1 ? num / Math.round(1 / factor) : num * factor };
}

function unitFactor(unit: string, dim: Dimension): number | undefined {
  for (const [base, baseFactor] of Object.entries(BASE_UNITS[dim])) {
    if (!unit.endsWith(base)) continue;
    const prefix = unit.slice(0, unit.length - base.length);
    if (dim === 'bytes' && prefix in BINARY_PREFIXES) return BINARY_PREFIXES[prefix] * baseFactor;
    if (!(prefix in DECIMAL_PREFIXES)) continue;
    const p = DECIMAL_PREFIXES[prefix];
    if (NO_SUBUNIT.has(dim) && p < 1) continue;
    return p * baseFactor;
  }
  return undefined;
}
