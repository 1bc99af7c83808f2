import { onnx, type ModelProto, type OnnxTypes } from '../../src/onnx/proto.js';

/** Small onnx-proto constructors for hand-written test graphs. */
export type Attr = OnnxTypes.IAttributeProto;

export const ints = (name: string, v: number[]): Attr => ({ name, type: 7, ints: v });
export const int = (name: string, v: number): Attr => ({ name, type: 2, i: v });
export const float = (name: string, v: number): Attr => ({ name, type: 1, f: v });
export const str = (name: string, v: string): Attr => ({ name, type: 3, s: new TextEncoder().encode(v) });

/** A value_info with a tensor type; string dims are symbolic. */
export const vi = (name: string, dims: (number | string)[], elemType = 1): OnnxTypes.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

export const i64 = (name: string, values: number[]): OnnxTypes.ITensorProto => ({
  name,
  dims: [values.length],
  dataType: 7,
  int64Data: values,
});

/** A zero-filled float32 initializer. */
export const f32 = (name: string, dims: number[]): OnnxTypes.ITensorProto => ({
  name,
  dims,
  dataType: 1,
  rawData: new Uint8Array(dims.reduce((a, b) => a * b, 1) * 4),
});

const RAW = {
  1: Float32Array,
  2: Uint8Array,
  3: Int8Array,
  6: Int32Array,
} as const;

/**
 * An initializer of ONNX type `dataType` (1 float32, 2 uint8, 3 int8, 6 int32) whose i-th element is
 * `value(i)`; scalars have `dims` [].
 */
export function tensor(
  name: string,
  dims: number[],
  dataType: keyof typeof RAW,
  value: (i: number) => number,
): OnnxTypes.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new RAW[dataType](n);
  for (let i = 0; i < n; i++) data[i] = value(i);
  return { name, dims, dataType, rawData: new Uint8Array(data.buffer) };
}

export const node = (
  opType: string,
  input: string[],
  output: string[],
  attribute: Attr[] = [],
  name = output[0],
  domain?: string,
): OnnxTypes.INodeProto => ({ opType, input, output, attribute, name, ...(domain ? { domain } : {}) });

/** A model of one graph `g`, default-domain opset `opset`. */
export function model(
  nodes: OnnxTypes.INodeProto[],
  inputs: OnnxTypes.IValueInfoProto[],
  outputs: OnnxTypes.IValueInfoProto[],
  inits: OnnxTypes.ITensorProto[] = [],
  valueInfo: OnnxTypes.IValueInfoProto[] = [],
  opset = 13,
): ModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: inits, valueInfo },
  });
}
