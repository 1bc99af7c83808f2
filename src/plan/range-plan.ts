/**
 * Writes a chain plan directory from node ranges (plan.json's runtime fields, current version,
 * topology chain): one stage model per range, each range on its devices (several = replicas). Used for the
 * measured comparisons, whose stage boundaries come from the LCP cost model rather than the planner.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PLAN_VERSION, type PlanFile, type PlanStage } from '../core/plan-file.js';
import type { PlanWire } from '../core/vocabulary.js';
import { buildGraph } from '../graph/build.js';
import { extractSubModel } from '../graph/extract.js';
import { encodeModel, loadModelFile } from '../onnx/io.js';
import { profileGraph } from '../profile/profile.js';
import { planTensor, writePlanFile } from './plan-dir.js';

/** One stage: node range [start, end) of the model and the devices running it. */
export interface RangeStage {
  readonly start: number;
  readonly end: number;
  readonly devices: readonly { readonly name: string; readonly type: string }[];
}

/** Writes `out/plan.json` and `out/stage-<k>.onnx` for `stages` of `modelPath`; returns the plan. */
export async function writeRangePlan(
  modelPath: string,
  stages: readonly RangeStage[],
  o: { readonly link: string; readonly wire?: PlanWire; readonly out: string },
): Promise<PlanFile> {
  const model = await loadModelFile(modelPath);
  const graph = buildGraph(model, modelPath);
  const profile = profileGraph(graph);
  const wire = o.wire ?? 'fp32';
  await mkdir(o.out, { recursive: true });
  const entries: PlanStage[] = [];
  for (let k = 0; k < stages.length; k++) {
    const st = stages[k];
    const sub = extractSubModel(model, graph, st.start, st.end, `${graph.name}-stage-${k}`);
    await writeFile(join(o.out, `stage-${k}.onnx`), encodeModel(sub.model));
    const nodes = profile.nodes.slice(st.start, st.end);
    entries.push({
      id: String(k),
      model: `stage-${k}.onnx`,
      inputs: sub.inputs.map((t) => planTensor(graph, t, wire)),
      outputs: sub.outputs.map((t) => planTensor(graph, t, wire)),
      devices: st.devices.map((d) => ({ ...d })),
      start: st.start,
      end: st.end,
      macs: nodes.reduce((a, n) => a + n.macs, 0),
      ops: nodes.reduce((a, n) => a + n.ops, 0),
    });
  }
  return writePlanFile(o.out, {
    version: PLAN_VERSION,
    topology: 'chain',
    link: o.link,
    inputs: graph.inputs.map((t) => planTensor(graph, t, wire)),
    outputs: graph.outputs.map((t) => planTensor(graph, t, 'fp32')),
    source: { path: modelPath },
    stages: entries,
  });
}
