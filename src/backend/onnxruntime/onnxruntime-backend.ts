import * as ort from 'onnxruntime-node';
import { EdgesplitError, errorMessage } from '../../core/errors.js';
import type { DType, Tensor } from '../../core/tensor.js';
import type { InferenceBackend, InferenceSession, LoadOptions } from '../backend.js';

const TO_ORT: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  int8: 'int8',
  int16: 'int16',
  bool: 'bool',
};

function toOrt(t: Tensor, name: string): ort.Tensor {
  const type = TO_ORT[t.dtype];
  if (!type)
    throw new EdgesplitError(
      'E_BACKEND',
      `input '${name}': dtype ${t.dtype} is not supported by onnxruntime`,
    );
  // neither side changes a tensor's dims: shared, not copied
  return new ort.Tensor(type, t.data as ort.Tensor.DataType, t.dims);
}

const FROM_ORT: ReadonlySet<string> = new Set(Object.values(TO_ORT));

function fromOrt(t: ort.Tensor, name: string): Tensor {
  if (!FROM_ORT.has(t.type))
    throw new EdgesplitError('E_BACKEND', `output '${name}': dtype ${t.type} is not supported`);
  return { dtype: t.type as DType, dims: t.dims, data: t.data as Tensor['data'] };
}

class OrtSession implements InferenceSession {
  constructor(private readonly session: ort.InferenceSession) {}
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }
  async run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name in feeds) ortFeeds[name] = toOrt(feeds[name], name);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = outputNames
        ? await this.session.run(ortFeeds, [...outputNames])
        : await this.session.run(ortFeeds);
    } catch (err) {
      throw new EdgesplitError('E_BACKEND', `onnxruntime run failed: ${errorMessage(err)}`, { cause: err });
    }
    const result: Record<string, Tensor> = {};
    for (const name in out) result[name] = fromOrt(out[name], name);
    return result;
  }
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The onnxruntime-node CPU backend; the only module that imports onnxruntime-node. */
export const onnxruntimeBackend: InferenceBackend = {
  name: 'onnxruntime-node',
  async load(model: string | Uint8Array, options: LoadOptions = {}): Promise<InferenceSession> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
    };
    try {
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
      return new OrtSession(session);
    } catch (err) {
      const what = typeof model === 'string' ? model : `${model.byteLength}-byte model`;
      throw new EdgesplitError('E_BACKEND', `onnxruntime could not load ${what}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  },
};
