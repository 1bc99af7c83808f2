/**
 * The highest measured / bound a loopback run could reach on this machine's cores if the runtime
 * cost nothing but its AES-GCM records (pure; for `bench/pipeline.ts`). All of the run's processes
 * share the cores, so the pipeline cannot release samples faster than the cores can pay every
 * stage model's CPU plus the records' sealing and opening, while the bound gives every stage a core
 * of its own. A stage's CPU time is the stage model's in one process (onnxruntime alone, not the
 * nodes' wall clock, which grows when processes wait for a core).
 */

/** One stage of the plan: its model's CPU per sample, and its replicas (which share its samples). */
export interface CeilingStage {
  readonly cpuMs: number;
  readonly replicas: number;
}

/** The ceiling and what it is measured against. */
export interface Ceiling {
  /** Samples per second the cores allow when only the stage models and the records cost CPU. */
  readonly throughputPerS: number;
  /** The bound from the stage models' CPU: 1000 / the slowest stage's CPU per sample per replica. */
  readonly cpuBoundPerS: number;
  /** `throughputPerS / cpuBoundPerS` (at most 1): the best measured / bound against that bound. */
  readonly vsCpuBound: number;
}

/**
 * `cores` cores, the plan's `stages`, and the records' CPU ms per sample summed over all hops
 * (sealing and opening; 0 for a keyless run).
 */
export function recordsOnlyCeiling(
  cores: number,
  stages: readonly CeilingStage[],
  recordMsPerSample: number,
): Ceiling {
  if (!(cores > 0) || stages.length === 0 || stages.some((s) => !(s.cpuMs > 0) || !(s.replicas >= 1)))
    throw new Error('recordsOnlyCeiling: needs cores > 0 and stages with cpuMs > 0 and replicas >= 1');
  if (!(recordMsPerSample >= 0)) throw new Error('recordsOnlyCeiling: recordMsPerSample must be >= 0');
  const cpuBoundPerS = 1000 / Math.max(...stages.map((s) => s.cpuMs / s.replicas));
  const cpuPerSample = stages.reduce((t, s) => t + s.cpuMs, 0) + recordMsPerSample;
  const throughputPerS = Math.min(cpuBoundPerS, (1000 * cores) / cpuPerSample);
  return { throughputPerS, cpuBoundPerS, vsCpuBound: throughputPerS / cpuBoundPerS };
}
