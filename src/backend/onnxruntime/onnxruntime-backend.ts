import * as ort from 'onnxruntime-node';
import { EdgesplitError, errorMessage } from '../../core/errors.js';
import type { DType, Tensor } from '../../core/tensor.js';
import type { InferenceBackend, InferenceSession, LoadOptions } from '../backend.js';
import { loadBindingSession, type BindingSession } from './ort-binding.js';

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

function backendError(err: unknown): EdgesplitError {
  return new EdgesplitError('E_BACKEND', `onnxruntime run failed: ${errorMessage(err)}`, { cause: err });
}

/** Through the public API (when the native binding is not the one {@link loadBindingSession} knows). */
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
      throw backendError(err);
    }
    const result: Record<string, Tensor> = {};
    for (const name in out) result[name] = fromOrt(out[name], name);
    return result;
  }
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Straight on the native session: the same inference, without the public API's per-call deferral. */
class BindingOrtSession implements InferenceSession {
  constructor(private readonly s: BindingSession) {}
  get inputNames(): readonly string[] {
    return this.s.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.s.outputNames;
  }
  run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor>> {
    let out: ReturnType<BindingSession['native']['run']>;
    try {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const name in feeds) ortFeeds[name] = toOrt(feeds[name], name);
      out = this.s.native.run(ortFeeds, outputNames ? this.fetches(outputNames) : this.s.allOutputs, {});
    } catch (err) {
      return Promise.reject(err instanceof EdgesplitError ? err : backendError(err));
    }
    const result: Record<string, Tensor> = {};
    try {
      for (const name in out) result[name] = fromOrt(out[name] as ort.Tensor, name);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve(result);
  }
  private fetches(names: readonly string[]): Record<string, null> {
    const f: Record<string, null> = {};
    for (const n of names) {
      if (!this.s.outputNames.includes(n))
        throw new EdgesplitError('E_BACKEND', `onnxruntime run failed: '${n}' is not an output of the model`);
      f[n] = null;
    }
    return f;
  }
  release(): Promise<void> {
    this.s.native.dispose();
    return Promise.resolve();
  }
}

/**
 * An onnxruntime-node CPU backend: `direct` runs sessions on the native binding when it is the one
 * {@link loadBindingSession} knows (else, and with `direct` false, through the public API).
 */
function ortBackend(direct: boolean): InferenceBackend {
  return {
    name: 'onnxruntime-node',
    async load(model: string | Uint8Array, options: LoadOptions = {}): Promise<InferenceSession> {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
      };
      try {
        const native = direct ? loadBindingSession(model, sessionOptions) : undefined;
        if (native) return new BindingOrtSession(native);
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
}

/** The onnxruntime-node CPU backend (these modules are the only ones that import onnxruntime-node). */
export const onnxruntimeBackend: InferenceBackend = ortBackend(true);

/** The same backend through onnxruntime-node's public API only (to check the direct path against). */
export const onnxruntimePublicBackend: InferenceBackend = ortBackend(false);
