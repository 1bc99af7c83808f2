/**
 * Open Inference Protocol v2 (KServe / Triton) message types and the pure codec for its HTTP/JSON
 * form with Triton's binary tensor data extension. No I/O here: the server and client share it.
 */
import { ProtocolError } from './protocol-error.js';
import { scanJsonLimits, type JsonLimits } from './json-guard.js';
import { DTYPE_BYTES, shapeSize, type DType, type Tensor, type TensorArray } from '../core/tensor.js';
import {
  DTYPE_TO_V2,
  INT_RANGE,
  V2_DATATYPES,
  V2_TO_DTYPE,
  allocArray,
  arrayFromBytes,
  type V2Datatype,
} from './datatypes.js';
import { checkClassCount } from './classification.js';

export { ProtocolError } from './protocol-error.js';

/** Name, datatype and shape of a model input or output; -1 marks a dynamic dimension. */
export interface TensorMeta {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly shape: readonly number[];
}

/** The inputs and outputs a model declares. */
export interface ModelSignature {
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
}

/** Explicit size limits a server enforces on every request. */
export interface ServeLimits extends JsonLimits {
  /** Largest accepted HTTP body (JSON header plus binary tensors), in bytes. */
  readonly maxBodyBytes: number;
  /** Largest batch (dimension 0 of a batchable model's inputs) one request may carry. */
  readonly maxBatch: number;
  /** Most elements any one input tensor may have. */
  readonly maxElements: number;
  /** Most input or output entries one request may name. */
  readonly maxTensors: number;
}

/**
 * Default limits: 16 MiB bodies, batches of 64, 4 Mi elements per tensor, 64 tensors, JSON nested
 * at most 32 deep (a rank-8 tensor's nested `data` plus the request's own levels) and at most
 * 4 Mi + 64 Ki JSON values.
 */
export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxBatch: 64,
  maxElements: 4 * 1024 * 1024,
  maxTensors: 64,
  maxJsonDepth: 32,
  maxJsonValues: 4 * 1024 * 1024 + 65536,
};

/** One requested output: its name, whether it should come back as binary data, and its classification. */
export interface RequestedOutput {
  readonly name: string;
  readonly binary: boolean;
  /** Triton classification extension: return the top `classCount` classes instead of the tensor. */
  readonly classCount?: number;
}

/** A validated inference request, ready to run. */
export interface ParsedInferRequest {
  readonly id?: string;
  readonly feeds: Record<string, Tensor>;
  /** Outputs to return, in order (all model outputs when the request named none). */
  readonly outputs: readonly RequestedOutput[];
  /** Dimension 0 of the inputs when the model is batchable, else 1. */
  readonly batch: number;
}

const MAX_RANK = 8;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string): ProtocolError {
  return new ProtocolError(400, message);
}

/** True when a model's inputs and outputs all have a dynamic dimension 0, so requests can be stacked. */
export function isBatchable(sig: ModelSignature): boolean {
  const dyn0 = (t: TensorMeta) => t.shape.length > 0 && t.shape[0] === -1;
  return sig.inputs.length > 0 && sig.inputs.every(dyn0) && sig.outputs.every(dyn0);
}

/** Splits a body into its JSON part and binary part, checking `Inference-Header-Content-Length`. */
export function splitBody(
  body: Uint8Array,
  headerLength: string | undefined,
): { json: Uint8Array; binary: Uint8Array } {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.length) };
  const n = Number(headerLength);
  if (!/^\d+$/.test(headerLength.trim()) || !Number.isSafeInteger(n) || n > body.length) {
    throw bad(
      `Inference-Header-Content-Length '${headerLength}' must be an integer between 0 and the body length ${body.length}`,
    );
  }
  return { json: body.subarray(0, n), binary: body.subarray(n) };
}

/**
 * Parses JSON bytes into an object, or throws a 400 naming the problem; with `limits`, depth and
 * value count are checked by a scan before the parser runs.
 */
export function parseJsonObject(
  json: Uint8Array,
  what: string,
  limits?: JsonLimits,
): Record<string, unknown> {
  if (limits) scanJsonLimits(json, limits, what);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch (err) {
    throw bad(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw bad(`${what} must be a JSON object`);
  return value;
}

function checkShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape)) throw bad(`${where}: 'shape' must be an array of integers`);
  if (shape.length > MAX_RANK) throw bad(`${where}: rank ${shape.length} exceeds the limit of ${MAX_RANK}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw bad(`${where}: shape entry ${JSON.stringify(d)} is not a non-negative integer`);
    }
  }
  return shape as number[];
}

function storeValue(out: TensorArray, i: number, v: unknown, dtype: DType, where: string): void {
  if (dtype === 'float32') {
    if (typeof v !== 'number') throw bad(`${where}: element ${i} is ${JSON.stringify(v)}, expected a number`);
    out[i] = v;
    return;
  }
  let x: number;
  if (dtype === 'bool' && typeof v === 'boolean') x = v ? 1 : 0;
  else if (typeof v === 'number' && Number.isInteger(v)) x = v;
  else
    throw bad(
      `${where}: element ${i} is ${JSON.stringify(v)}, expected ${dtype === 'bool' ? 'a boolean' : 'an integer'}`,
    );
  const range = INT_RANGE[dtype];
  if (range && (x < range[0] || x > range[1]))
    throw bad(`${where}: element ${i} = ${x} is out of range for ${DTYPE_TO_V2[dtype]}`);
  if (out instanceof BigInt64Array) out[i] = BigInt(x);
  else out[i] = x;
}

/** Turns JSON tensor data (flat, or nested exactly as `shape`) into a typed array. */
export function decodeJsonData(
  data: unknown,
  shape: readonly number[],
  dtype: DType,
  where: string,
): TensorArray {
  if (dtype === 'float16')
    throw bad(`${where}: FP16 has no JSON form; send it with parameters.binary_data_size`);
  if (!Array.isArray(data))
    throw bad(`${where}: 'data' must be an array (or use parameters.binary_data_size)`);
  const n = shapeSize(shape);
  const out = allocArray(dtype, n);
  const flat = data.length === n && data.every((v) => !Array.isArray(v));
  if (flat) {
    for (let i = 0; i < n; i++) storeValue(out, i, data[i], dtype, where);
    return out;
  }
  let k = 0;
  const walk = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw bad(`${where}: 'data' is nested deeper than shape [${shape.join(',')}]`);
      storeValue(out, k, node, dtype, where);
      k++;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw bad(
        `${where}: 'data' does not match shape [${shape.join(',')}] (flat needs ${n} elements; nested level ${depth} needs ${shape[depth]})`,
      );
    }
    for (const child of node) walk(child, depth + 1);
  };
  walk(data, 0);
  return out;
}

function checkAgainstModel(meta: TensorMeta, shape: number[], where: string): void {
  if (shape.length !== meta.shape.length) {
    throw bad(
      `${where}: shape [${shape.join(',')}] has rank ${shape.length}, the model expects [${meta.shape.join(',')}]`,
    );
  }
  meta.shape.forEach((d, i) => {
    if (d !== -1 && d !== shape[i]) {
      throw bad(
        `${where}: shape [${shape.join(',')}] does not match the model's [${meta.shape.join(',')}] at dimension ${i}`,
      );
    }
  });
}

function readParameters(entry: Record<string, unknown>, where: string): Record<string, unknown> {
  if (entry.parameters === undefined) return {};
  if (!isObject(entry.parameters)) throw bad(`${where}: 'parameters' must be an object`);
  return entry.parameters;
}

/** Validates an infer request (JSON part plus binary part) against a model's signature and the limits. */
export function parseInferRequest(
  json: Uint8Array,
  binary: Uint8Array,
  sig: ModelSignature,
  limits: ServeLimits,
): ParsedInferRequest {
  return validateInferRequest(parseJsonObject(json, 'inference request', limits), binary, sig, limits);
}

/**
 * Validates an infer request already in the JSON form's structure (the gRPC transport builds one
 * from its message, raw contents as binary data) against a model's signature and the limits.
 */
export function validateInferRequest(
  req: Record<string, unknown>,
  binary: Uint8Array,
  sig: ModelSignature,
  limits: ServeLimits,
): ParsedInferRequest {
  if (req.id !== undefined && typeof req.id !== 'string') throw bad(`'id' must be a string`);
  const params = readParameters(req, 'request');
  if (!Array.isArray(req.inputs) || req.inputs.length === 0) throw bad(`'inputs' must be a non-empty array`);
  if (req.inputs.length > limits.maxTensors)
    throw new ProtocolError(413, `${req.inputs.length} inputs exceed the limit of ${limits.maxTensors}`);
  const feeds: Record<string, Tensor> = {};
  const batchable = isBatchable(sig);
  let batch: number | undefined;
  let offset = 0;
  for (const [idx, raw] of (req.inputs as unknown[]).entries()) {
    if (!isObject(raw)) throw bad(`inputs[${idx}] must be an object`);
    if (typeof raw.name !== 'string') throw bad(`inputs[${idx}]: 'name' must be a string`);
    const where = `input '${raw.name}'`;
    const meta = sig.inputs.find((m) => m.name === raw.name);
    if (!meta)
      throw bad(
        `${where} is not an input of the model (inputs: ${sig.inputs.map((m) => m.name).join(', ')})`,
      );
    if (feeds[meta.name]) throw bad(`${where} is given twice`);
    if (typeof raw.datatype !== 'string' || !V2_DATATYPES.includes(raw.datatype as V2Datatype)) {
      throw bad(`${where}: unknown datatype ${JSON.stringify(raw.datatype)}`);
    }
    if (raw.datatype !== meta.datatype)
      throw bad(`${where}: datatype ${raw.datatype} does not match the model's ${meta.datatype}`);
    const dtype = V2_TO_DTYPE[meta.datatype];
    if (!dtype)
      throw new ProtocolError(400, `${where}: datatype ${meta.datatype} is not supported by this server`);
    const shape = checkShape(raw.shape, where);
    checkAgainstModel(meta, shape, where);
    const n = shapeSize(shape);
    if (n > limits.maxElements)
      throw new ProtocolError(413, `${where}: ${n} elements exceed the limit of ${limits.maxElements}`);
    if (batchable) {
      if (batch !== undefined && shape[0] !== batch)
        throw bad(`${where}: batch ${shape[0]} differs from the other inputs' ${batch}`);
      batch = shape[0];
      if (batch > limits.maxBatch)
        throw new ProtocolError(413, `${where}: batch ${batch} exceeds the limit of ${limits.maxBatch}`);
    }
    const p = readParameters(raw, where);
    let data: TensorArray;
    if (p.binary_data_size !== undefined) {
      const size = p.binary_data_size;
      const want = n * DTYPE_BYTES[dtype];
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw bad(`${where}: binary_data_size ${JSON.stringify(size)} is not a non-negative integer`);
      }
      if (size !== want)
        throw bad(
          `${where}: binary_data_size ${size} but shape [${shape.join(',')}] of ${meta.datatype} needs ${want} bytes`,
        );
      if (raw.data !== undefined) throw bad(`${where}: both 'data' and binary_data_size given`);
      if (offset + size > binary.length) {
        throw bad(
          `${where}: binary data ends at byte ${offset + size} but only ${binary.length} binary bytes follow the JSON header`,
        );
      }
      data = arrayFromBytes(dtype, binary.subarray(offset, offset + size), n);
      offset += size;
    } else {
      data = decodeJsonData(raw.data, shape, dtype, where);
    }
    feeds[meta.name] = { dtype, dims: shape, data };
  }
  if (offset !== binary.length) {
    throw bad(
      `${binary.length - offset} bytes of binary data after the JSON header are not claimed by any input's binary_data_size`,
    );
  }
  const missing = sig.inputs.filter((m) => !feeds[m.name]).map((m) => m.name);
  if (missing.length > 0) throw bad(`missing input(s): ${missing.join(', ')}`);
  const binaryDefault = params.binary_data_output === true;
  return {
    id: req.id as string | undefined,
    feeds,
    outputs: parseRequestedOutputs(req.outputs, sig, binaryDefault, limits),
    batch: batch ?? 1,
  };
}

function parseRequestedOutputs(
  raw: unknown,
  sig: ModelSignature,
  binaryDefault: boolean,
  limits: ServeLimits,
): RequestedOutput[] {
  if (raw === undefined) return sig.outputs.map((o) => ({ name: o.name, binary: binaryDefault }));
  if (!Array.isArray(raw)) throw bad(`'outputs' must be an array`);
  if (raw.length > limits.maxTensors)
    throw new ProtocolError(413, `${raw.length} outputs exceed the limit of ${limits.maxTensors}`);
  const seen = new Set<string>();
  return raw.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string')
      throw bad(`outputs[${i}] must be an object with a string 'name'`);
    if (!sig.outputs.some((m) => m.name === o.name)) {
      throw bad(
        `output '${o.name}' is not an output of the model (outputs: ${sig.outputs.map((m) => m.name).join(', ')})`,
      );
    }
    if (seen.has(o.name)) throw bad(`output '${o.name}' is requested twice`);
    seen.add(o.name);
    const p = readParameters(o, `output '${o.name}'`);
    if (p.binary_data !== undefined && typeof p.binary_data !== 'boolean')
      throw bad(`output '${o.name}': binary_data must be a boolean`);
    const meta = sig.outputs.find((m) => m.name === o.name)!;
    const classCount = checkClassCount(p.classification, meta);
    return {
      name: o.name,
      binary: (p.binary_data as boolean | undefined) ?? binaryDefault,
      ...(classCount !== undefined ? { classCount } : {}),
    };
  });
}

export * from './response.js';
