/**
 * Reads a plan directory (`plan.json` + `stage-<i>.onnx`) into the runtime's {@link RuntimePlan}.
 * A plan written by `edgesplit plan` (it has `source` and `graph`) is read with the planner's
 * `readPlan` and its strict schema, the contract; a hand-written plan needs only the fields the
 * runtime uses (checked here, unknown fields ignored).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { dtypeSchema, wireEncodingSchema } from '../core/vocabulary.js';
import { readPlan, type PlanFile } from '../plan/index.js';
import { stageRoutes, type RuntimePlan, type RuntimeStage, type RuntimeTensor } from './routes.js';

const tensorSchema = z.object({
  name: z.string().min(1),
  dtype: dtypeSchema.default('float32'),
  shape: z.array(z.union([z.number().int(), z.string()])).default([]),
  wire: wireEncodingSchema.default('fp32'),
});

const deviceSchema = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ name, type: undefined as string | undefined })),
  z.object({ name: z.string().min(1), type: z.string().optional() }),
]);

const stageSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  model: z.string().min(1),
  inputs: z.array(tensorSchema).min(1),
  outputs: z.array(tensorSchema).min(1),
  devices: z.array(deviceSchema).min(1),
  computeS: z.number().optional(),
  sendS: z.number().optional(),
  macs: z.number().optional(),
  ops: z.number().optional(),
  recvS: z.number().optional(),
});

const ioSchema = z.union([z.array(z.string()), z.array(tensorSchema)]);

/** The fields of plan.json the runtime reads. */
export const runtimePlanSchema = z.object({
  /** 1: stages form a chain; 2: `topology` says chain or dag (v1 reads as a chain). */
  version: z.union([z.literal(1), z.literal(2)]),
  topology: z.enum(['chain', 'dag']).optional(),
  link: z.string().optional(),
  inputs: ioSchema.optional(),
  outputs: ioSchema.optional(),
  stages: z.array(stageSchema).min(1),
  predicted: z
    .object({ throughputPerS: z.number().optional(), latencyS: z.number().optional() })
    .passthrough()
    .optional(),
});

function names(io: z.infer<typeof ioSchema> | undefined): string[] | undefined {
  return io?.map((x) => (typeof x === 'string' ? x : x.name));
}

/** Converts parsed plan.json into a RuntimePlan; stage model paths resolve against `dir`. */
export function toRuntimePlan(json: unknown, dir: string): RuntimePlan {
  const file = join(dir, 'plan.json');
  const r = runtimePlanSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new EdgesplitError(
      'E_PLAN',
      `${file}: field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const p = r.data;
  if (p.version === 1 && p.topology === 'dag')
    throw new EdgesplitError('E_PLAN', `${file}: field topology: "dag" needs version 2`);
  if (p.version === 2 && p.topology === undefined)
    throw new EdgesplitError('E_PLAN', `${file}: field topology: version 2 needs "chain" or "dag"`);
  const stages: RuntimeStage[] = p.stages.map((s) => ({
    id: s.id,
    modelPath: resolve(dir, s.model),
    inputs: s.inputs,
    outputs: s.outputs,
    devices: s.devices,
    ...(s.computeS !== undefined ? { predictedComputeS: s.computeS } : {}),
    ...(s.sendS !== undefined ? { predictedSendS: s.sendS } : {}),
    ...(s.macs !== undefined ? { macs: s.macs } : {}),
    ...(s.ops !== undefined ? { ops: s.ops } : {}),
    ...(s.recvS !== undefined ? { predictedRecvS: s.recvS } : {}),
  }));
  const seen = new Set<string>();
  for (const s of stages) {
    for (const d of s.devices) {
      if (seen.has(d.name))
        throw new EdgesplitError(
          'E_PLAN',
          `${file}: device "${d.name}" appears in more than one stage or replica`,
        );
      seen.add(d.name);
    }
  }
  const inputNames = names(p.inputs) ?? stages[0].inputs.map((t) => t.name);
  const byName = new Map<string, RuntimeTensor>();
  for (const s of stages) for (const t of s.inputs) byName.set(t.name, t);
  const graphInputs = inputNames.map(
    (n) => byName.get(n) ?? { name: n, dtype: 'float32' as const, shape: [], wire: 'fp32' as const },
  );
  return {
    dir,
    stages,
    graphInputs: graphInputs.map((t) => ({ ...t, wire: t.dtype === 'float32' ? 'fp32' : 'native' })),
    graphOutputs: names(p.outputs) ?? stages[stages.length - 1].outputs.map((t) => t.name),
    ...(p.predicted?.throughputPerS !== undefined
      ? { predictedThroughputPerS: p.predicted.throughputPerS }
      : {}),
    ...(p.predicted?.latencyS !== undefined ? { predictedLatencyS: p.predicted.latencyS } : {}),
    ...(p.link !== undefined ? { link: p.link } : {}),
    ...(p.topology === 'dag' ? { topology: 'dag' as const } : {}),
  };
}

/** Converts a planner plan (validated by `src/plan/schema.ts`) into a RuntimePlan. */
export function fromPlanFile(plan: PlanFile, dir: string): RuntimePlan {
  const tensor = (t: PlanFile['graph']['inputs'][number]): RuntimeTensor => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    wire: t.wire,
  });
  return {
    dir,
    stages: plan.stages.map((s) => ({
      id: String(s.id),
      modelPath: resolve(dir, s.model),
      inputs: s.inputs.map(tensor),
      outputs: s.outputs.map(tensor),
      devices: s.devices,
      predictedComputeS: s.computeS,
      predictedSendS: s.sendS,
      macs: s.macs,
      ops: s.ops,
      predictedRecvS: s.recvS,
      predictedEnergyJ: s.energyJ * s.devices.length,
    })),
    graphInputs: plan.graph.inputs.map((t) => ({
      ...tensor(t),
      wire: t.dtype === 'float32' ? 'fp32' : 'native',
    })),
    graphOutputs: plan.graph.outputs.map((t) => t.name),
    predictedThroughputPerS: plan.predicted.throughputPerS,
    predictedLatencyS: plan.predicted.latencyS,
    link: plan.link,
  };
}

function readPlanJson(dir: string): unknown {
  const file = join(dir, 'plan.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdgesplitError('E_PLAN', `${file}: cannot read plan (${errorMessage(err)})`);
  }
}

/** Reads a plan directory: with the planner's reader when plan.json comes from `edgesplit plan`. */
export async function loadRuntimePlan(dir: string): Promise<RuntimePlan> {
  const json = readPlanJson(dir);
  if (json !== null && typeof json === 'object' && 'source' in json && 'graph' in json) {
    const loaded = await readPlan(dir);
    return fromPlanFile(loaded.plan, resolve(dir));
  }
  return readRuntimePlan(dir);
}

/** Reads a hand-written `<dir>/plan.json` (runtime fields only) and checks every stage model file exists. */
export function readRuntimePlan(dir: string): RuntimePlan {
  const plan = toRuntimePlan(readPlanJson(dir), resolve(dir));
  // routes are checked at read time, so a cycle or a dangling tensor is refused before any node starts
  stageRoutes(plan);
  for (const s of plan.stages)
    if (!existsSync(s.modelPath))
      throw new EdgesplitError(
        'E_PLAN',
        `${join(dir, 'plan.json')}: stage ${s.id} model ${s.modelPath} does not exist`,
      );
  return plan;
}
