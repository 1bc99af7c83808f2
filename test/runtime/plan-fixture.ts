/**
 * Writes plan directories for runtime tests from a model and cut points: plan.json's runtime fields
 * in the current version, through the one writer (`writePlanFile`). Stage models come from
 * `extractSubModel`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph } from '../../src/graph/build.js';
import { liveSets } from '../../src/graph/cuts.js';
import { extractSubModel } from '../../src/graph/extract.js';
import type { Graph } from '../../src/graph/types.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { PLAN_VERSION } from '../../src/core/plan-file.js';
import type { PlanWire } from '../../src/core/vocabulary.js';
import { planTensor, writePlanFile } from '../../src/plan/plan-dir.js';

/** Options of {@link writePlanDir}. */
export interface PlanFixtureOptions {
  /** Node indices where stages start (besides 0), ascending. */
  readonly cuts: readonly number[];
  /** Replicas per stage (default 1 each). */
  readonly replicas?: readonly number[];
  readonly wire?: PlanWire;
  readonly deviceType?: string;
  readonly link?: string;
}

/** A written plan directory. */
export interface PlanFixture {
  readonly dir: string;
  readonly graph: Graph;
  /** Device names per stage. */
  readonly devices: string[][];
}

/** Cut indices (1..n-1) whose live set has at least `min` tensors. */
export function cutsWithLive(graph: Graph, min: number): number[] {
  return liveSets(graph)
    .map((s, k) => ({ k, n: s.length }))
    .filter((x) => x.k > 0 && x.k < graph.nodes.length && x.n >= min)
    .map((x) => x.k);
}

/** Extracts stage models at the cuts and writes stage-<i>.onnx and plan.json into a temp dir. */
export function writePlanDir(model: ModelProto, o: PlanFixtureOptions): PlanFixture {
  const graph = buildGraph(model);
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-plan-'));
  const bounds = [0, ...o.cuts, graph.nodes.length];
  const tensor = (name: string, wire: PlanWire) => planTensor(graph, name, wire);
  const devices: string[][] = [];
  const stages = bounds.slice(0, -1).map((start, i) => {
    const sub = extractSubModel(model, graph, start, bounds[i + 1], `stage-${i}`);
    writeFileSync(join(dir, `stage-${i}.onnx`), encodeModel(sub.model));
    const names = Array.from({ length: o.replicas?.[i] ?? 1 }, (_, r) => `dev-${i}-${r}`);
    devices.push(names);
    const last = i === bounds.length - 2;
    return {
      id: String(i),
      start,
      end: bounds[i + 1],
      model: `stage-${i}.onnx`,
      inputs: sub.inputs.map((n) => tensor(n, 'fp32')),
      outputs: sub.outputs.map((n) => tensor(n, last ? 'fp32' : (o.wire ?? 'fp32'))),
      devices: names.map((name) => ({ name, type: o.deviceType ?? 'rpi4b' })),
      macs: 1000,
    };
  });
  writePlanFile(dir, {
    version: PLAN_VERSION,
    topology: 'chain',
    link: o.link ?? 'wifi',
    inputs: graph.inputs.map((n) => tensor(n, 'fp32')),
    outputs: graph.outputs.map((n) => tensor(n, 'fp32')),
    stages,
    predicted: { throughputPerS: 100 },
  });
  return { dir, graph, devices };
}
