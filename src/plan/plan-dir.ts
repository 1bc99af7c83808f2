/**
 * Writing and reading a plan directory: `plan.json` plus `stage-<i>.onnx` per stage, each a
 * self-contained ONNX model of its node range.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { liveSets } from '../graph/cuts.js';
import { extractSubModel } from '../graph/extract.js';
import type { Graph } from '../graph/types.js';
import { encodeModel } from '../onnx/io.js';
import type { ModelProto } from '../onnx/proto.js';
import { objectiveValue } from '../strategy/plan/evaluate.js';
import type { DevicePool, PartitionPlan, PlanMetrics, PlanResult } from '../strategy/plan/types.js';
import { DTYPES, dtypeSchema, type PlanWire } from '../core/vocabulary.js';
import {
  PLAN_VERSION,
  type MemoryModel,
  type PipelinePlanFile,
  type PipelinePlanStage,
  type PlanFile,
  type PlanMetricsFile,
  type TensorSpec,
} from '../core/plan-file.js';
import { parsePlanFile } from '../core/plan-parse.js';
import { checkPlan, type StageDag } from './dag.js';

/** Name of the plan file inside a plan directory. */
export const PLAN_FILE = 'plan.json';

/** Default wire encoding for an activation bit width (16 bits: fp16, as the transport's half floats). */
export function wireFor(bits: number, prefer?: PlanWire): PlanWire {
  if (prefer) {
    const width: Record<PlanWire, number> = { fp32: 32, fp16: 16, int16: 16, int8: 8 };
    if (width[prefer] !== bits)
      throw new EdgesplitError(
        'E_PLAN',
        `wire ${prefer} is ${width[prefer]} bits but activations are ${bits} bits`,
      );
    return prefer;
  }
  const w = ({ 32: 'fp32', 16: 'fp16', 8: 'int8' } as Record<number, PlanWire>)[bits];
  if (!w) throw new EdgesplitError('E_PLAN', `no wire encoding for ${bits}-bit activations; use 8, 16 or 32`);
  return w;
}

/** What a plan file records besides the planner's result. */
export interface PlanMeta {
  readonly modelPath: string;
  readonly modelBytes: Uint8Array;
  readonly graph: Graph;
  readonly pool: DevicePool;
  readonly linkId: string;
  readonly wire: PlanWire;
  readonly activationBits: number;
  readonly weightBits: number;
  /** Memory accounting the plan was checked with. */
  readonly memoryModel?: MemoryModel;
}

function metrics(m: PlanMetrics): PlanMetricsFile {
  return { ...m };
}

/**
 * The plan.json entry of tensor `name` of `graph`: `wire` for float32 tensors, `native` for the
 * others (they travel as their own bytes). E_GRAPH / E_PLAN naming it when its shape is unknown or
 * its dtype cannot travel.
 */
export function planTensor(graph: Graph, name: string, wire: PlanWire): TensorSpec {
  const v = graph.values.get(name);
  if (!v) throw new EdgesplitError('E_GRAPH', `${graph.name}: tensor '${name}' has no known shape`);
  const dtype = dtypeSchema.safeParse(v.dtype);
  if (!dtype.success)
    throw new EdgesplitError(
      'E_PLAN',
      `${graph.name}: tensor '${name}' has dtype ${String(v.dtype)}, which no stage can exchange (${DTYPES.join(', ')})`,
    );
  return { name, shape: [...v.shape], dtype: dtype.data, wire: dtype.data === 'float32' ? wire : 'native' };
}

function greedyOf(g: PlanResult['greedy']): PipelinePlanFile['greedy'] {
  if ('infeasible' in g) return { infeasible: g.infeasible };
  return {
    stages: g.stages.map((s) => ({ start: s.start, end: s.end, devices: [...s.devices] })),
    predicted: metrics(g.metrics),
  };
}

/**
 * Builds plan.json's content from a planner result and the stage models' tensor lists. Pure.
 * `stageIo[i]` gives the inputs and outputs of stage i's extracted model.
 */
export function buildPlanFile(
  result: PlanResult,
  meta: PlanMeta,
  stageIo: readonly { inputs: readonly string[]; outputs: readonly string[] }[],
): PipelinePlanFile {
  const { graph, wire } = meta;
  const live = liveSets(graph);
  const plan: PartitionPlan = result.plan;
  const typeOf = new Map(meta.pool.devices.map((d) => [d.name, d.spec.id]));
  const stages: PipelinePlanStage[] = plan.stages.map((s, i) => {
    const before = live[s.start];
    const after = new Set(live[s.end]);
    const forwards = before.filter((t) => after.has(t));
    return {
      id: String(i),
      start: s.start,
      end: s.end,
      nodes: graph.nodes.slice(s.start, s.end).map((x) => x.name),
      model: `stage-${i}.onnx`,
      inputs: stageIo[i].inputs.map((t) => planTensor(graph, t, wire)),
      outputs: stageIo[i].outputs.map((t) => planTensor(graph, t, wire)),
      forwards: forwards.map((t) => planTensor(graph, t, wire)),
      receives: [...before],
      sends: [...live[s.end]],
      type: s.type,
      devices: s.devices.map((name) => ({ name, type: typeOf.get(name) ?? s.type })),
      memoryBytes: s.memoryBytes,
      memoryAvailableBytes: s.memoryAvailableBytes,
      memory: {
        weightBytes: s.weightBytes,
        runtimeOverheadBytes: s.runtimeOverheadBytes,
        activationPeakBytes: s.activationPeakBytes,
        flashBytes: s.flashBytes,
        sramBytes: s.sramBytes,
        sramReservedBytes: meta.pool.devices.find((d) => d.spec.id === s.type)?.spec.sramReservedBytes ?? 0,
      },
      macs: s.macs,
      ops: s.ops,
      recvBytes: s.recvBytes,
      sendBytes: s.sendBytes,
      computeS: s.computeS,
      recvS: s.recvS,
      sendS: s.sendS,
      sendLinkBps: s.sendLinkBps === null || Number.isFinite(s.sendLinkBps) ? s.sendLinkBps : null,
      cycleS: s.cycleS,
      energyJ: s.energyJ,
    };
  });
  const mine = objectiveValue(plan.metrics, result.objective);
  const theirs =
    'infeasible' in result.greedy ? null : objectiveValue(result.greedy.metrics, result.objective);
  const gain = result.gainOverGreedy;
  return {
    version: PLAN_VERSION,
    topology: 'chain',
    inputs: graph.inputs.map((t) => planTensor(graph, t, wire)),
    outputs: graph.outputs.map((t) => planTensor(graph, t, wire)),
    source: {
      path: meta.modelPath,
      sha256: createHash('sha256').update(meta.modelBytes).digest('hex'),
      bytes: meta.modelBytes.byteLength,
    },
    graph: { name: graph.name, nodes: graph.nodes.length },
    objective: result.objective,
    replicas: result.replicas,
    balance: result.balance,
    activationBits: meta.activationBits,
    weightBits: meta.weightBits,
    ...(meta.memoryModel ? { memoryModel: meta.memoryModel } : {}),
    wire,
    link: meta.linkId,
    placement: result.placement,
    devices: meta.pool.devices.map((d) => ({ name: d.name, type: d.spec.id })),
    stages,
    predicted: metrics(plan.metrics),
    greedy: greedyOf(result.greedy),
    comparison: {
      objectiveValue: mine,
      greedyObjectiveValue: theirs,
      gain: gain !== null && Number.isFinite(gain) ? gain : null,
    },
    pareto: result.pareto.map((e) => ({
      objective: e.objective,
      optimalFor: [...e.optimalFor],
      dominated: e.dominated,
      cuts: [...e.cuts],
      predicted: metrics(e.metrics),
    })),
  };
}

/** Options of {@link writePlanDir}. */
export interface WritePlanOptions extends PlanMeta {
  /** The source model, with external data already inlined (see `inlineExternalData`). */
  readonly model: ModelProto;
  /** Called after each stage model is written (progress). */
  readonly onStage?: (index: number, total: number) => void;
}

/**
 * Writes `plan.json` and one self-contained ONNX model per stage into `dir` (created if needed;
 * stage files of an earlier plan beyond the new stage count are removed). Returns the plan file.
 */
export async function writePlanDir(
  dir: string,
  result: PlanResult,
  o: WritePlanOptions,
): Promise<PipelinePlanFile> {
  for (const t of o.model.graph?.initializer ?? []) {
    if (t.dataLocation === 1)
      throw new EdgesplitError(
        'E_PLAN',
        `${o.modelPath}: initializer '${t.name}' is still external data; inline it before writing stage models`,
      );
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new EdgesplitError('E_IO', `${dir}: cannot create plan directory (${errorMessage(err)})`, {
      cause: err,
    });
  }
  const io: { inputs: readonly string[]; outputs: readonly string[] }[] = [];
  const total = result.plan.stages.length;
  for (const s of result.plan.stages) {
    const sub = extractSubModel(o.model, o.graph, s.start, s.end, `${o.graph.name}-stage-${s.index}`);
    await writeFile(join(dir, `stage-${s.index}.onnx`), encodeModel(sub.model));
    io.push({ inputs: sub.inputs, outputs: sub.outputs });
    o.onStage?.(s.index, total);
  }
  for (const f of await readdir(dir)) {
    const m = /^stage-(\d+)\.onnx$/.exec(f);
    if (m && Number(m[1]) >= total) await rm(join(dir, f));
  }
  return writePlanFile(dir, buildPlanFile(result, o, io));
}

/** A plan directory after reading: the validated plan and the absolute path of each stage model. */
export interface LoadedPlan {
  readonly dir: string;
  /** Path of plan.json (errors name it). */
  readonly file: string;
  readonly plan: PlanFile;
  /** Absolute path of each stage's model, in stage order. */
  readonly stageModels: readonly string[];
  /** The checked stage graph. */
  readonly dag: StageDag;
}

/**
 * The plan.json reader: reads `<dir>/plan.json` (version 1 is migrated to {@link PLAN_VERSION}),
 * validates it against the one schema, checks the stage graph (`checkPlan`: cycles and dangling
 * tensors are named) and that every stage model file exists. Errors are one line naming the file
 * and the field path.
 */
export function readPlan(dir: string): LoadedPlan {
  const root = resolve(dir);
  const file = join(dir, PLAN_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new EdgesplitError('E_PLAN', `${file}: cannot read plan (${errorMessage(err)})`, { cause: err });
  }
  const plan = parsePlanFile(json, file);
  const dag = checkPlan(plan, file);
  const stageModels = plan.stages.map((s, i) => {
    const p = join(root, s.model);
    if (!existsSync(p))
      throw new EdgesplitError(
        'E_PLAN',
        `${file}: stages[${i}].model: '${s.model}' does not exist in ${dir}`,
      );
    return p;
  });
  return { dir: root, file, plan, stageModels, dag };
}

/**
 * The plan.json writer: validates `plan` against the one schema and its stage graph (a writer's
 * bug fails here, naming the field, rather than in a later run), then writes `<dir>/plan.json`.
 * Returns `plan`.
 */
export function writePlanFile<T extends PlanFile>(dir: string, plan: T): T {
  const file = join(dir, PLAN_FILE);
  checkPlan(parsePlanFile(plan, file), file);
  try {
    writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
  } catch (err) {
    throw new EdgesplitError('E_IO', `${file}: cannot write plan (${errorMessage(err)})`, { cause: err });
  }
  return plan;
}
