/**
 * Branch widths of an LCP model (seed Procedure 1 and Sec. IV-A): every conv and fully connected width
 * divided by the number of branches, then grown by the fattening percentage. Rounding follows the zoo
 * recipe (`training/zoo/lcp.py`: `max(1, round(w / k * (1 + F)))` with Python's round-half-to-even), so
 * that splitting `lcp-original` reproduces the committed `lcp-split*` models exactly.
 */
import { UsageError } from '../../core/errors.js';

/** Largest branch count accepted (the written model holds one copy of the feature extractor per branch). */
export const MAX_BRANCHES = 256;

/** Rounds to the nearest integer, halves to even, as Python 3's `round` does on a double. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Width of one branch's layer whose original width is `width`: `max(1, round(width / branches * (1 + fattenPercent / 100)))`. */
export function branchWidth(width: number, branches: number, fattenPercent = 0): number {
  return Math.max(1, roundHalfEven((width / branches) * (1 + fattenPercent / 100)));
}

/** Checks the splitter's numeric options, naming the option on failure. */
export function checkSplitOptions(o: {
  branches?: number;
  divisionFactor?: number;
  fattenPercent?: number;
}): void {
  if (
    o.branches !== undefined &&
    (!Number.isInteger(o.branches) || o.branches < 1 || o.branches > MAX_BRANCHES)
  )
    throw new UsageError(`branches must be an integer in 1..${MAX_BRANCHES}, got ${o.branches}`);
  if (o.divisionFactor !== undefined && (!Number.isInteger(o.divisionFactor) || o.divisionFactor < 2))
    throw new UsageError(`division factor must be an integer >= 2, got ${o.divisionFactor}`);
  if (o.fattenPercent !== undefined && !(o.fattenPercent >= 0 && o.fattenPercent <= 100))
    throw new UsageError(`fattening must be a percentage in 0..100, got ${o.fattenPercent}`);
}
