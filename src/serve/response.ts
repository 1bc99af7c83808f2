/**
 * The response side of the v2 codec: encoded bodies with Triton's binary extension, response outputs
 * (tensors, or BYTES strings of the classification extension) and the error body. Pure.
 */
import type { Tensor } from '../core/tensor.js';
import { EdgesplitError } from '../core/errors.js';
import { DTYPE_TO_V2, arrayToJson, bytesOfArray, type V2Datatype } from './datatypes.js';

/** An encoded HTTP body with the headers the binary extension needs. */
export interface EncodedBody {
  readonly body: Buffer;
  readonly contentType: string;
  /** Length of the JSON part when binary tensors follow it (`Inference-Header-Content-Length`). */
  readonly headerLength?: number;
}

/** Encodes a JSON header followed by binary chunks; sets the header length only when chunks exist. */
export function encodeWithBinary(header: unknown, chunks: readonly Uint8Array[]): EncodedBody {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (chunks.length === 0) return { body: json, contentType: 'application/json' };
  return {
    body: Buffer.concat([json, ...chunks]),
    contentType: 'application/octet-stream',
    headerLength: json.length,
  };
}

/** One output of a response: a tensor, or (classification extension) BYTES strings. */
export type ResponseOutput =
  | { readonly name: string; readonly binary: boolean; readonly tensor: Tensor }
  | {
      readonly name: string;
      readonly binary: boolean;
      readonly classes: { readonly shape: readonly number[]; readonly values: readonly string[] };
    };

/** Raw little-endian bytes of an output: tensor data, or BYTES elements as u32 length + UTF-8. */
export function outputBytes(o: ResponseOutput): Uint8Array {
  if ('tensor' in o) return bytesOfArray(o.tensor.data);
  const parts = o.classes.values.map((v) => Buffer.from(v, 'utf8'));
  const out = Buffer.alloc(parts.reduce((s, b) => s + 4 + b.length, 0));
  let at = 0;
  for (const b of parts) {
    out.writeUInt32LE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/** Name, v2 datatype and shape of an output. */
export function outputMeta(o: ResponseOutput): { name: string; datatype: V2Datatype; shape: number[] } {
  if ('tensor' in o)
    return { name: o.name, datatype: DTYPE_TO_V2[o.tensor.dtype], shape: [...o.tensor.dims] };
  return { name: o.name, datatype: 'BYTES', shape: [...o.classes.shape] };
}

/** Encodes an inference response: JSON outputs inline, binary ones appended in order. */
export function encodeInferResponse(
  modelName: string,
  id: string | undefined,
  outputs: readonly ResponseOutput[],
): EncodedBody {
  const chunks: Uint8Array[] = [];
  const entries = outputs.map((o) => {
    const base = outputMeta(o);
    if (!o.binary)
      return { ...base, data: 'tensor' in o ? arrayToJson(o.tensor.dtype, o.tensor.data) : o.classes.values };
    const bytes = outputBytes(o);
    chunks.push(bytes);
    return { ...base, parameters: { binary_data_size: bytes.byteLength } };
  });
  return encodeWithBinary(
    { model_name: modelName, ...(id !== undefined ? { id } : {}), outputs: entries },
    chunks,
  );
}

/** Splits BYTES raw data (u32 little-endian length, then the bytes, per element) into strings. */
export function decodeBytesElements(raw: Uint8Array, n: number, where: string): string[] {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (at + 4 > b.length)
      throw new EdgesplitError('E_PROTOCOL', `${where}: BYTES data ends after ${i} of ${n} elements`);
    const len = b.readUInt32LE(at);
    if (at + 4 + len > b.length)
      throw new EdgesplitError('E_PROTOCOL', `${where}: BYTES element ${i} overruns the data`);
    out.push(b.toString('utf8', at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** Error body of the protocol: `{"error": "..."}`. */
export function encodeError(message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: message }), 'utf8');
}
