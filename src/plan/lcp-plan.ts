/**
 * `edgesplit lcp plan`: places an LCP model's branches and its gather + classifier on devices
 * (`placeLcp`, the cost model) and writes a DAG plan directory: one stage per device holding its
 * branches (and the gather + classifier where placed), `plan.json` version 2 with `topology: "dag"`.
 * The coordinator scatters the input to every branch stage; the gather stage waits for every
 * branch's pre-final activation of a sample.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { PLAN_VERSION, type PlanFile, type PlanStage } from '../core/plan-file.js';
import type { PlanWire } from '../core/vocabulary.js';
import { buildGraph } from '../graph/build.js';
import { extractSubModel, type SubModel } from '../graph/extract.js';
import { encodeModel, loadModelFile } from '../onnx/io.js';
import { onnx, type ModelProto, type OnnxTypes } from '../onnx/proto.js';
import { profileGraph } from '../profile/profile.js';
import type { LinkSpec } from '../catalog/schema.js';
import { lcpStructure, placeLcp, type LcpObjective, type LcpPlacement } from '../strategy/lcp/index.js';
import type { PhysicalDevice } from '../strategy/plan/types.js';
import { planTensor, writePlanFile } from './plan-dir.js';

/** Options of {@link planLcpModel}. */
export interface LcpPlanOptions {
  readonly devices: readonly PhysicalDevice[];
  readonly link: LinkSpec;
  readonly objective?: LcpObjective;
  /** Devices per stage: 2 runs every stage on two devices of its type (`<name>`, `<name>-r2`). Default 1. */
  readonly replicas?: number;
  readonly wire?: PlanWire;
  /** Plan directory to write. */
  readonly out: string;
}

/** A stage of an LCP plan: its branches, whether it gathers, and its MACs / other ops per sample. */
export type DagPlanStage = PlanStage & {
  readonly branches: number[];
  readonly classifier: boolean;
  readonly macs: number;
  readonly ops: number;
};

/** plan.json as `lcp plan` writes it: the one schema, `topology: "dag"`, with the LCP cost model's report. */
export type DagPlanFile = Omit<
  PlanFile,
  'topology' | 'source' | 'link' | 'objective' | 'stages' | 'predicted'
> & {
  readonly topology: 'dag';
  readonly source: { readonly path: string; readonly branches: number };
  readonly link: string;
  readonly objective: LcpObjective;
  readonly stages: DagPlanStage[];
  readonly predicted: {
    readonly latencyS: number | null;
    readonly throughputPerS: number;
    readonly bytes: number;
    readonly energyJ: number;
  };
};

/** What {@link planLcpModel} wrote. */
export interface LcpPlanResult {
  readonly plan: DagPlanFile;
  readonly placement: LcpPlacement;
}

function mergeParts(parts: readonly SubModel[], name: string, keep: (t: string) => boolean): SubModel {
  if (parts.length === 1) return parts[0];
  const nodes: OnnxTypes.INodeProto[] = [];
  const made = new Set<string>();
  for (const p of parts)
    for (const n of p.model.graph?.node ?? []) {
      // a recomputed constant (the prelude) may appear in several parts; keep its first copy
      if ((n.output ?? []).every((o) => made.has(o))) continue;
      nodes.push(n);
      for (const o of n.output ?? []) made.add(o);
    }
  const inits = new Map(parts.flatMap((p) => (p.model.graph?.initializer ?? []).map((t) => [t.name!, t])));
  const ins = [...new Set(parts.flatMap((p) => p.inputs))].filter((t) => !made.has(t));
  const outs = [...new Set(parts.flatMap((p) => p.outputs))].filter(keep);
  const info = (t: string) =>
    [...parts.flatMap((p) => [...(p.model.graph?.input ?? []), ...(p.model.graph?.output ?? [])])].find(
      (v) => v.name === t,
    )!;
  const first = parts[0].model;
  const model = onnx.ModelProto.create({
    irVersion: first.irVersion,
    producerName: 'edgesplit',
    opsetImport: first.opsetImport,
    graph: {
      name,
      node: nodes,
      initializer: [...inits.values()],
      input: ins.map(info),
      output: outs.map(info),
    },
  });
  return { model, inputs: ins, outputs: outs };
}

/** Places `modelPath`'s branches and writes the DAG plan directory `o.out`. */
export async function planLcpModel(modelPath: string, o: LcpPlanOptions): Promise<LcpPlanResult> {
  const model: ModelProto = await loadModelFile(modelPath);
  const graph = buildGraph(model, modelPath);
  const profile = profileGraph(graph);
  const s = lcpStructure(graph, profile);
  const objective = o.objective ?? 'latency';
  const placement = placeLcp(s, o.devices, o.link, objective);
  const replicas = o.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8)
    throw new EdgesplitError('E_USAGE', `--replicas must be 1..8, got ${replicas}`);
  const wire = o.wire ?? 'fp32';
  const used = placement.devices
    .map((d, i) => ({ ...d, index: i }))
    .filter((d) => d.branches.length > 0 || d.classifier);
  const ranges = (d: (typeof used)[number]) =>
    [
      ...d.branches.map((b) => s.branches[b]),
      ...(d.classifier ? [{ start: s.classifier.start, end: graph.nodes.length }] : []),
    ]
      .map((p) => ({ start: p.start, end: p.end }))
      .sort((a, b) => a.start - b.start)
      .reduce<{ start: number; end: number }[]>((acc, r) => {
        const last = acc[acc.length - 1];
        if (last && last.end === r.start) last.end = r.end;
        else acc.push({ ...r });
        return acc;
      }, []);
  const stageRanges = used.map(ranges);
  const owner = new Map<number, number>();
  stageRanges.forEach((rs, k) =>
    rs.forEach((r) => {
      for (let n = r.start; n < r.end; n++) owner.set(n, k);
    }),
  );
  const graphOutputs = new Set([...graph.outputs]);
  try {
    await mkdir(o.out, { recursive: true });
  } catch (err) {
    throw new EdgesplitError('E_IO', `${o.out}: cannot create plan directory (${errorMessage(err)})`);
  }
  const stages: DagPlanStage[] = [];
  for (let k = 0; k < used.length; k++) {
    const d = used[k];
    const readElsewhere = (t: string) =>
      graphOutputs.has(t) || graph.nodes.some((n, i) => owner.get(i) !== k && n.inputs.includes(t));
    const parts = stageRanges[k].map((r) => extractSubModel(model, graph, r.start, r.end));
    const sub = mergeParts(parts, `${graph.name}-stage-${k}`, readElsewhere);
    const file = `stage-${k}.onnx`;
    await writeFile(join(o.out, file), encodeModel(sub.model));
    const nodes = stageRanges[k].flatMap((r) => profile.nodes.slice(r.start, r.end));
    const spec0 = o.devices[d.index];
    stages.push({
      id: String(k),
      model: file,
      branches: [...d.branches],
      classifier: d.classifier,
      inputs: sub.inputs.map((t) => planTensor(graph, t, wire)),
      outputs: sub.outputs.filter(readElsewhere).map((t) => planTensor(graph, t, wire)),
      devices: Array.from({ length: replicas }, (_, r) => ({
        name: r === 0 ? spec0.name : `${spec0.name}-r${r + 1}`,
        type: spec0.spec.id,
      })),
      macs: nodes.reduce((a, n) => a + n.macs, 0),
      ops: nodes.reduce((a, n) => a + n.ops, 0),
    });
  }
  for (const f of await readdir(o.out)) {
    const m = /^stage-(\d+)\.onnx$/.exec(f);
    if (m && Number(m[1]) >= used.length) await rm(join(o.out, f));
  }
  const plan: DagPlanFile = {
    version: PLAN_VERSION,
    topology: 'dag',
    source: { path: modelPath, branches: s.branches.length },
    link: o.link.id,
    objective,
    inputs: graph.inputs.map((t) => planTensor(graph, t, wire)),
    outputs: graph.outputs.map((t) => planTensor(graph, t, 'fp32')),
    stages,
    predicted: {
      latencyS: placement.run.latencyS,
      throughputPerS: placement.run.throughputPerS,
      bytes: placement.run.bytes,
      energyJ: placement.run.energyJ,
    },
  };
  return { plan: writePlanFile(o.out, plan), placement };
}
