/**
 * onnxruntime-node's native session, run synchronously. The public `InferenceSession.run` of
 * onnxruntime-node 1.30 defers every call with `setImmediate` and re-checks its arguments and
 * results in JavaScript (about 10 us per call on this repo's 2-core machine, whole-model and stage
 * models alike); the native binding under it does the same inference on the same main thread
 * without that. A stage node runs one inference per sample, so that is per-sample overhead.
 *
 * This reaches into onnxruntime-node's `dist/binding.js`, which is not its public API: it is used
 * only when that module has the shape it had in 1.30 (else {@link loadBindingSession} returns
 * undefined and the caller keeps the public API), and `test/backend/onnxruntime.test.ts` checks
 * that both give the same outputs.
 */
import { createRequire } from 'node:module';
import type * as ort from 'onnxruntime-node';

/** The native session class of onnxruntime-node 1.30 (the methods used here). */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  loadModel(path: string, options: object): void;
  readonly inputMetadata: readonly { readonly name: string }[];
  readonly outputMetadata: readonly { readonly name: string }[];
  run(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, { readonly type: string; readonly dims: readonly number[]; readonly data: unknown }>;
  dispose(): void;
}

interface BindingModule {
  readonly binding: { readonly InferenceSession: new () => NativeSession };
  readonly initOrt: () => void;
}

let cached: BindingModule | null | undefined;

function bindingModule(): BindingModule | undefined {
  if (cached === undefined) {
    try {
      const m = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as Partial<BindingModule>;
      const S = m.binding?.InferenceSession;
      cached =
        typeof S === 'function' &&
        typeof m.initOrt === 'function' &&
        ['loadModel', 'run', 'dispose'].every(
          (k) => typeof (S.prototype as Record<string, unknown>)[k] === 'function',
        )
          ? (m as BindingModule)
          : null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/** A loaded native session and its input and output names. */
export interface BindingSession {
  readonly native: NativeSession;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Every output, as the `fetches` argument of {@link NativeSession.run}. */
  readonly allOutputs: Record<string, null>;
}

/**
 * Loads `model` into a native session with the options the public API would pass (onnxruntime-node
 * 1.30 hands them to the binding as given); undefined when the binding is not the expected one.
 * Load errors are thrown as the binding reports them.
 */
export function loadBindingSession(
  model: string | Uint8Array,
  options: ort.InferenceSession.SessionOptions,
): BindingSession | undefined {
  const m = bindingModule();
  if (!m) return undefined;
  m.initOrt();
  const native = new m.binding.InferenceSession();
  if (typeof model === 'string') native.loadModel(model, options);
  else native.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
  const inputNames = native.inputMetadata.map((x) => x.name);
  const outputNames = native.outputMetadata.map((x) => x.name);
  const allOutputs: Record<string, null> = {};
  for (const n of outputNames) allOutputs[n] = null;
  return { native, inputNames, outputNames, allOutputs };
}
