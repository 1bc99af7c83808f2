/**
 * A small, independent reader of protobuf text format (the subset config.pbtxt files use), so the
 * tests check what was written rather than what the writer meant.
 */

/** A parsed value: scalar, bare identifier (enum) or message. */
export type TextValue = string | number | { enum: string } | TextMessage;
/** A parsed message: every field as the list of its occurrences (repeated or not). */
export type TextMessage = { [field: string]: TextValue[] };

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  const re =
    /\s+|#[^\n]*|("(?:[^"\\]|\\.)*")|([{}[\]:,])|([A-Za-z_][A-Za-z0-9_.]*)|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/y;
  let i = 0;
  while (i < src.length) {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Error(`pbtxt: cannot read at offset ${i}: ${src.slice(i, i + 20)}`);
    const tok = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (tok !== undefined) tokens.push(tok);
    i = re.lastIndex;
  }
  return tokens;
}

/** Parses protobuf text format into nested {@link TextMessage}s. */
export function parsePbtxt(src: string): TextMessage {
  const t = tokenize(src);
  let p = 0;
  const expect = (tok: string) => {
    if (t[p] !== tok) throw new Error(`pbtxt: expected '${tok}' at token ${p}, got '${t[p]}'`);
    p++;
  };
  const scalar = (): TextValue => {
    const tok = t[p++];
    if (tok === undefined) throw new Error('pbtxt: unexpected end');
    if (tok.startsWith('"')) return JSON.parse(tok) as string;
    if (/^-?\d/.test(tok)) return Number(tok);
    if (tok === 'true' || tok === 'false') return { enum: tok };
    if (/^[A-Za-z_]/.test(tok)) return { enum: tok };
    throw new Error(`pbtxt: unexpected '${tok}'`);
  };
  const value = (): TextValue => {
    if (t[p] === '{') {
      p++;
      const m = message('}');
      expect('}');
      return m;
    }
    return scalar();
  };
  const message = (end: string | undefined): TextMessage => {
    const msg: TextMessage = {};
    while (p < t.length && t[p] !== end) {
      const field = t[p++];
      if (!/^[A-Za-z_]/.test(field)) throw new Error(`pbtxt: expected a field name, got '${field}'`);
      if (t[p] === ':') p++;
      const values: TextValue[] = [];
      if (t[p] === '[') {
        p++;
        while (t[p] !== ']') {
          values.push(value());
          if (t[p] === ',') p++;
        }
        p++;
      } else values.push(value());
      (msg[field] ??= []).push(...values);
    }
    return msg;
  };
  const root = message(undefined);
  if (p !== t.length) throw new Error(`pbtxt: trailing tokens from ${p}`);
  return root;
}

/** The single value of a non-repeated field. */
export function one(msg: TextMessage, field: string): TextValue {
  const v = msg[field];
  if (!v || v.length !== 1) throw new Error(`field ${field} has ${v?.length ?? 0} values, expected 1`);
  return v[0];
}

/** A `map<string,string>` field as a JS object. */
export function textMap(msg: TextMessage, field: string): Record<string, string> {
  return Object.fromEntries(
    (msg[field] ?? []).map((e) => {
      const entry = e as TextMessage;
      return [one(entry, 'key') as string, one(entry, 'value') as string];
    }),
  );
}
