import type { PrecisionPoint } from '../strategy/split/precision-space.js';
/** Formatting of physical quantities for tables and reports. */

const PREFIXES: readonly [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'u'],
  [1e-9, 'n'],
  [1e-12, 'p'],
  [1e-15, 'f'],
];

/** Formats `value` with an SI prefix and 3 significant digits: `fmtSi(1.23e-6, 'J')` is "1.23 uJ". */
export function fmtSi(value: number, unit: string): string {
  if (!Number.isFinite(value)) return value > 0 ? `inf ${unit}` : value < 0 ? `-inf ${unit}` : `n/a`;
  if (value === 0) return `0 ${unit}`;
  const a = Math.abs(value);
  const [scale, prefix] = PREFIXES.find(([s]) => a >= s * 0.9995) ?? PREFIXES[PREFIXES.length - 1];
  return `${(value / scale).toPrecision(3)} ${prefix}${unit}`;
}

/** Energy in joules with an SI prefix. */
export const fmtEnergy = (j: number): string => fmtSi(j, 'J');
/** Time in seconds with an SI prefix. */
export const fmtTime = (s: number): string => fmtSi(s, 's');
/** Power in watts with an SI prefix. */
export const fmtPower = (w: number): string => fmtSi(w, 'W');

/** A count with an SI prefix (3 significant digits), e.g. "1.23 M". */
export function fmtCount(n: number): string {
  return n < 1000 ? String(Math.round(n)) : fmtSi(n, '').trimEnd();
}

/** Name of a cut for people: "cut 6 after gemm_1" or "cut 0 (input)". */
export function cutLabel(cut: number, after: string): string {
  return cut === 0 ? 'cut 0 (input)' : `cut ${cut} after ${after}`;
}

/** Columns of {@link precisionFrontRows} (the last is the quality metric). */
export const PRECISION_FRONT_COLUMNS = ['node', 'link', 'format', 'cut', 'E_node'] as const;

/** The energy-quality Pareto front as table rows, cheapest first (CLI table and HTML report). */
export function precisionFrontRows(points: readonly PrecisionPoint[]): string[][] {
  return points
    .filter((p) => p.pareto)
    .sort((a, b) => a.nodeEnergyJ - b.nodeEnergyJ)
    .map((p) => [
      p.node,
      p.link,
      p.precision,
      cutLabel(p.cut, p.after),
      fmtEnergy(p.nodeEnergyJ),
      p.quality.toFixed(4),
    ]);
}
