/** Hand-built tiny ONNX models (via onnx-proto) for evaluation tests; weights are given, not random. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel } from '../../src/onnx/io.js';
import { onnx } from '../../src/onnx/proto.js';

type Dim = number | string;

function valueInfo(name: string, shape: Dim[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

interface TinyNode {
  op: string;
  inputs: string[];
  outputs: string[];
}

/** Writes a model and returns its path. */
export function writeTinyModel(
  dir: string,
  file: string,
  spec: {
    inputs: [string, Dim[]][];
    outputs: [string, Dim[]][];
    nodes: TinyNode[];
    initializers?: { name: string; dims: number[]; data?: Float32Array; int64?: number[] }[];
  },
): string {
  const model = onnx.ModelProto.fromObject({
    irVersion: 8,
    producerName: 'edgesplit-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: file,
      node: spec.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
      })),
      input: spec.inputs.map(([n, s]) => valueInfo(n, s)),
      output: spec.outputs.map(([n, s]) => valueInfo(n, s)),
      initializer: (spec.initializers ?? []).map((t) =>
        t.int64
          ? { name: t.name, dims: t.dims, dataType: 7, int64Data: t.int64 }
          : { name: t.name, dims: t.dims, dataType: 1, floatData: [...t.data!] },
      ),
    },
  });
  const path = join(dir, file);
  writeFileSync(path, encodeModel(model));
  return path;
}

/** A fresh temporary directory for models. */
export function tempModelDir(): string {
  return mkdtempSync(join(tmpdir(), 'edgesplit-zoo-test-'));
}

/** A linear classifier: logits = flatten(x) @ w, outputs named as given (one weight matrix per output). */
export function linearClassifier(dir: string, file: string, weights: Record<string, Float32Array>): string {
  const names = Object.keys(weights);
  return writeTinyModel(dir, file, {
    inputs: [['input', ['N', 1, 28, 28]]],
    outputs: names.map((n) => [n, ['N', 10]] as [string, Dim[]]),
    nodes: [
      { op: 'Flatten', inputs: ['input'], outputs: ['flat'] },
      ...names.map((n) => ({ op: 'MatMul', inputs: ['flat', `w_${n}`], outputs: [n] })),
    ],
    initializers: names.map((n) => ({ name: `w_${n}`, dims: [784, 10], data: weights[n] })),
  });
}

/** An autoencoder that returns its input unchanged. */
export function identityAutoencoder(dir: string): string {
  return writeTinyModel(dir, 'identity-ae.onnx', {
    inputs: [['input', ['N', 1, 28, 28]]],
    outputs: [['recon', ['N', 1, 28, 28]]],
    nodes: [{ op: 'Identity', inputs: ['input'], outputs: ['recon'] }],
  });
}

/** An "encoder" that flattens to [N,784] and a "decoder" that reshapes back. */
export function flattenEncoderDecoder(dir: string): { encoder: string; decoder: string } {
  const encoder = writeTinyModel(dir, 'flat-encoder.onnx', {
    inputs: [['input', ['N', 1, 28, 28]]],
    outputs: [['latent', ['N', 784]]],
    nodes: [{ op: 'Flatten', inputs: ['input'], outputs: ['latent'] }],
  });
  const decoder = writeTinyModel(dir, 'flat-decoder.onnx', {
    inputs: [['latent', ['N', 784]]],
    outputs: [['recon', ['N', 1, 28, 28]]],
    nodes: [{ op: 'Reshape', inputs: ['latent', 'shape'], outputs: ['recon'] }],
    initializers: [{ name: 'shape', dims: [4], int64: [-1, 1, 28, 28] }],
  });
  return { encoder, decoder };
}
