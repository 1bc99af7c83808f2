/**
 * Triton's model configuration (`GET /v2/models/{m}/config`, gRPC `ModelConfig`) of a served ONNX
 * model, with the fields Triton returns for an ONNX Runtime model with dynamic batching. Field names
 * are Triton's (model_config.proto, snake_case as in its JSON form), so the same object is the REST
 * body and the gRPC message.
 */
import { V2_TYPES } from './datatypes.js';
import type { TensorMeta } from './protocol.js';
import type { ServedModel } from './served-model.js';

/** Parameter carrying the model's MACs per sample (edgesplit's profiler), for `hi`'s accounting. */
export const MACS_PARAMETER = 'edgesplit_macs_per_sample';

/** The subset of Triton's ModelConfig edgesplit fills. */
export interface TritonModelConfig {
  readonly name: string;
  readonly platform: 'onnxruntime_onnx';
  readonly backend: 'onnxruntime';
  readonly max_batch_size: number;
  readonly input: readonly { name: string; data_type: string; format: 'FORMAT_NONE'; dims: number[] }[];
  readonly output: readonly { name: string; data_type: string; dims: number[]; label_filename: '' }[];
  readonly dynamic_batching?: {
    readonly preferred_batch_size: number[];
    readonly max_queue_delay_microseconds: number;
    readonly preserve_ordering: boolean;
  };
  readonly instance_group: readonly { name: string; kind: 'KIND_CPU'; count: number; gpus: number[] }[];
  readonly default_model_filename: 'model.onnx';
  readonly parameters: Readonly<Record<string, { string_value: string }>>;
}

/** Batching settings a config reports. */
export interface ConfigBatching {
  readonly maxBatch: number;
  readonly maxDelayMs: number;
}

/**
 * Triton's config for a served model. A batched model reports `max_batch_size` and dims without the
 * batch dimension (Triton's convention), plus `dynamic_batching`; an unbatched one `max_batch_size 0`
 * and its full dims. Dynamic dims are -1.
 */
export function modelConfigOf(m: ServedModel, b: ConfigBatching, macs?: number): TritonModelConfig {
  const dims = (t: TensorMeta) => (m.batched ? t.shape.slice(1) : [...t.shape]);
  return {
    name: m.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: m.batched ? b.maxBatch : 0,
    input: m.signature.inputs.map((t) => ({
      name: t.name,
      data_type: V2_TYPES[t.datatype].triton,
      format: 'FORMAT_NONE',
      dims: dims(t),
    })),
    output: m.signature.outputs.map((t) => ({
      name: t.name,
      data_type: V2_TYPES[t.datatype].triton,
      dims: dims(t),
      label_filename: '',
    })),
    ...(m.batched
      ? {
          dynamic_batching: {
            preferred_batch_size: [b.maxBatch],
            max_queue_delay_microseconds: Math.round(b.maxDelayMs * 1000),
            preserve_ordering: false,
          },
        }
      : {}),
    instance_group: [{ name: m.name, kind: 'KIND_CPU', count: 1, gpus: [] }],
    default_model_filename: 'model.onnx',
    parameters: macs !== undefined ? { [MACS_PARAMETER]: { string_value: String(macs) } } : {},
  };
}
