import { UsageError } from '../core/errors.js';

/** Parses a positive integer option, naming the option on failure. */
export function parsePositiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

/** Parses a bit width between 1 and 64. */
export function parseBits(name: string, value: string): number {
  const n = parsePositiveInt(name, value);
  if (n > 64) throw new UsageError(`${name} must be at most 64, got ${n}`);
  return n;
}

/** Checks that `value` is one of `allowed`, naming the option on failure. */
export function parseChoice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

/** Commander reducer for a repeatable option (`--x a --x b` -> ['a', 'b']). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
