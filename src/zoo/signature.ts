/** Graph inputs and outputs of an ONNX file, with shapes, as declared in the model. */
import { EdgesplitError } from '../core/errors.js';
import { loadModelFile } from '../onnx/io.js';
import type { ValueInfoProto } from '../onnx/proto.js';

/** A declared input or output: name and dims, symbolic or unknown dims as their name or '?'. */
export interface DeclaredTensor {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

/** Declared inputs (initializers excluded) and outputs of a model. */
export interface ModelSignature {
  readonly inputs: readonly DeclaredTensor[];
  readonly outputs: readonly DeclaredTensor[];
}

function declared(v: ValueInfoProto, source: string): DeclaredTensor {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims)
    throw new EdgesplitError('E_ONNX_INVALID', `${source}: '${v.name}' has no declared tensor shape`);
  const shape = dims.map((d) => {
    if (d.dimParam) return d.dimParam;
    const n = Number(d.dimValue ?? 0);
    return n > 0 ? n : '?';
  });
  return { name: v.name ?? '', shape };
}

/** Reads the declared signature of an ONNX file (weights stored externally are not read). */
export async function readSignature(path: string): Promise<ModelSignature> {
  const model = await loadModelFile(path);
  const graph = model.graph!;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((v) => !inits.has(v.name)).map((v) => declared(v, path)),
    outputs: (graph.output ?? []).map((v) => declared(v, path)),
  };
}

/** Formats a shape as `[N,1,28,28]`. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * True when a declared shape fits the concrete one: same rank, each fixed dim equal; a symbolic first
 * dim (the batch) matches anything, a symbolic later dim matches anything too.
 */
export function shapeMatches(
  declaredShape: readonly (number | string)[],
  concrete: readonly number[],
): boolean {
  return (
    declaredShape.length === concrete.length &&
    declaredShape.every((d, i) => typeof d === 'string' || d === concrete[i])
  );
}
