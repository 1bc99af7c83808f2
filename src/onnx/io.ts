import { readFile, stat } from 'node:fs/promises';
import { writeOutputFile } from '../core/output-file.js';
import { EdgesplitError, OnnxDecodeError, errorMessage } from '../core/errors.js';
import { onnx, type ModelProto, type OnnxTypes } from './proto.js';

/** Largest model file edgesplit reads into memory (protobuf's own 2 GiB limit). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/**
 * Decodes ONNX bytes into a ModelProto and checks the structure edgesplit relies on.
 * Weights stored as external data are left as references; their files are never opened here.
 * @param source name used in error messages (usually the file path)
 */
export function decodeModel(bytes: Uint8Array, source = '<bytes>'): ModelProto {
  if (bytes.byteLength === 0) throw new OnnxDecodeError(`${source}: empty file, not an ONNX model`);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxDecodeError(
      `${source}: not a valid ONNX model (protobuf decode failed: ${errorMessage(err)})`,
      {
        cause: err,
      },
    );
  }
  validateModel(model, source);
  return model;
}

function validateModel(model: ModelProto, source: string): void {
  const bad = (what: string) => {
    throw new OnnxDecodeError(`${source}: not a valid ONNX model (${what})`);
  };
  const verify = onnx.ModelProto.verify(model);
  if (verify) bad(verify);
  if (!model.graph) bad('no graph');
  const graph = model.graph as OnnxTypes.GraphProto;
  if (!model.irVersion || Number(model.irVersion) <= 0 || Number(model.irVersion) > 100)
    bad(`ir_version ${String(model.irVersion)}`);
  if (graph.node.length === 0) bad('graph has no nodes');
  if (graph.output.length === 0) bad('graph has no outputs');
  graph.node.forEach((n, i) => {
    if (!n.opType) bad(`node #${i} '${n.name ?? ''}' has no op_type`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(n.opType!)) bad(`node #${i} has op_type '${n.opType}'`);
  });
  for (const v of [...graph.input, ...graph.output]) if (!v.name) bad('a graph input or output has no name');
  for (const t of graph.initializer) if (!t.name) bad('an initializer has no name');
}

/** Encodes a ModelProto to bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Reads and decodes an ONNX file. External-data weights are not read. */
export async function loadModelFile(path: string): Promise<ModelProto> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new EdgesplitError('E_IO', `${path}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof EdgesplitError) throw err;
    throw new EdgesplitError('E_IO', `${path}: cannot read model file (${errorMessage(err)})`, {
      cause: err,
    });
  }
  if (size > MAX_MODEL_BYTES) {
    throw new EdgesplitError(
      'E_IO',
      `${path}: ${size} bytes exceeds the 2 GiB protobuf limit; store weights as external data`,
    );
  }
  return decodeModel(await readFile(path), path);
}

/** Encodes and writes a model, creating its directory if needed; a failure is an `E_IO` error naming the file. */
export async function saveModelFile(path: string, model: ModelProto): Promise<void> {
  await writeOutputFile(path, encodeModel(model), 'model file');
}
