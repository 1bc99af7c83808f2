/**
 * Mulberry32: a tiny, fast, seedable PRNG on [0, 1) with a 2^32 period. One implementation for every
 * place that needs reproducible randomness (model weights, link loss, chunking, noise, tests).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
