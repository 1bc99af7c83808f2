/** Single-process onnxruntime reference outputs for runtime tests. */
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import type { Tensor } from '../../src/core/tensor.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import type { SampleSource } from '../../src/runtime/coordinator.js';

/** Runs the whole model on every sample (batch 1) in this process. */
export async function referenceOutputs(
  model: ModelProto,
  samples: SampleSource,
): Promise<Record<string, Tensor>[]> {
  const session = await onnxruntimeBackend.load(encodeModel(model));
  const out: Record<string, Tensor>[] = [];
  for (let i = 0; i < samples.count; i++) out.push(await session.run(samples.input(i)));
  await session.release();
  return out;
}

/** Largest absolute difference between two lists of outputs (same names, same order). */
export function maxAbsDiff(
  a: readonly Record<string, Tensor>[],
  b: readonly Record<string, Tensor>[],
): number {
  if (a.length !== b.length) throw new Error(`output counts differ: ${a.length} vs ${b.length}`);
  let m = 0;
  a.forEach((x, i) => {
    for (const [name, t] of Object.entries(x)) {
      const u = b[i][name];
      if (!u) throw new Error(`sample ${i}: output '${name}' missing`);
      if (u.data.length !== t.data.length)
        throw new Error(`sample ${i}: '${name}' has ${u.data.length} elements, want ${t.data.length}`);
      for (let j = 0; j < t.data.length; j++)
        m = Math.max(m, Math.abs(Number(t.data[j]) - Number(u.data[j])));
    }
  });
  return m;
}

/** Largest absolute value over all outputs (to scale error bounds). */
export function maxAbs(a: readonly Record<string, Tensor>[]): number {
  let m = 0;
  for (const x of a)
    for (const t of Object.values(x))
      for (let j = 0; j < t.data.length; j++) m = Math.max(m, Math.abs(Number(t.data[j])));
  return m;
}
