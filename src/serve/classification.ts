/**
 * Triton's classification extension: an output requested with `parameters.classification = k`
 * (`class_count` in tritonclient) comes back as BYTES strings "value:index" of its k largest
 * elements, in descending order (per batch row for a batched model, with Triton's six-decimal value
 * format). edgesplit serves no label files, so the optional ":label" part is never present.
 */
import type { Tensor } from '../core/tensor.js';
import { ProtocolError } from './protocol-error.js';
import type { TensorMeta } from './protocol.js';

/** Name of the extension in server metadata. */
export const CLASSIFICATION_EXTENSION = 'classification';

const NUMERIC = new Set([
  'FP32',
  'FP16',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
]);

/** Validates a requested output's `classification` parameter; undefined when absent or 0 (off). */
export function checkClassCount(value: unknown, meta: TensorMeta): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ProtocolError(
      400,
      `output '${meta.name}': classification ${JSON.stringify(value)} must be a non-negative integer (class count)`,
    );
  if (!NUMERIC.has(meta.datatype) || meta.datatype === 'FP16')
    throw new ProtocolError(
      400,
      `output '${meta.name}': classification needs a numeric output, this one is ${meta.datatype}`,
    );
  return value;
}

function formatValue(t: Tensor, v: number): string {
  return t.dtype === 'float32' ? v.toFixed(6) : String(v);
}

/**
 * The top `k` classes of each row (`batched`: dimension 0 is the batch, the rest are classes; else
 * the whole tensor is one row). Ties keep the lower index first; `k` is capped at the class count.
 */
export function classify(t: Tensor, k: number, batched: boolean): { shape: number[]; values: string[] } {
  const rows = batched && t.dims.length > 0 ? t.dims[0] : 1;
  const width = rows === 0 ? 0 : t.data.length / rows;
  const take = Math.min(k, width);
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: width }, (_, i) => Number(t.data[r * width + i]));
    const order = row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    for (const i of order.slice(0, take)) values.push(`${formatValue(t, row[i])}:${i}`);
  }
  return { shape: batched ? [rows, take] : [take], values };
}
