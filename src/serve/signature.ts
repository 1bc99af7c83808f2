import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { EdgesplitError, OnnxDecodeError, errorMessage } from '../core/errors.js';
import type { V2Datatype } from './datatypes.js';
import type { ModelSignature, TensorMeta } from './protocol.js';

const { onnx } = onnxProto;

const ELEM_TO_V2: Readonly<Record<number, V2Datatype>> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
};

function toMeta(v: onnxProto.onnx.IValueInfoProto, where: string): TensorMeta {
  const tt = v.type?.tensorType;
  if (!tt) throw new EdgesplitError('E_ONNX_INVALID', `${where}: '${v.name}' is not a tensor`);
  const datatype = ELEM_TO_V2[tt.elemType ?? 0];
  if (!datatype) throw new EdgesplitError('E_ONNX_INVALID', `${where}: '${v.name}' has unsupported element type ${tt.elemType}`);
  const dims = tt.shape?.dim ?? [];
  const shape = dims.map((d) => (d.dimParam ? -1 : Number(d.dimValue ?? 0)));
  return { name: v.name ?? '', datatype, shape: shape.map((d) => (d > 0 ? d : -1)) };
}

/**
 * Reads a model's graph inputs (initializers excluded) and outputs as v2 tensor metadata.
 * Symbolic or unknown dimensions become -1. Only the protobuf header fields are used.
 */
export function signatureFromBytes(bytes: Uint8Array, where: string): ModelSignature {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxDecodeError(`${where}: not a valid ONNX model: ${errorMessage(err)}`, { cause: err });
  }
  const graph = model.graph;
  if (!graph) throw new EdgesplitError('E_ONNX_INVALID', `${where}: the model has no graph`);
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((v) => !inits.has(v.name)).map((v) => toMeta(v, where)),
    outputs: (graph.output ?? []).map((v) => toMeta(v, where)),
  };
}

/** Reads the signature of an ONNX file; errors name the file. */
export async function readModelSignature(path: string): Promise<ModelSignature> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new EdgesplitError('E_IO', `cannot read model ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return signatureFromBytes(bytes, path);
}
