import { EdgesplitError } from '../core/errors.js';
import { decodeModel, loadModelFile } from '../onnx/io.js';
import { ONNX_DTYPE, type ModelProto, type ValueInfoProto } from '../onnx/proto.js';
import { V2_OF_ONNX } from './datatypes.js';
import type { ModelSignature, TensorMeta } from './protocol.js';

function toMeta(v: ValueInfoProto, where: string): TensorMeta {
  const tt = v.type?.tensorType;
  if (!tt) throw new EdgesplitError('E_ONNX_INVALID', `${where}: '${v.name}' is not a tensor`);
  const datatype = V2_OF_ONNX[ONNX_DTYPE[tt.elemType ?? 0] ?? ''];
  if (!datatype)
    throw new EdgesplitError(
      'E_ONNX_INVALID',
      `${where}: '${v.name}' has unsupported element type ${tt.elemType}`,
    );
  // symbolic and unset dimensions are both dynamic (-1) in the v2 metadata
  const shape = (tt.shape?.dim ?? [])
    .map((d) => (d.dimParam ? -1 : Number(d.dimValue ?? 0)))
    .map((d) => (d > 0 ? d : -1));
  return { name: v.name ?? '', datatype, shape };
}

/** A decoded model's graph inputs (initializers excluded) and outputs as v2 tensor metadata. */
export function signatureOf(model: ModelProto, where: string): ModelSignature {
  const graph = model.graph;
  if (!graph) throw new EdgesplitError('E_ONNX_INVALID', `${where}: the model has no graph`);
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((v) => !inits.has(v.name)).map((v) => toMeta(v, where)),
    outputs: (graph.output ?? []).map((v) => toMeta(v, where)),
  };
}

/** Signature of ONNX bytes; errors name `where`. */
export function signatureFromBytes(bytes: Uint8Array, where: string): ModelSignature {
  return signatureOf(decodeModel(bytes, where), where);
}

/** Reads the signature of an ONNX file (external weight files are not read); errors name the file. */
export async function readModelSignature(path: string): Promise<ModelSignature> {
  return signatureOf(await loadModelFile(path), path);
}
