import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { DeviceSpec } from '../../src/catalog/schema.js';
import { decodeModel } from '../../src/onnx/io.js';
import { isPipelinePlan, readPlan, type LoadedPlan, type PipelinePlanFile } from '../../src/plan/index.js';
import { buildGraph } from '../../src/graph/build.js';
import { ModelBuilder } from '../../src/graph/builder/builder.js';
import { profileGraph } from '../../src/profile/profile.js';
import { partitionProblem } from '../../src/strategy/plan/problem.js';
import type { PartitionProblem } from '../../src/strategy/plan/types.js';
import { rng } from './exhaustive.js';

/** A synthetic device type for tests. */
export function device(
  id: string,
  o: { flash: number; sram: number; overhead?: number; macsPerS: number; powerW: number },
): DeviceSpec {
  return {
    id,
    name: id,
    kind: 'mcu',
    flashBytes: o.flash,
    sramBytes: o.sram,
    runtimeOverheadBytes: o.overhead ?? 0,
    clockHz: 1e8,
    macsPerS: o.macsPerS,
    activePowerW: o.powerW,
    idlePowerW: 0.001,
    sources: { all: 'test fixture' },
    origin: 'test',
  };
}

/** The small test device both planner suites use: 230 kB flash, 45 kB SRAM, 2 MMAC/s. */
export function smallDevice(): DeviceSpec {
  return device('small', { flash: 230_000, sram: 45_000, overhead: 20_000, macsPerS: 2e6, powerW: 0.12 });
}

/** A random problem of `n` nodes with per-node costs and cut sizes drawn from a seeded PRNG. */
export function randomProblem(seed: number, n: number): PartitionProblem {
  const r = rng(seed);
  const int = (lo: number, hi: number) => Math.floor(lo + r() * (hi - lo));
  return {
    model: `random-${seed}`,
    activationBits: 16,
    weightBits: 8,
    nodes: Array.from({ length: n }, (_, k) => ({
      name: `n${k}`,
      op: 'Conv',
      macs: int(1e4, 2e6),
      ops: int(0, 1e5),
      weightBytes: int(0, 120_000),
      liveBytes: int(2_000, 55_000),
    })),
    cutBytes: Array.from({ length: n + 1 }, () => int(200, 30_000)),
  };
}

/** A plan directory written by `edgesplit plan`. */
export type LoadedPipelinePlan = Omit<LoadedPlan, 'plan'> & { readonly plan: PipelinePlanFile };

/** Reads a plan directory with the one reader and expects the pipeline planner's whole report in it. */
export function readPipelinePlan(dir: string): LoadedPipelinePlan {
  const loaded = readPlan(dir);
  expect(isPipelinePlan(loaded.plan), `${loaded.file} carries the planner's report`).toBe(true);
  return loaded as LoadedPipelinePlan;
}

/**
 * A random small CNN built with ModelBuilder: convs, ReLUs and pools with residual Adds back to
 * earlier tensors of the same shape (a DAG), then a classifier. Returns its problem at 16/8 bits.
 */
export function randomCnnProblem(seed: number, blocks: number): { problem: PartitionProblem; nodes: number } {
  const r = rng(seed);
  const b = new ModelBuilder({ name: `cnn-${seed}`, seed });
  let x = b.input('input', ['N', 1, 12, 12]);
  const history: string[] = [];
  for (let i = 0; i < blocks; i++) {
    const kind = r();
    if (kind < 0.45) {
      x = b.relu(b.conv(x, { out: 2 + Math.floor(r() * 6), kernel: 3 }));
    } else if (kind < 0.8) {
      const skip = history.filter((h) => JSON.stringify(b.shape(h)) === JSON.stringify(b.shape(x)));
      const y = b.conv(x, { out: b.shape(x)[1] as number, kernel: 3 });
      x = b.add(y, skip.length ? skip[Math.floor(r() * skip.length)] : x);
    } else if ((b.shape(x)[2] as number) >= 4) {
      x = b.maxPool(x, { kernel: 2 });
    }
    history.push(x);
  }
  b.output(b.gemm(b.flatten(x), { out: 10 }), 'logits');
  const graph = buildGraph(b.build(), `cnn-${seed}`);
  return {
    problem: partitionProblem(graph, profileGraph(graph, { activationBits: 16, weightBits: 8 })),
    nodes: graph.nodes.length,
  };
}

const WEIGHT_TYPES = new Set([1, 2, 3, 10, 11, 16]);
const TYPE_BYTES: Record<number, number> = { 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 12: 4, 13: 8 };

/**
 * Issue 12 row 2: reads every written stage model of a plan directory and checks that its
 * initializers, at the plan's weight bit width (integer tensors at their own width), plus the
 * runtime overhead (plus the largest intermediate under `--memory-model seed`) fit the stage's
 * device, and that the planner charged exactly what the stage model holds.
 */
export function expectStageModelsFit(loaded: LoadedPipelinePlan): void {
  const { plan } = loaded;
  plan.stages.forEach((s, i) => {
    const model = decodeModel(readFileSync(loaded.stageModels[i]), loaded.stageModels[i]);
    let bytes = 0;
    for (const t of model.graph?.initializer ?? []) {
      const elements = (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1);
      const type = t.dataType ?? 1;
      bytes += WEIGHT_TYPES.has(type)
        ? Math.ceil((elements * plan.weightBits) / 8)
        : elements * (TYPE_BYTES[type] ?? 4);
    }
    expect(bytes, `stage ${i}: planner's weight charge vs the stage model's initializers`).toBe(
      s.memory.weightBytes,
    );
    const extra = plan.memoryModel === 'seed' ? s.memory.activationPeakBytes : 0;
    expect(bytes + s.memory.runtimeOverheadBytes + extra, `stage ${i} flash`).toBeLessThanOrEqual(
      s.memory.flashBytes,
    );
    if (plan.memoryModel !== 'seed')
      expect(s.memory.activationPeakBytes).toBeLessThanOrEqual(s.memory.sramBytes);
  });
}
