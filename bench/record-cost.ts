/**
 * What the keyed record layer costs by itself, for `bench/pipeline.ts`: AES-256-GCM sealing and
 * opening of one record the size of a frame, with the transport's own `RecordSealer` and
 * `RecordOpener`, in this process (sender and receiver together, as one hop of a keyed local run
 * pays them). A floor under the runtime overhead that no change above the transport can remove.
 */
import { randomBytes } from 'node:crypto';
import { RecordOpener, RecordSealer } from '../src/transport/auth/record-layer.js';

/** CPU microseconds (user + sys of this process) to seal and open one record of `bytes` plaintext bytes. */
export function recordCostUs(
  bytes: number,
  records = Math.max(200, Math.min(20000, Math.round(4e7 / bytes))),
): number {
  const key = randomBytes(32);
  const sealer = new RecordSealer(key);
  const opener = new RecordOpener(key, bytes);
  const plain = randomBytes(bytes);
  let opened = 0;
  const one = (): void => {
    for (const part of sealer.sealParts([plain])) for (const p of opener.push(part)) opened += p.length;
  };
  for (let i = 0; i < Math.min(records, 500); i++) one(); // warm up the JIT and the allocator
  const c0 = process.cpuUsage();
  for (let i = 0; i < records; i++) one();
  const c = process.cpuUsage(c0);
  if (opened !== (records + Math.min(records, 500)) * bytes)
    throw new Error(`record layer round trip lost bytes: opened ${opened}`);
  return (c.user + c.system) / records;
}

/**
 * The record layer's cost per sample per hop of a run at `batch` whose hops carry `hopBytes`
 * bytes per sample (one record per frame of `batch` samples; frame headers left out).
 */
export function recordCostPerSampleHopUs(hopBytes: readonly number[], batch: number): number {
  const perHop = hopBytes.map((b) => recordCostUs(Math.max(1, Math.round(b * batch))) / batch);
  return perHop.reduce((a, b) => a + b, 0) / perHop.length;
}
