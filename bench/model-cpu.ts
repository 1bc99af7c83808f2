/**
 * onnxruntime CPU in this process for `bench/pipeline.ts`: the whole model, and each stage model of a
 * plan, on the bench's samples and batch (1 intra-op thread).
 */
import { readFileSync } from 'node:fs';
import { onnxruntimeBackend } from '../src/backend/onnxruntime/onnxruntime-backend.js';
import type { Tensor } from '../src/core/tensor.js';
import { encodeModel } from '../src/onnx/io.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { stackTensors } from '../src/runtime/micro-batch.js';
import type { RuntimePlan } from '../src/runtime/routes.js';
import { datasetSamples } from '../src/runtime/run.js';

/** Whole model in this process, 1 intra-op thread, `batch` samples per call: wall and CPU ms per sample. */
export async function wholeModel(
  model: ModelProto,
  plan: RuntimePlan,
  count: number,
  batch: number,
): Promise<{ ms: number; cpuMs: number }> {
  const samples = datasetSamples(plan, 'fashion-mnist-test', count);
  const name = plan.graphInputs[0].name;
  const feeds = Array.from({ length: Math.floor(count / batch) }, (_, b) => ({
    [name]: stackTensors(
      name,
      Array.from({ length: batch }, (_, i) => samples.input(b * batch + i)[name]),
    ),
  }));
  const session = await onnxruntimeBackend.load(encodeModel(model), { intraOpThreads: 1 });
  for (const f of feeds.slice(0, 10)) await session.run(f);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const f of feeds) await session.run(f);
  const c = process.cpuUsage(c0);
  const n = feeds.length * batch;
  const ms = (performance.now() - t0) / n;
  await session.release();
  return { ms, cpuMs: (c.user + c.system) / 1000 / n };
}

/**
 * onnxruntime CPU ms per sample of each of the plan's stage models, run in turn in this process on
 * the same samples and batch as the pipeline (1 thread each): the compute the formula subtracts.
 * (The nodes' own compute times are wall clock, which grows whenever a loaded host deschedules them.)
 */
export async function stageModelsCpuMs(plan: RuntimePlan, count: number, batch: number): Promise<number[]> {
  const samples = datasetSamples(plan, 'fashion-mnist-test', count);
  const name = plan.graphInputs[0].name;
  const sessions = await Promise.all(
    plan.stages.map((st) => onnxruntimeBackend.load(readFileSync(st.modelPath), { intraOpThreads: 1 })),
  );
  const cpuUs = plan.stages.map(() => 0);
  const batches = Math.floor(count / batch);
  for (let b = -2; b < batches; b++) {
    const first = Math.max(0, b) * batch;
    const env: Record<string, Tensor> = {
      [name]: stackTensors(
        name,
        Array.from({ length: batch }, (_, i) => samples.input(first + i)[name]),
      ),
    };
    for (const [k, st] of plan.stages.entries()) {
      const feeds = Object.fromEntries(st.inputs.map((t) => [t.name, env[t.name]]));
      const c0 = process.cpuUsage();
      const out = await sessions[k].run(feeds);
      const c = process.cpuUsage(c0);
      if (b >= 0) cpuUs[k] += c.user + c.system; // the first two batches warm up
      Object.assign(env, out);
    }
  }
  await Promise.all(sessions.map((x) => x.release()));
  return cpuUs.map((us) => us / 1000 / (batches * batch));
}
