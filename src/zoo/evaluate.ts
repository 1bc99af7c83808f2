/**
 * Evaluates an ONNX model on a named dataset through an inference backend (onnxruntime-node by default):
 * accuracy for classifiers, mean SSIM for autoencoders (denoisers get seeded Gaussian noise on the input
 * and are compared to the clean image), plus throughput.
 */
import { basename } from 'node:path';
import type { InferenceBackend, InferenceSession } from '../backend/backend.js';
import { onnxruntimeBackend } from '../backend/onnxruntime/onnxruntime-backend.js';
import { EdgesplitError, UsageError } from '../core/errors.js';
import { float32Tensor, type Tensor } from '../core/tensor.js';
import { batches, loadDataset, type Dataset } from '../data/datasets.js';
import { countCorrect, sumSsim } from '../data/metrics.js';
import { mulberry32 } from '../core/random.js';
import { addGaussianNoise, gaussianSource } from './noise.js';
import {
  formatShape,
  readSignature,
  shapeMatches,
  type DeclaredTensor,
  type ModelSignature,
} from './signature.js';

/** Tasks eval can measure. */
export type EvalTask = 'classification' | 'reconstruction' | 'denoising';

/** Largest batch accepted (bounds the memory of one run). */
export const MAX_EVAL_BATCH = 4096;
/** Number of classes of every dataset edgesplit knows. */
export const NUM_CLASSES = 10;

/** Options of evaluateModel. */
export interface EvalOptions {
  /** Dataset name; default `fashion-mnist-test`. */
  dataset?: string;
  /** Evaluate only the first `limit` images. */
  limit?: number;
  /** Images per run; default 256. */
  batchSize?: number;
  /** Task; detected from the outputs when omitted ([N,10] classification, [N,1,H,W] reconstruction). */
  task?: EvalTask;
  /** Noise std-dev for `denoising` (required then). */
  noiseSigma?: number;
  /** Clip noisy inputs to [0,1]; default true. */
  noiseClip?: boolean;
  /** Seed of the noise PRNG; default 0. */
  noiseSeed?: number;
  /** For decoders: an encoder model that turns images into the decoder's input first. */
  encoderPath?: string;
  /** onnxruntime intra-op threads; default 1. */
  intraOpThreads?: number;
  /** Backend; default onnxruntime-node. */
  backend?: InferenceBackend;
  /** Called after each batch with images done and total. */
  onProgress?: (done: number, total: number) => void;
  /** An already loaded dataset (skips loading `dataset`/`limit`). */
  data?: Dataset;
}

/** What evaluateModel measured. */
export interface EvalResult {
  readonly model: string;
  readonly dataset: string;
  readonly task: EvalTask;
  readonly samples: number;
  /** The output the headline metric is measured on. */
  readonly output: string;
  /** Classifiers: accuracy of `output`. */
  readonly accuracy?: number;
  /** Classifiers with several logits outputs: accuracy of each. */
  readonly perOutput?: Readonly<Record<string, number>>;
  /** Autoencoders: mean SSIM of `output` against the clean images. */
  readonly ssim?: number;
  readonly noiseSigma?: number;
  /** Decoders: the encoder run first. */
  readonly composedWith?: string;
  readonly batchSize: number;
  /** Seconds spent inside the backend's run calls. */
  readonly inferenceSeconds: number;
  /** Images per second of inference. */
  readonly throughputPerS: number;
}

function imageInput(sig: ModelSignature, path: string, ds: Dataset): DeclaredTensor {
  const want = ['N', 1, ds.height, ds.width];
  if (sig.inputs.length !== 1) {
    throw new EdgesplitError(
      'E_USAGE',
      `${path}: has ${sig.inputs.length} inputs (${sig.inputs.map((i) => i.name).join(', ')}); eval feeds one image input ${formatShape(want)}`,
    );
  }
  const input = sig.inputs[0];
  if (!shapeMatches(input.shape, [1, 1, ds.height, ds.width])) {
    throw new EdgesplitError(
      'E_USAGE',
      `${path}: input '${input.name}' has shape ${formatShape(input.shape)}; eval feeds ${ds.name} images of shape ${formatShape(want)}`,
    );
  }
  return input;
}

/** Detects the task from declared outputs: any [N,10] output means classification, [N,1,H,W] reconstruction. */
export function detectTask(sig: ModelSignature, height: number, width: number): EvalTask | undefined {
  if (sig.outputs.some((o) => shapeMatches(o.shape, [1, NUM_CLASSES]))) return 'classification';
  if (sig.outputs.some((o) => shapeMatches(o.shape, [1, 1, height, width]))) return 'reconstruction';
  return undefined;
}

/** Evaluates one ONNX model; see EvalOptions. */
export async function evaluateModel(modelPath: string, options: EvalOptions = {}): Promise<EvalResult> {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_EVAL_BATCH) {
    throw new UsageError(`batch size must be an integer in 1..${MAX_EVAL_BATCH}, got ${batchSize}`);
  }
  const ds = options.data ?? loadDataset(options.dataset ?? 'fashion-mnist-test', { limit: options.limit });
  const sig = await readSignature(modelPath);
  const encSig = options.encoderPath ? await readSignature(options.encoderPath) : undefined;
  const first = imageInput(encSig ?? sig, options.encoderPath ?? modelPath, ds);
  const task = options.task ?? detectTask(sig, ds.height, ds.width);
  if (!task) {
    const outs = sig.outputs.map((o) => `'${o.name}' ${formatShape(o.shape)}`).join(', ');
    throw new EdgesplitError(
      'E_USAGE',
      `${modelPath}: cannot tell what to measure from its outputs (${outs}); eval needs logits [N,${NUM_CLASSES}] or an image [N,1,${ds.height},${ds.width}]`,
    );
  }
  const wanted = task === 'classification' ? [1, NUM_CLASSES] : [1, 1, ds.height, ds.width];
  const matching = sig.outputs.filter((o) => shapeMatches(o.shape, wanted));
  const scored = task === 'classification' ? matching : matching.slice(0, 1);
  if (scored.length === 0) {
    throw new EdgesplitError(
      'E_USAGE',
      `${modelPath}: task '${task}' needs an output of shape ${formatShape(['N', ...wanted.slice(1)])}`,
    );
  }
  if (task === 'denoising' && !(options.noiseSigma !== undefined && options.noiseSigma > 0)) {
    throw new UsageError(`${modelPath}: denoising evaluation needs a noise sigma > 0`);
  }
  if (encSig && encSig.outputs.length !== 1)
    throw new UsageError(`${options.encoderPath}: an encoder must have exactly one output`);
  if (encSig && sig.inputs.length !== 1)
    throw new UsageError(`${modelPath}: a decoder composed with an encoder must have one input`);

  const backend = options.backend ?? onnxruntimeBackend;
  const load = { intraOpThreads: options.intraOpThreads ?? 1 };
  const sessions: InferenceSession[] = [];
  try {
    const encoder = options.encoderPath ? await backend.load(options.encoderPath, load) : undefined;
    if (encoder) sessions.push(encoder);
    const session = await backend.load(modelPath, load);
    sessions.push(session);
    const normal = gaussianSource(mulberry32(options.noiseSeed ?? 0));
    const correct = new Map<string, number>(scored.map((o) => [o.name, 0]));
    let ssimTotal = 0;
    let runMs = 0;
    let done = 0;
    for (const batch of batches(ds, batchSize)) {
      let input: Tensor = batch.input;
      if (task === 'denoising') {
        const noisy = addGaussianNoise(batch.input.data as Float32Array, normal, {
          sigma: options.noiseSigma!,
          clip: options.noiseClip ?? true,
        });
        input = float32Tensor(batch.input.dims, noisy);
      }
      const t0 = performance.now();
      if (encoder) {
        const latent = await encoder.run({ [first.name]: input });
        input = latent[encSig!.outputs[0].name];
      }
      const feedName = encoder ? sig.inputs[0].name : first.name;
      const out = await session.run(
        { [feedName]: input },
        scored.map((o) => o.name),
      );
      runMs += performance.now() - t0;
      for (const o of scored) {
        const t = out[o.name];
        if (!t || t.dtype !== 'float32')
          throw new EdgesplitError('E_BACKEND', `${modelPath}: output '${o.name}' missing or not float32`);
        if (task === 'classification')
          correct.set(
            o.name,
            correct.get(o.name)! + countCorrect(t.data as Float32Array, batch.labels, NUM_CLASSES),
          );
      }
      if (task !== 'classification') {
        ssimTotal += sumSsim(
          out[scored[0].name].data as Float32Array,
          batch.input.data as Float32Array,
          batch.size,
          ds.height,
          ds.width,
        );
      }
      done += batch.size;
      options.onProgress?.(done, ds.count);
    }
    const inferenceSeconds = runMs / 1000;
    const common = {
      model: basename(modelPath),
      dataset: ds.name,
      task,
      samples: ds.count,
      batchSize,
      inferenceSeconds,
      throughputPerS: inferenceSeconds > 0 ? ds.count / inferenceSeconds : 0,
      ...(options.encoderPath ? { composedWith: basename(options.encoderPath) } : {}),
    };
    if (task === 'classification') {
      const perOutput = Object.fromEntries(scored.map((o) => [o.name, correct.get(o.name)! / ds.count]));
      const output = scored[scored.length - 1].name;
      return { ...common, output, accuracy: perOutput[output], ...(scored.length > 1 ? { perOutput } : {}) };
    }
    return {
      ...common,
      output: scored[0].name,
      ssim: ssimTotal / ds.count,
      ...(task === 'denoising' ? { noiseSigma: options.noiseSigma } : {}),
    };
  } finally {
    for (const s of sessions) await s.release();
  }
}
