import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/datasets.js';
import { meanSsim } from '../../src/data/metrics.js';
import { evaluateModel } from '../../src/zoo/evaluate.js';
import { mulberry32 } from '../../src/core/random.js';
import { addGaussianNoise, gaussianSource } from '../../src/zoo/noise.js';
import {
  flattenEncoderDecoder,
  identityAutoencoder,
  linearClassifier,
  tempModelDir,
  writeTinyModel,
} from './tiny-models.js';

const dir = tempModelDir();
const test = loadDataset('fashion-mnist-test', { limit: 2000 });

/** Nearest-centroid-style weights from the calibration split: column c is the mean class-c image, scaled. */
function centroidWeights(scale: number[]): Float32Array {
  const calib = loadDataset('fashion-mnist-calib');
  const sums = new Float64Array(784 * 10);
  const counts = new Array<number>(10).fill(0);
  for (let n = 0; n < calib.count; n++) {
    const c = calib.labels[n];
    counts[c]++;
    for (let i = 0; i < 784; i++) sums[i * 10 + c] += calib.images[n * 784 + i];
  }
  return Float32Array.from(sums, (v, k) => (v / counts[k % 10] / 100) * scale[k % 10]);
}

/** Independent accuracy in float64, plus the number of rows whose top-2 margin is too small to be sure of. */
function referenceAccuracy(w: Float32Array): { correct: number; nearTies: number } {
  let correct = 0;
  let nearTies = 0;
  for (let n = 0; n < test.count; n++) {
    const logits = new Float64Array(10);
    for (let i = 0; i < 784; i++) {
      const x = test.images[n * 784 + i];
      if (x !== 0) for (let c = 0; c < 10; c++) logits[c] += x * w[i * 10 + c];
    }
    const sorted = [...logits].sort((a, b) => b - a);
    if (sorted[0] - sorted[1] < 1e-4) nearTies++;
    if (logits.indexOf(sorted[0]) === test.labels[n]) correct++;
  }
  return { correct, nearTies };
}

describe('evaluateModel with onnxruntime-node', () => {
  const wA = centroidWeights(new Array(10).fill(1));
  const wB = centroidWeights([1, 1, 1, 1, 1, 1, 1, 1, 1, 0.2]);

  it('classification accuracy matches an independent float64 computation, for every output', async () => {
    const path = linearClassifier(dir, 'centroid.onnx', { first: wA, second: wB });
    const r = await evaluateModel(path, { data: test, batchSize: 300 });
    expect(r.task).toBe('classification');
    expect(r.samples).toBe(2000);
    expect(r.output).toBe('second');
    for (const [name, w] of [
      ['first', wA],
      ['second', wB],
    ] as const) {
      const ref = referenceAccuracy(w);
      expect(Math.abs(r.perOutput![name] * 2000 - ref.correct)).toBeLessThanOrEqual(ref.nearTies);
    }
    expect(r.accuracy).toBe(r.perOutput!.second);
    expect(r.perOutput!.first).not.toBe(r.perOutput!.second);
    expect(r.throughputPerS).toBeGreaterThan(0);
  });

  it('gives the same accuracy for any batch size, including a short last batch', async () => {
    const path = linearClassifier(dir, 'centroid1.onnx', { logits: wA });
    const a = await evaluateModel(path, { data: test, batchSize: 2000 });
    const b = await evaluateModel(path, { data: test, batchSize: 7 });
    expect(b.accuracy).toBe(a.accuracy);
    expect(a.perOutput).toBeUndefined();
  });

  it('reconstruction SSIM of an identity model is 1; denoising compares noisy-input output to the clean image', async () => {
    const path = identityAutoencoder(dir);
    const small = loadDataset('fashion-mnist-test', { limit: 200 });
    const clean = await evaluateModel(path, { data: small, batchSize: 64 });
    expect(clean.task).toBe('reconstruction');
    expect(clean.ssim).toBeCloseTo(1, 12);
    const noisy = await evaluateModel(path, {
      data: small,
      batchSize: 64,
      task: 'denoising',
      noiseSigma: 0.2,
      noiseSeed: 5,
    });
    const expected = meanSsim(
      addGaussianNoise(small.images, gaussianSource(mulberry32(5)), { sigma: 0.2, clip: true }),
      small.images,
      200,
      28,
      28,
    );
    expect(noisy.ssim).toBeCloseTo(expected, 10);
    expect(noisy.ssim!).toBeLessThan(0.9);
    expect(noisy.noiseSigma).toBe(0.2);
    const otherBatch = await evaluateModel(path, {
      data: small,
      batchSize: 200,
      task: 'denoising',
      noiseSigma: 0.2,
      noiseSeed: 5,
    });
    expect(otherBatch.ssim).toBe(noisy.ssim);
    const otherSeed = await evaluateModel(path, {
      data: small,
      batchSize: 64,
      task: 'denoising',
      noiseSigma: 0.2,
      noiseSeed: 6,
    });
    expect(otherSeed.ssim).not.toBe(noisy.ssim);
  });

  it('evaluates a decoder through its encoder', async () => {
    const { encoder, decoder } = flattenEncoderDecoder(dir);
    const r = await evaluateModel(decoder, { data: test, encoderPath: encoder, task: 'reconstruction' });
    expect(r.ssim).toBeCloseTo(1, 12);
    expect(r.composedWith).toBe('flat-encoder.onnx');
    await expect(evaluateModel(decoder, { data: test })).rejects.toThrow(
      /flat-decoder\.onnx: input 'latent' has shape \[N,784\]; eval feeds fashion-mnist-test images of shape \[N,1,28,28\]/,
    );
  });

  it('names the model, expected and actual shapes on bad input or output shapes', async () => {
    const feat = writeTinyModel(dir, 'feat.onnx', {
      inputs: [['feat1', ['N', 16, 14, 14]]],
      outputs: [['y', ['N', 16, 14, 14]]],
      nodes: [{ op: 'Relu', inputs: ['feat1'], outputs: ['y'] }],
    });
    await expect(evaluateModel(feat, { data: test })).rejects.toThrow(
      /feat\.onnx: input 'feat1' has shape \[N,16,14,14\]; eval feeds .* \[N,1,28,28\]/,
    );
    const odd = writeTinyModel(dir, 'odd.onnx', {
      inputs: [['input', ['N', 1, 28, 28]]],
      outputs: [['y', ['N', 784]]],
      nodes: [{ op: 'Flatten', inputs: ['input'], outputs: ['y'] }],
    });
    await expect(evaluateModel(odd, { data: test })).rejects.toThrow(
      /odd\.onnx: cannot tell what to measure from its outputs \('y' \[N,784\]\)/,
    );
    await expect(evaluateModel(odd, { data: test, batchSize: 0 })).rejects.toThrow(
      /batch size must be an integer/,
    );
    const ae = identityAutoencoder(dir);
    await expect(evaluateModel(ae, { data: test, task: 'denoising' })).rejects.toThrow(/needs a noise sigma/);
  });
});
