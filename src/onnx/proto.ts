import onnxProto from 'onnx-proto';
import type { onnx as OnnxNamespace } from 'onnx-proto';

/** The generated ONNX protobuf classes (from onnx-proto, decoded with protobufjs). */
export const onnx: typeof OnnxNamespace = (onnxProto as unknown as { onnx: typeof OnnxNamespace }).onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** A decoded ONNX model. */
export type ModelProto = OnnxNamespace.ModelProto;
/** A decoded ONNX tensor. */
export type TensorProto = OnnxNamespace.ITensorProto;
/** A decoded ONNX node. */
export type NodeProto = OnnxNamespace.INodeProto;
/** A decoded ONNX graph. */
export type GraphProto = OnnxNamespace.IGraphProto;
/** A decoded ONNX attribute. */
export type AttributeProto = OnnxNamespace.IAttributeProto;
/** A decoded ONNX value info. */
export type ValueInfoProto = OnnxNamespace.IValueInfoProto;

/** ONNX TensorProto.DataType codes to edgesplit dtype names. */
export const ONNX_DTYPE: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** Bytes per element of ONNX dtype names (0 for string). */
export const ONNX_DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  int32: 4,
  int64: 8,
  string: 0,
  bool: 1,
  float16: 2,
  float64: 8,
  uint32: 4,
  uint64: 8,
  bfloat16: 2,
};

/** Converts protobufjs int64 fields (number or Long) to number. */
export function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
