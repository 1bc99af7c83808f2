/** Seeded Gaussian noise for denoising evaluation, reproducible across runs and batch sizes. */

/** Standard normal samples from a uniform source (Box-Muller, both values used). */
export function gaussianSource(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Options of addGaussianNoise. */
export interface NoiseOptions {
  /** Standard deviation in pixel units (images are in [0,1]). */
  sigma: number;
  /** Clip the noisy values to [0,1]. */
  clip: boolean;
}

/** Returns `clean + sigma * n` (n standard normal from `normal`), optionally clipped to [0,1]; pure given the source. */
export function addGaussianNoise(
  clean: Float32Array,
  normal: () => number,
  options: NoiseOptions,
): Float32Array {
  if (!(options.sigma >= 0) || !Number.isFinite(options.sigma))
    throw new RangeError(`noise sigma must be >= 0, got ${options.sigma}`);
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const v = clean[i] + options.sigma * normal();
    out[i] = options.clip ? Math.min(1, Math.max(0, v)) : v;
  }
  return out;
}
