/**
 * The plan directory contract: `plan.json` (this schema, `version: 1`) next to one ONNX file per
 * stage. The distributed runtime reads it with `readPlan(dir)`; keep changes backward compatible
 * or bump the version.
 */
import { z } from 'zod';
import { MEMORY_MODELS } from '../profile/memory.js';
import { PLAN_WIRES, dtypeSchema, type PlanWire } from '../core/vocabulary.js';

/** Element encodings on the wire between stages (the core vocabulary's {@link PLAN_WIRES}). */
export const WIRE_DTYPES = PLAN_WIRES;

/** An element encoding on the wire. */
export type WireDtype = PlanWire;

const nonNeg = z.number().nonnegative();
const nonNegInt = z.number().int().nonnegative();

/** A tensor a stage exchanges: name, shape (symbolic batch as a string such as "N"), dtype in the model, wire encoding. */
export const tensorSpecSchema = z.strictObject({
  name: z.string().min(1),
  shape: z.array(z.union([nonNegInt, z.string().min(1)])),
  dtype: dtypeSchema,
  wire: z.enum(WIRE_DTYPES),
});

const deviceRefSchema = z.strictObject({ name: z.string().min(1), type: z.string().min(1) });

const metricsSchema = z.strictObject({
  devices: nonNegInt,
  stages: nonNegInt,
  throughputPerS: nonNeg,
  latencyS: nonNeg,
  totalBytes: nonNeg,
  maxEnergyJ: nonNeg,
  bottleneckStage: nonNegInt,
});

/** One stage of plan.json. */
export const stageSchema = z.strictObject({
  id: nonNegInt,
  /** Node range [start, end) in the source model's topological order. */
  start: nonNegInt,
  end: nonNegInt,
  nodes: z.array(z.string()),
  /** Stage model file name, relative to the plan directory. */
  model: z.string().regex(/^[A-Za-z0-9._-]+\.onnx$/),
  /** Inputs of the stage model. */
  inputs: z.array(tensorSpecSchema),
  /** Outputs of the stage model. */
  outputs: z.array(tensorSpecSchema),
  /** Tensors this stage receives and relays unchanged to the next stage (skip connections across it); some may also be inputs. */
  forwards: z.array(tensorSpecSchema),
  /** Every tensor received from the previous stage (inputs and forwards), in order. */
  receives: z.array(z.string()),
  /** Every tensor sent to the next stage (outputs read later and forwards), in order; the last stage's are the graph outputs. */
  sends: z.array(z.string()),
  type: z.string().min(1),
  /** Physical devices; several = replicas taking samples in turn. */
  devices: z.array(deviceRefSchema).min(1),
  memoryBytes: nonNeg,
  memoryAvailableBytes: nonNeg,
  memory: z.strictObject({
    weightBytes: nonNeg,
    runtimeOverheadBytes: nonNeg,
    activationPeakBytes: nonNeg,
    flashBytes: nonNeg,
    /** SRAM the activations may use (the device's SRAM less what its runtime reserves, under inplace/strict). */
    sramBytes: nonNeg,
    /** SRAM the device's runtime and radio stack reserve (catalog `sramReservedBytes`). */
    sramReservedBytes: nonNeg.optional(),
  }),
  macs: nonNeg,
  ops: nonNeg,
  recvBytes: nonNeg,
  sendBytes: nonNeg,
  computeS: nonNeg,
  recvS: nonNeg,
  sendS: nonNeg,
  sendLinkBps: nonNeg.nullable(),
  cycleS: nonNeg,
  energyJ: nonNeg,
});

const objective = z.enum(['devices', 'throughput', 'latency', 'bytes', 'energy']);

/** Schema of plan.json. */
export const planFileSchema = z.strictObject({
  version: z.literal(1),
  source: z.strictObject({
    path: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: nonNegInt,
  }),
  graph: z.strictObject({
    name: z.string(),
    nodes: nonNegInt,
    inputs: z.array(tensorSpecSchema),
    outputs: z.array(tensorSpecSchema),
  }),
  objective,
  replicas: z.enum(['auto', 'none']),
  balance: z.enum(['throughput', 'energy']),
  activationBits: z.number().int().positive(),
  weightBits: z.number().int().positive(),
  /** Memory accounting of `edgesplit plan --memory-model` (absent in plans written before it existed). */
  memoryModel: z.enum(MEMORY_MODELS).optional(),
  wire: z.enum(WIRE_DTYPES),
  /** Catalog link id the plan was costed with. */
  link: z.string().min(1),
  placement: z.enum(['uniform-link', 'exact', 'greedy-links']),
  devices: z.array(deviceRefSchema).min(1),
  stages: z.array(stageSchema).min(1),
  predicted: metricsSchema,
  greedy: z.union([
    z.strictObject({ infeasible: z.string() }),
    z.strictObject({
      stages: z.array(z.strictObject({ start: nonNegInt, end: nonNegInt, devices: z.array(z.string()) })),
      predicted: metricsSchema,
    }),
  ]),
  comparison: z.strictObject({
    objectiveValue: nonNeg,
    greedyObjectiveValue: nonNeg.nullable(),
    /** greedy / plan (>= 1: the plan is better); null when greedy failed or the plan's value is 0. */
    gain: nonNeg.nullable(),
  }),
  pareto: z.array(
    z.strictObject({
      objective,
      optimalFor: z.array(objective),
      dominated: z.boolean(),
      cuts: z.array(nonNegInt),
      predicted: metricsSchema,
    }),
  ),
});

/** plan.json after validation. */
export type PlanFile = z.output<typeof planFileSchema>;
/** One stage of plan.json. */
export type PlanStage = z.output<typeof stageSchema>;
/** A tensor entry of plan.json. */
export type TensorSpec = z.output<typeof tensorSpecSchema>;
