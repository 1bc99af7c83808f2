/**
 * Pure metrics: classification (argmax, accuracy, softmax, top-2), binary decisions (confusion counts,
 * precision, recall, F1) and SSIM (Wang et al. 2004, as scikit-image computes it).
 */

function checkRows(values: ArrayLike<number>, numClasses: number): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be >= 1, got ${numClasses}`);
  if (values.length % numClasses !== 0) {
    throw new RangeError(`${values.length} values are not a whole number of rows of ${numClasses}`);
  }
  return values.length / numClasses;
}

/** Index of the largest value of each row of a row-major [N,numClasses] array (first index on ties). */
export function argmaxRows(values: ArrayLike<number>, numClasses: number): Int32Array {
  const n = checkRows(values, numClasses);
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) out[r] = argmaxRow(values, r * numClasses, numClasses);
  return out;
}

/** Index (0 .. numClasses - 1) of the largest of values[base .. base + numClasses) (first on ties; no allocation). */
export function argmaxRow(values: ArrayLike<number>, base: number, numClasses: number): number {
  let best = 0;
  let bestValue = values[base];
  for (let c = 1; c < numClasses; c++) {
    if (values[base + c] > bestValue) {
      bestValue = values[base + c];
      best = c;
    }
  }
  return best;
}

/** Number of rows whose argmax equals the label. */
export function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  const pred = argmaxRows(logits, numClasses);
  if (pred.length !== labels.length) throw new RangeError(`${pred.length} rows of logits but ${labels.length} labels`);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct;
}

/** Fraction of rows whose argmax equals the label (0 for no rows). */
export function accuracy(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  return labels.length === 0 ? 0 : countCorrect(logits, labels, numClasses) / labels.length;
}

/** Row-wise softmax of a row-major [N,numClasses] array, computed stably (max subtracted). */
export function softmaxRows(values: ArrayLike<number>, numClasses: number): Float64Array {
  const n = checkRows(values, numClasses);
  const out = new Float64Array(values.length);
  for (let r = 0; r < n; r++) {
    const base = r * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, values[base + c]);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) {
      const e = Math.exp(values[base + c] - max);
      out[base + c] = e;
      sum += e;
    }
    for (let c = 0; c < numClasses; c++) out[base + c] /= sum;
  }
  return out;
}

/** The two most probable classes of one row after softmax. */
export interface Top2 {
  readonly top1Class: number;
  readonly top1Prob: number;
  readonly top2Class: number;
  readonly top2Prob: number;
}

/** Softmax top-2 of each row (top2 equals top1 when numClasses is 1). */
export function top2SoftmaxRows(values: ArrayLike<number>, numClasses: number): Top2[] {
  const probs = softmaxRows(values, numClasses);
  const n = probs.length / numClasses;
  const out: Top2[] = [];
  for (let r = 0; r < n; r++) {
    const base = r * numClasses;
    let c1 = 0;
    for (let c = 1; c < numClasses; c++) if (probs[base + c] > probs[base + c1]) c1 = c;
    let c2 = numClasses === 1 ? 0 : c1 === 0 ? 1 : 0;
    for (let c = 0; c < numClasses; c++) if (c !== c1 && probs[base + c] > probs[base + c2]) c2 = c;
    out.push({ top1Class: c1, top1Prob: probs[base + c1], top2Class: c2, top2Prob: probs[base + c2] });
  }
  return out;
}

/** Confusion counts of a binary decision. */
export interface BinaryConfusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Counts true/false positives/negatives of predicted vs actual booleans. */
export function binaryConfusion(predicted: ArrayLike<boolean>, actual: ArrayLike<boolean>): BinaryConfusion {
  if (predicted.length !== actual.length) {
    throw new RangeError(`${predicted.length} predictions but ${actual.length} actual values`);
  }
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i]) {
      if (actual[i]) tp++;
      else fp++;
    } else if (actual[i]) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

/** Precision, recall and F1 of a binary decision; each is 0 when its denominator is 0. */
export interface BinaryScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Precision tp/(tp+fp), recall tp/(tp+fn), F1 their harmonic mean. */
export function binaryScores(c: BinaryConfusion): BinaryScores {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** SSIM constants of Wang et al. 2004 (and scikit-image's defaults with gaussian_weights=True). */
export const SSIM_PARAMS = { windowSize: 11, sigma: 1.5, k1: 0.01, k2: 0.03, dataRange: 1 } as const;

function gaussianKernel(size: number, sigma: number): Float64Array {
  const radius = (size - 1) / 2;
  const k = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - radius;
    k[i] = Math.exp((-0.5 * x * x) / (sigma * sigma));
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

const KERNEL = gaussianKernel(SSIM_PARAMS.windowSize, SSIM_PARAMS.sigma);

/**
 * Mean SSIM of two single-channel images (row-major, H*W values, data range 1): Gaussian 11x11 window
 * with sigma 1.5, K1 0.01, K2 0.03, population (not sample) covariance, averaged over the positions where
 * the whole window fits inside the image — the same as scikit-image's
 * `structural_similarity(a, b, data_range=1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`.
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number): number {
  const win = SSIM_PARAMS.windowSize;
  if (a.length !== height * width || b.length !== height * width) {
    throw new RangeError(`ssim: images have ${a.length} and ${b.length} values, expected ${height}x${width}`);
  }
  if (height < win || width < win) throw new RangeError(`ssim: images must be at least ${win}x${win}, got ${height}x${width}`);
  const outH = height - win + 1;
  const outW = width - win + 1;
  // horizontal pass over every row, keeping only columns where the window fits; five moments at once
  const h = new Float64Array(5 * height * outW);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      const row = y * width + x;
      for (let k = 0; k < win; k++) {
        const w = KERNEL[k];
        const va = a[row + k];
        const vb = b[row + k];
        sa += w * va;
        sb += w * vb;
        saa += w * va * va;
        sbb += w * vb * vb;
        sab += w * va * vb;
      }
      const o = 5 * (y * outW + x);
      h[o] = sa;
      h[o + 1] = sb;
      h[o + 2] = saa;
      h[o + 3] = sbb;
      h[o + 4] = sab;
    }
  }
  const c1 = (SSIM_PARAMS.k1 * SSIM_PARAMS.dataRange) ** 2;
  const c2 = (SSIM_PARAMS.k2 * SSIM_PARAMS.dataRange) ** 2;
  let total = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let ux = 0;
      let uy = 0;
      let uxx = 0;
      let uyy = 0;
      let uxy = 0;
      for (let k = 0; k < win; k++) {
        const w = KERNEL[k];
        const o = 5 * ((y + k) * outW + x);
        ux += w * h[o];
        uy += w * h[o + 1];
        uxx += w * h[o + 2];
        uyy += w * h[o + 3];
        uxy += w * h[o + 4];
      }
      const vx = uxx - ux * ux;
      const vy = uyy - uy * uy;
      const vxy = uxy - ux * uy;
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  }
  return total / (outH * outW);
}

/** Mean SSIM over a batch of N images stored as [N,1,H,W] (or [N,H,W]) row-major arrays. */
export function meanSsim(a: ArrayLike<number>, b: ArrayLike<number>, count: number, height: number, width: number): number {
  if (count < 1) throw new RangeError(`ssim: need at least one image, got ${count}`);
  return sumSsim(a, b, count, height, width) / count;
}

/** Sum of per-image SSIM over a batch (for accumulating a mean across batches). */
export function sumSsim(a: ArrayLike<number>, b: ArrayLike<number>, count: number, height: number, width: number): number {
  const per = height * width;
  if (a.length !== count * per || b.length !== count * per) {
    throw new RangeError(`ssim: batches have ${a.length} and ${b.length} values, expected ${count}x${height}x${width}`);
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += ssim(sliceOf(a, i * per, per), sliceOf(b, i * per, per), height, width);
  }
  return total;
}

function sliceOf(values: ArrayLike<number>, start: number, length: number): ArrayLike<number> {
  if (values instanceof Float32Array || values instanceof Float64Array) return values.subarray(start, start + length);
  return Array.from({ length }, (_, i) => values[start + i]);
}
