/**
 * The plans `bench/pipeline.ts` runs on loopback: the zoo's `local` (3 stages) and `remote` (2)
 * cut where the largest stage has the fewest MACs and, of those cuts, the fewest bytes cross; and
 * issue 11's target case, a chain of 3 cheap stages whose every hop carries one 3,136-byte fp32
 * tensor (1x1x28x28).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraph } from '../src/graph/build.js';
import { ModelBuilder } from '../src/graph/builder/builder.js';
import { decodeModel } from '../src/onnx/io.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { profileGraph } from '../src/profile/profile.js';
import type { SampleSource } from '../src/runtime/coordinator.js';
import type { RuntimePlan } from '../src/runtime/routes.js';
import { datasetSamples, type RunPlanOptions } from '../src/runtime/run.js';

/** One loopback case of the bench. */
export interface LoopbackCase {
  /** The `BENCH_ONLY` name. */
  readonly name: string;
  readonly title: string;
  readonly model: ModelProto;
  /** Node indices where stages 1.. start. */
  readonly cuts: readonly number[];
  /** Samples of its long runs, when not the bench's `BENCH_SAMPLES`. */
  readonly samples?: number;
  /** Target of pipelined / whole-model throughput with the automatic batch (zoo plans). */
  readonly wholeTarget?: number;
  /** Issue 11's overhead target case: its batch-1 figure is the target line. */
  readonly overheadTarget?: boolean;
}

/**
 * Cut indices for `stages` pipeline stages, chosen as a pipeline planner would on a host where a
 * byte between processes costs CPU: the cuts whose largest stage has the fewest MACs (the pipeline's
 * bottleneck), and among those the fewest bytes crossing the cuts (so a cut inside a residual
 * block, where two tensors cross, loses to the block boundary with the same MACs); of equal
 * cuts, the latest, so MAC-free ops (Add, ReLU) stay with the op they follow.
 */
export function balancedCuts(model: ModelProto, stages: number): number[] {
  const cuts = profileGraph(buildGraph(model)).cuts;
  const inner = cuts.slice(1, -1);
  let best: { cuts: number[]; maxMacs: number; bytes: number } | undefined;
  const visit = (chosen: number[], from: number): void => {
    if (chosen.length === stages - 1) {
      const bounds = [0, ...chosen.map((i) => cuts[i].cumulativeMacs), cuts[cuts.length - 1].cumulativeMacs];
      const maxMacs = Math.max(...bounds.slice(1).map((m, k) => m - bounds[k]));
      const bytes = chosen.reduce((s, i) => s + cuts[i].bytes, 0);
      if (!best || maxMacs < best.maxMacs || (maxMacs === best.maxMacs && bytes <= best.bytes))
        best = { cuts: [...chosen], maxMacs, bytes };
      return;
    }
    for (const c of inner) if (c.index > from) visit([...chosen, c.index], c.index);
  };
  visit([], 0);
  if (!best)
    throw new RangeError(`model '${model.graph?.name ?? ''}' has too few nodes for ${stages} stages`);
  return best.cuts;
}

/** The zoo model `name` in `stages` MAC-balanced stages. */
export function zooCase(name: string, stages: number, wholeTarget: number): LoopbackCase {
  const model = decodeModel(readFileSync(join('models', `${name}.onnx`)));
  return {
    name,
    title: `zoo '${name}', ${stages} stages`,
    model,
    cuts: balancedCuts(model, stages),
    wholeTarget,
  };
}

/**
 * Three stages of 3x3 conv (1 -> 1 channel) + ReLU on a [N,1,28,28] input: each stage keeps the
 * shape, so coordinator -> stage 0 -> stage 1 -> stage 2 -> coordinator all carry 28*28*4 = 3,136
 * bytes per sample, and the stages' compute (~7k MACs each) is small next to the runtime's.
 */
export function chain3kCase(samples: number): LoopbackCase {
  const b = new ModelBuilder({ name: 'chain-3k', seed: 3 });
  let x = b.input('input', ['N', 1, 28, 28]);
  for (let s = 0; s < 3; s++) x = b.relu(b.conv(x, { out: 1, kernel: 3 }));
  b.output(x, 'output');
  return {
    name: 'chain3k',
    title: 'chain of 3 stages (3x3 conv + ReLU each), one 1x1x28x28 fp32 tensor (3,136 B) on every hop',
    model: b.build(),
    // nodes: conv relu | conv relu | conv relu identity
    cuts: [2, 4],
    samples,
    overheadTarget: true,
  };
}

/** `n` Fashion-MNIST test images for `plan`; past the 10,000 of the test set they repeat. */
export function cycledTestImages(plan: RuntimePlan, n: number): SampleSource {
  const images = datasetSamples(plan, 'fashion-mnist-test', n);
  // a CPU benchmark: repeated images are fine (micro-batches of them are stacked, one copy each)
  return images.count >= n ? images : { count: n, input: (i) => images.input(i % images.count) };
}

/** The options every loopback benchmark run shares: raw (`--emulate none`, no link), nothing kept. */
export function rawRunOptions(
  plan: RuntimePlan,
  samples: SampleSource,
  batch: number,
): Pick<RunPlanOptions, 'plan' | 'samples' | 'emulate' | 'link' | 'batch' | 'keepOutputs' | 'keepRecords'> {
  return { plan, samples, emulate: 'none', link: 'none', batch, keepOutputs: false, keepRecords: false };
}
