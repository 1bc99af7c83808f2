import { Option } from 'commander';
import { UsageError } from '../core/errors.js';

/** Parses a positive integer option, naming the option on failure. */
export function parsePositiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

/** Longest delay Node's timers take, in ms (2^31 - 1, ~24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parses a positive integer no larger than `max` (an explicit limit), naming the option on failure. */
export function parseBoundedInt(name: string, value: string, max: number, unit = ''): number {
  const n = parsePositiveInt(name, value);
  if (n > max) throw new UsageError(`${name} must be at most ${max}${unit}, got ${value}`);
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

/**
 * Parses repeated `--input-shape name=1x3x224x224` values (a bare `1x3x224x224` names the model's
 * only input).
 */
export function parseInputShapes(specs: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const name = eq < 0 ? '' : spec.slice(0, eq);
    const dims = (eq < 0 ? spec : spec.slice(eq + 1)).split('x').map(Number);
    if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0))
      throw new UsageError(`--input-shape must look like name=1x3x224x224 (positive dims), got '${spec}'`);
    if (Object.hasOwn(out, name))
      throw new UsageError(`--input-shape gives '${name || '(the input)'}' twice`);
    out[name] = dims;
  }
  return out;
}

/** `--input-shape name=AxBxC` (repeatable), for graph inputs with dynamic dims. */
export function inputShapeOption(): Option {
  return new Option(
    '--input-shape <name=AxBxC>',
    'fixed shape of a graph input with dynamic dims (repeatable; bare AxBxC for a single input)',
  ).argParser((v: string, prev: string[] = []) => [...prev, v]);
}

/** `--allow-unknown-ops`, for strategies that otherwise refuse cost-unknown nodes. */
export function allowUnknownOpsOption(): Option {
  return new Option(
    '--allow-unknown-ops',
    'count ops whose cost is unknown as 0 MACs instead of refusing the model',
  );
}

/** Commander reducer for a repeatable option (`--x a --x b` -> ['a', 'b']). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
