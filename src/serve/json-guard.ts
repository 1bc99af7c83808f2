/**
 * A linear pre-scan of JSON bytes that bounds nesting depth and the number of values before
 * `JSON.parse` sees them, so a hostile body (8M-deep brackets, millions of tiny values) is refused
 * after reading at most a few bytes past the limit, without building any object.
 */
import { ProtocolError } from './protocol-error.js';

/** Limits of {@link scanJsonLimits}. */
export interface JsonLimits {
  /** Deepest array/object nesting accepted. */
  readonly maxJsonDepth: number;
  /** Most values (array elements and object members, all levels) accepted. */
  readonly maxJsonValues: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Throws a 400 when `json` nests deeper than `maxJsonDepth` and a 413 when it holds more than
 * `maxJsonValues` values. Syntax errors are left to `JSON.parse` (the scan only counts brackets and
 * commas outside strings), so the scan never accepts what the parser would reject.
 */
export function scanJsonLimits(json: Uint8Array, limits: JsonLimits, what: string): void {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      values++;
      if (depth > limits.maxJsonDepth)
        throw new ProtocolError(400, `${what} nests deeper than ${limits.maxJsonDepth} levels (byte ${i})`);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA) {
      values++;
      if (values > limits.maxJsonValues)
        throw new ProtocolError(413, `${what} has more than ${limits.maxJsonValues} JSON values`);
    }
  }
}
