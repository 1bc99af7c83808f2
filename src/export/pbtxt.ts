/** An enum value in protobuf text format (written bare: `TYPE_FP32`). */
export class PbEnum {
  constructor(readonly name: string) {}
}

/** A `map<string, string>` field: written as repeated `{ key: ... value: ... }` entries. */
export class PbMap {
  constructor(readonly entries: readonly (readonly [string, string])[]) {}
}

/** A field value: scalar, enum, map, nested message, or repeated values (arrays). */
export type PbValue = string | number | boolean | PbEnum | PbMap | PbMessage | readonly PbValue[];

/** A message: field name to value; undefined fields are left out. */
export interface PbMessage {
  readonly [field: string]: PbValue | undefined;
}

function scalar(v: string | number | boolean | PbEnum): string {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v))
    throw new RangeError(`pbtxt: ${v} is not a finite number`);
  return String(v);
}

function isMessage(v: PbValue): v is PbMessage {
  return typeof v === 'object' && !(v instanceof PbEnum) && !(v instanceof PbMap) && !Array.isArray(v);
}

function body(msg: PbMessage, indent: string): string[] {
  const lines: string[] = [];
  const inner = `${indent}  `;
  for (const [field, v] of Object.entries(msg)) {
    if (v === undefined) continue;
    if (v instanceof PbMap) {
      for (const [key, value] of v.entries)
        lines.push(
          `${indent}${field} {`,
          `${inner}key: ${scalar(key)}`,
          `${inner}value: ${scalar(value)}`,
          `${indent}}`,
        );
    } else if (Array.isArray(v)) {
      const items = v as readonly PbValue[];
      if (items.every((x) => !isMessage(x))) {
        lines.push(
          `${indent}${field}: [ ${items.map((x) => scalar(x as string | number | boolean | PbEnum)).join(', ')} ]`,
        );
      } else {
        lines.push(`${indent}${field} [`);
        items.forEach((x, i) => {
          lines.push(
            `${inner}{`,
            ...body(x as PbMessage, `${inner}  `),
            `${inner}}${i < items.length - 1 ? ',' : ''}`,
          );
        });
        lines.push(`${indent}]`);
      }
    } else if (isMessage(v)) {
      lines.push(`${indent}${field} {`, ...body(v, inner), `${indent}}`);
    } else {
      lines.push(`${indent}${field}: ${scalar(v as string | number | boolean | PbEnum)}`);
    }
  }
  return lines;
}

/** Writes a message in protobuf text format, the syntax of Triton's `config.pbtxt`. */
export function toPbtxt(msg: PbMessage): string {
  return `${body(msg, '').join('\n')}\n`;
}
