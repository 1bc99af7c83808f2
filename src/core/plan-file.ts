/**
 * The one plan.json schema (version {@link PLAN_VERSION}) and its vocabulary. A plan directory is
 * `plan.json` next to one ONNX model per stage; stages form a directed acyclic graph by tensor
 * names (`topology: "dag"`), a chain being the special case where stage i feeds stage i + 1 and
 * tensors a later stage reads pass through the stages in between (`topology: "chain"`).
 *
 * Every writer (`edgesplit plan`, `lcp plan`, range plans, test fixtures) produces this version and
 * validates against {@link planFileSchema}; every reader goes through `readPlan` (`src/plan/plan-dir.ts`),
 * which migrates version 1 (`migratePlanV1`, `src/core/plan-parse.ts`). Objects are strict: an unknown field is an
 * error naming its path, so a typo never silently changes a run. Fields marked "planner report" are
 * written by a cost model for people and tools to read; the runtime does not need them, so a
 * hand-written plan may leave them out.
 */
import { z } from 'zod';
import { PLAN_WIRES, dtypeSchema, wireEncodingSchema } from './vocabulary.js';

/** The plan.json version writers produce. */
export const PLAN_VERSION = 2;

/** How stages connect: `chain` (each feeds the next, skip tensors relayed) or `dag` (by tensor name). */
export const PLAN_TOPOLOGIES = ['chain', 'dag'] as const;
/** One of {@link PLAN_TOPOLOGIES}. */
export type PlanTopology = (typeof PLAN_TOPOLOGIES)[number];

/** What a plan minimises, in the order the planner's Pareto listing reports them. */
export const OBJECTIVES = ['devices', 'throughput', 'latency', 'bytes', 'energy'] as const;
/** One of {@link OBJECTIVES}. */
export type Objective = (typeof OBJECTIVES)[number];

/** How the planner uses spare devices: as replicas (`auto`) or not at all. */
export const REPLICA_MODES = ['auto', 'none'] as const;
/** One of {@link REPLICA_MODES}. */
export type ReplicaMode = (typeof REPLICA_MODES)[number];

/** What spare replicas balance: the bottleneck stage time or the largest per-device energy. */
export const BALANCE_GOALS = ['throughput', 'energy'] as const;
/** One of {@link BALANCE_GOALS}. */
export type BalanceGoal = (typeof BALANCE_GOALS)[number];

/** How the planner put stages on physical devices. */
export const PLACEMENTS = ['uniform-link', 'exact', 'greedy-links'] as const;
/** One of {@link PLACEMENTS}. */
export type Placement = (typeof PLACEMENTS)[number];

/** Memory accountings of `edgesplit plan --memory-model`, the default first. */
export const MEMORY_MODELS = ['inplace', 'seed', 'strict'] as const;
/** One of {@link MEMORY_MODELS}. */
export type MemoryModel = (typeof MEMORY_MODELS)[number];

const nonNeg = z.number().nonnegative();
const nonNegInt = z.number().int().nonnegative();

/** A tensor a stage exchanges: name, shape (a symbolic batch as a string such as "N"), dtype, wire encoding. */
export const tensorSpecSchema = z
  .strictObject({
    name: z.string().min(1),
    shape: z.array(z.union([nonNegInt, z.string().min(1)])),
    dtype: dtypeSchema,
    /** How the tensor travels when its producer sends it: a float32 encoding, or `native` (its own bytes). */
    wire: wireEncodingSchema,
  })
  .refine((t) => t.dtype === 'float32' || t.wire === 'native', {
    path: ['wire'],
    message: 'a tensor that is not float32 travels as its own bytes: wire must be "native"',
  });

/** A physical device: unique name (the key of a hosts file) and catalog device id (absent: not emulated). */
export const deviceRefSchema = z.strictObject({
  name: z.string().min(1),
  type: z.string().min(1).optional(),
});

/** The pipeline planner's whole-plan predictions (`PlanMetrics`). */
export const planMetricsSchema = z.strictObject({
  devices: nonNegInt,
  stages: nonNegInt,
  throughputPerS: nonNeg,
  latencyS: nonNeg,
  totalBytes: nonNeg,
  maxEnergyJ: nonNeg,
  bottleneckStage: nonNegInt,
});

/** One stage: a self-contained ONNX model on one or more devices (replicas taking samples in turn). */
export const stageSchema = z.strictObject({
  /** Unique name of the stage (the planner writes its index). */
  id: z.string().min(1),
  /** Stage model file name, relative to the plan directory. */
  model: z.string().regex(/^[A-Za-z0-9._-]+\.onnx$/, 'must be a file name ending in .onnx'),
  /** Inputs of the stage model: what it receives (DAG: from each tensor's producer). */
  inputs: z.array(tensorSpecSchema).min(1),
  /** Outputs of the stage model that something downstream reads. */
  outputs: z.array(tensorSpecSchema).min(1),
  devices: z.array(deviceRefSchema).min(1),
  /** MACs and other operations per sample (modelled energy and device pacing). */
  macs: nonNeg.optional(),
  ops: nonNeg.optional(),
  /** Predicted seconds per sample to receive, compute and send (twin report, pacing checks). */
  recvS: nonNeg.optional(),
  computeS: nonNeg.optional(),
  sendS: nonNeg.optional(),
  /** Predicted compute + send energy of one device per sample, divided among the replicas, J. */
  energyJ: nonNeg.optional(),
  /** Planner report: node range [start, end) of the source model in topological order. */
  start: nonNegInt.optional(),
  end: nonNegInt.optional(),
  /** Planner report: the source model's node names in this stage. */
  nodes: z.array(z.string()).optional(),
  /** Planner report (chains): tensors relayed unchanged past this stage (skip connections). */
  forwards: z.array(tensorSpecSchema).optional(),
  /** Planner report (chains): every tensor crossing the cut before / after the stage, in order. */
  receives: z.array(z.string()).optional(),
  sends: z.array(z.string()).optional(),
  /** Planner report: the device type the stage was costed on. */
  type: z.string().min(1).optional(),
  /** Planner report: memory accounting of the stage on its device, bytes. */
  memoryBytes: nonNeg.optional(),
  memoryAvailableBytes: nonNeg.optional(),
  memory: z
    .strictObject({
      weightBytes: nonNeg,
      runtimeOverheadBytes: nonNeg,
      activationPeakBytes: nonNeg,
      flashBytes: nonNeg,
      /** SRAM the activations may use (the device's SRAM less what its runtime reserves, under inplace/strict). */
      sramBytes: nonNeg,
      /** SRAM the device's runtime and radio stack reserve (catalog `sramReservedBytes`). */
      sramReservedBytes: nonNeg.optional(),
    })
    .optional(),
  /** Planner report: bytes per sample in and out, the send link's bits/s (null: last stage), cycle time. */
  recvBytes: nonNeg.optional(),
  sendBytes: nonNeg.optional(),
  sendLinkBps: nonNeg.nullable().optional(),
  cycleS: nonNeg.optional(),
  /** LCP report: the branches this stage runs and whether it holds the gather + classifier. */
  branches: z.array(nonNegInt).optional(),
  classifier: z.boolean().optional(),
});

/**
 * Whole-plan predictions. `throughputPerS` and `latencyS` are what the runtime compares a run
 * with; the rest depends on the cost model that wrote the plan: the pipeline planner's
 * {@link planMetricsSchema} fields (`totalBytes` between stages, `maxEnergyJ` of the busiest
 * device), or LCP's `bytes` (every message of one inference, the coordinator's included) and
 * `energyJ` (every device's energy per inference).
 */
export const predictedSchema = z.strictObject({
  throughputPerS: nonNeg,
  /** One sample end to end, seconds; null when the cost model gives none. */
  latencyS: nonNeg.nullable().optional(),
  devices: nonNegInt.optional(),
  stages: nonNegInt.optional(),
  totalBytes: nonNeg.optional(),
  maxEnergyJ: nonNeg.optional(),
  bottleneckStage: nonNegInt.optional(),
  bytes: nonNeg.optional(),
  energyJ: nonNeg.optional(),
});

/** Schema of plan.json, version {@link PLAN_VERSION}. */
export const planFileSchema = z.strictObject({
  version: z.literal(PLAN_VERSION),
  topology: z.enum(PLAN_TOPOLOGIES),
  /**
   * Graph inputs: the coordinator sends them (chain: to stage 0; DAG: to every stage reading one),
   * as they are (float32 uncompressed, other dtypes native) whatever their `wire` says.
   */
  inputs: z.array(tensorSpecSchema).min(1),
  /** Graph outputs: what the coordinator receives back. */
  outputs: z.array(tensorSpecSchema).min(1),
  stages: z.array(stageSchema).min(1),
  /** Catalog link id the plan was costed with (absent: `edgesplit run` needs `--link` to emulate). */
  link: z.string().min(1).optional(),
  predicted: predictedSchema.optional(),
  /** The model the plan was made from; `sha256` and `bytes` pin the exact file, `branches` an LCP model's. */
  source: z
    .strictObject({
      path: z.string().min(1),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      bytes: nonNegInt.optional(),
      branches: nonNegInt.optional(),
    })
    .optional(),
  /** Planner report: the source graph's name and node count. */
  graph: z.strictObject({ name: z.string(), nodes: nonNegInt }).optional(),
  /** Planner report: what the plan minimises. */
  objective: z.enum(OBJECTIVES).optional(),
  /** Planner report: the options it planned with. */
  replicas: z.enum(REPLICA_MODES).optional(),
  balance: z.enum(BALANCE_GOALS).optional(),
  activationBits: z.number().int().positive().optional(),
  weightBits: z.number().int().positive().optional(),
  memoryModel: z.enum(MEMORY_MODELS).optional(),
  /** Planner report: the activation wire encoding chosen for the whole plan. */
  wire: z.enum(PLAN_WIRES).optional(),
  placement: z.enum(PLACEMENTS).optional(),
  /** Planner report: every device of the pool, used or not. */
  devices: z.array(deviceRefSchema).min(1).optional(),
  /** Planner report: the seed's greedy baseline (its stages and predictions, or why it failed). */
  greedy: z
    .union([
      z.strictObject({ infeasible: z.string() }),
      z.strictObject({
        stages: z.array(z.strictObject({ start: nonNegInt, end: nonNegInt, devices: z.array(z.string()) })),
        predicted: planMetricsSchema,
      }),
    ])
    .optional(),
  /** Planner report: objective values of the plan and greedy; gain = greedy / plan (null: no greedy plan or 0). */
  comparison: z
    .strictObject({
      objectiveValue: nonNeg,
      greedyObjectiveValue: nonNeg.nullable(),
      gain: nonNeg.nullable(),
    })
    .optional(),
  /** Planner report: the best plan per objective and whether another dominates it. */
  pareto: z
    .array(
      z.strictObject({
        objective: z.enum(OBJECTIVES),
        optimalFor: z.array(z.enum(OBJECTIVES)),
        dominated: z.boolean(),
        cuts: z.array(nonNegInt),
        predicted: planMetricsSchema,
      }),
    )
    .optional(),
});

/** plan.json after validation. */
export type PlanFile = z.output<typeof planFileSchema>;
/** One stage of plan.json. */
export type PlanStage = z.output<typeof stageSchema>;
/** A tensor entry of plan.json. */
export type TensorSpec = z.output<typeof tensorSpecSchema>;
/** The pipeline planner's predictions. */
export type PlanMetricsFile = z.output<typeof planMetricsSchema>;

/** `T` with the fields `K` present. */
type With<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]-?: Exclude<T[P], undefined> };

/** The planner-report fields `edgesplit plan` writes on every stage. */
export const PIPELINE_STAGE_FIELDS = [
  'start',
  'end',
  'nodes',
  'forwards',
  'receives',
  'sends',
  'type',
  'memoryBytes',
  'memoryAvailableBytes',
  'memory',
  'macs',
  'ops',
  'recvBytes',
  'sendBytes',
  'computeS',
  'recvS',
  'sendS',
  'sendLinkBps',
  'cycleS',
  'energyJ',
] as const satisfies readonly (keyof PlanStage)[];

/** The top-level planner-report fields `edgesplit plan` writes (`memoryModel` is absent in older plans). */
export const PIPELINE_PLAN_FIELDS = [
  'source',
  'link',
  'predicted',
  'graph',
  'objective',
  'replicas',
  'balance',
  'activationBits',
  'weightBits',
  'wire',
  'placement',
  'devices',
  'greedy',
  'comparison',
  'pareto',
] as const satisfies readonly (keyof PlanFile)[];

/** A stage as the pipeline planner writes it: every planner-report field present. */
export type PipelinePlanStage = With<PlanStage, (typeof PIPELINE_STAGE_FIELDS)[number]>;

/** plan.json as `edgesplit plan` writes it (the same schema; the planner report present). */
export type PipelinePlanFile = With<
  Omit<PlanFile, 'stages' | 'predicted' | 'source'>,
  Exclude<(typeof PIPELINE_PLAN_FIELDS)[number], 'stages' | 'predicted' | 'source'>
> & {
  readonly topology: 'chain';
  readonly source: { readonly path: string; readonly sha256: string; readonly bytes: number };
  readonly stages: PipelinePlanStage[];
  readonly predicted: PlanMetricsFile;
};

/** Whether `plan` carries the pipeline planner's whole report (as `edgesplit plan` writes it). */
export function isPipelinePlan(plan: PlanFile): plan is PipelinePlanFile {
  const p = plan.predicted;
  return (
    plan.topology === 'chain' &&
    PIPELINE_PLAN_FIELDS.every((f) => plan[f] !== undefined) &&
    plan.source?.sha256 !== undefined &&
    plan.source.bytes !== undefined &&
    planMetricsSchema.safeParse(p).success &&
    plan.stages.every((s) => PIPELINE_STAGE_FIELDS.every((f) => s[f] !== undefined))
  );
}
