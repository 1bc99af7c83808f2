import { EdgesplitError } from '../core/errors.js';
import type { Dim } from '../graph/types.js';
import { V2_OF_ONNX, V2_TYPES } from '../serve/datatypes.js';
import { PbEnum, PbMap, type PbMessage } from './pbtxt.js';

/** A model input or output as the exporter sees it: ONNX dtype name and shape (strings are symbolic). */
export interface TensorSignature {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly Dim[];
}

/** Inputs and outputs of one model. */
export interface ModelSignatureSpec {
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
}

/** Serving settings shared by every exported model. */
export interface TritonOptions {
  /** Largest batch Triton forms; used when every tensor has a symbolic first dim. Default 64. */
  readonly maxBatchSize?: number;
  /** Dynamic batcher's queue delay in microseconds; default 2000 (`edgesplit serve`'s 2 ms). */
  readonly maxQueueDelayUs?: number;
  /** Instances per model; default 1. */
  readonly instances?: number;
  /** Where instances run; default cpu. */
  readonly instanceKind?: 'cpu' | 'gpu';
}

/** Triton data types with no v2 datatype name (the v2 ones come from `V2_TYPES`). */
const TRITON_ONLY: Readonly<Record<string, string>> = { bfloat16: 'TYPE_BF16' };

/** Triton's data type for an ONNX dtype name. */
export function tritonDataType(dtype: string, where: string): string {
  const v2 = V2_OF_ONNX[dtype];
  const t = v2 ? V2_TYPES[v2].triton : TRITON_ONLY[dtype];
  if (!t) throw new EdgesplitError('E_ONNX_INVALID', `${where}: dtype ${dtype} has no Triton data type`);
  return t;
}

/** True when every tensor's first dim is symbolic: Triton may then batch along it. */
export function batchesAlongFirstDim(sig: ModelSignatureSpec): boolean {
  const all = [...sig.inputs, ...sig.outputs];
  return all.length > 0 && all.every((t) => t.shape.length > 0 && typeof t.shape[0] === 'string');
}

function tensors(list: readonly TensorSignature[], batching: boolean, where: string): PbMessage[] {
  return list.map((t) => ({
    name: t.name,
    data_type: new PbEnum(tritonDataType(t.dtype, `${where}, tensor '${t.name}'`)),
    // Triton's dims leave out the batch dim when max_batch_size > 0; -1 marks a variable dim
    dims: (batching ? t.shape.slice(1) : t.shape).map((d) => (typeof d === 'number' ? d : -1)),
  }));
}

function batchFields(
  sig: ModelSignatureSpec,
  o: TritonOptions,
): { batching: boolean; max_batch_size: number } {
  const batching = batchesAlongFirstDim(sig);
  return { batching, max_batch_size: batching ? (o.maxBatchSize ?? 64) : 0 };
}

/**
 * `config.pbtxt` of one ONNX model for Triton's ONNX Runtime backend: inputs and outputs, dynamic
 * batching when the model has a symbolic batch dim, and one instance group.
 */
export function tritonModelConfig(name: string, sig: ModelSignatureSpec, o: TritonOptions = {}): PbMessage {
  const { batching, max_batch_size } = batchFields(sig, o);
  return {
    name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size,
    input: tensors(sig.inputs, batching, name),
    output: tensors(sig.outputs, batching, name),
    dynamic_batching: batching ? { max_queue_delay_microseconds: o.maxQueueDelayUs ?? 2000 } : undefined,
    instance_group: [
      { count: o.instances ?? 1, kind: new PbEnum(o.instanceKind === 'gpu' ? 'KIND_GPU' : 'KIND_CPU') },
    ],
  };
}

/** One model of an ensemble and how its tensors are named in the ensemble. */
export interface EnsembleStep {
  readonly model: string;
  readonly signature: ModelSignatureSpec;
}

/**
 * `config.pbtxt` of an ensemble that chains `steps` in order. Tensors keep their graph names, so a
 * step reads any earlier step's output (a skip connection) or an ensemble input by name; the
 * ensemble's inputs are what no step produces, its outputs `outputs`.
 */
export function tritonEnsembleConfig(
  name: string,
  steps: readonly EnsembleStep[],
  outputs: readonly string[],
  o: TritonOptions = {},
): PbMessage {
  const produced = new Map<string, TensorSignature>();
  const inputs = new Map<string, TensorSignature>();
  for (const s of steps) {
    for (const t of s.signature.inputs)
      if (!produced.has(t.name) && !inputs.has(t.name)) inputs.set(t.name, t);
    for (const t of s.signature.outputs) {
      if (produced.has(t.name))
        throw new EdgesplitError('E_PLAN', `ensemble ${name}: tensor '${t.name}' is produced by two steps`);
      produced.set(t.name, t);
    }
  }
  const outs = outputs.map((n) => {
    const t = produced.get(n);
    if (!t) throw new EdgesplitError('E_PLAN', `ensemble ${name}: output '${n}' is produced by no step`);
    return t;
  });
  const sig = { inputs: [...inputs.values()], outputs: outs };
  const { batching, max_batch_size } = batchFields(sig, o);
  return {
    name,
    platform: 'ensemble',
    max_batch_size,
    input: tensors(sig.inputs, batching, name),
    output: tensors(sig.outputs, batching, name),
    ensemble_scheduling: {
      step: steps.map((s) => ({
        model_name: s.model,
        model_version: -1,
        input_map: new PbMap(s.signature.inputs.map((t) => [t.name, t.name] as const)),
        output_map: new PbMap(s.signature.outputs.map((t) => [t.name, t.name] as const)),
      })),
    },
  };
}

/**
 * A KServe `InferenceService` (serving.kserve.io/v1beta1) serving a Triton model repository with the
 * v2 protocol; `storageUri` is where the repository was uploaded.
 */
export function kserveInferenceService(name: string, storageUri: string): string {
  const k8sName = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return [
    'apiVersion: serving.kserve.io/v1beta1',
    'kind: InferenceService',
    'metadata:',
    `  name: ${k8sName}`,
    'spec:',
    '  predictor:',
    '    model:',
    '      modelFormat:',
    '        name: triton',
    '      protocolVersion: v2',
    `      storageUri: ${JSON.stringify(storageUri)}`,
    '',
  ].join('\n');
}
