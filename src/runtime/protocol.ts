/**
 * The runtime's control protocol: JSON bodies of `control` and `health` frames exchanged between the
 * coordinator and stage nodes (pure; no I/O). Node timelines travel in binary (`timeline-codec.ts`). Every body has an `op`; replies carry the same `id`
 * as their request so several requests may be outstanding on one connection.
 */
import { z } from 'zod';
import { EdgesplitError } from '../core/errors.js';
import { wireEncodingSchema } from '../core/vocabulary.js';
import { linkAirSchema } from './link-air.js';
import { pacingSchema } from './pacing.js';
import { REPLICA_POLICIES } from './replica-picker.js';
import type { Frame, JsonValue, MessageFrame } from '../transport/codec/frame.js';
import { HOLD_MAX_FRAMES } from '../transport/outbox.js';

/** Name of the uint8 tensor frame that carries a stage's ONNX bytes before an `assign`. */
export const MODEL_TENSOR_NAME = '__edgesplit_stage_model__';
/** Address a last stage sends its outputs to: back over the coordinator's own connection. */
export const COORDINATOR_ADDRESS = 'coordinator';

const wire = wireEncodingSchema;

/** The tensors a DAG stage sends to one downstream stage, and that stage's replicas (or ["coordinator"]). */
export const fanoutGroupSchema = z.object({
  sends: z.array(z.object({ name: z.string(), wire })).min(1),
  downstream: z.array(z.string()).min(1),
});
/** Parsed fanout group. */
export type FanoutGroup = z.infer<typeof fanoutGroupSchema>;

/** Coordinator -> node: load a stage and where to send its outputs. */
export const assignSchema = z.object({
  op: z.literal('assign'),
  id: z.number().int(),
  runId: z.string(),
  epoch: z.number().int().min(1),
  stageId: z.string(),
  stageIndex: z.number().int().min(0),
  /** Tensors that arrive for each sample (model inputs plus pass-through tensors). */
  expects: z.array(z.string()).min(1),
  /** The subset of `expects` fed to the model. */
  modelInputs: z.array(z.string()).min(1),
  /** Tensors sent downstream for each sample, with their wire precision. */
  sends: z.array(z.object({ name: z.string(), wire })).min(1),
  /** host:port of every replica of the next stage, or ["coordinator"]. */
  downstream: z.array(z.string()).min(1),
  /** DAG plans: one group per downstream stage (its sends, its replicas' addresses); replaces sends/downstream. */
  fanout: z.array(fanoutGroupSchema).min(1).optional(),
  policy: z.enum(REPLICA_POLICIES),
  /** Timeline records per batch sent to the coordinator. */
  timelineBatch: z.number().int().min(1).max(10_000),
  /** onnxruntime intra-op threads for the stage session. */
  intraOpThreads: z.number().int().min(1).max(64).default(1),
  /** Micro-batching: samples per frame (stacked along the first dim, see micro-batch.ts). */
  batch: z.number().int().min(1).max(256).default(1),
  /**
   * Local nodes only: the stage model's path on the shared file system and its SHA-256, sent instead
   * of the bytes so that an emulated slow link does not carry the deployment too.
   */
  modelFile: z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  /** Emulated device: pace each sample's compute to the plan's device (see pacing.ts). */
  pacing: pacingSchema.optional(),
  /**
   * At batch 1, outputs a node may hold while more samples wait (see `StageWorkerOptions.hold`):
   * the coordinator sends half its window, at most `HOLD_MAX_FRAMES`, so at least two groups of
   * samples are on their way through the pipeline at once. 0 or 1: none held (older coordinators).
   */
  holdMax: z.number().int().min(0).max(HOLD_MAX_FRAMES).default(0),
});
/** Parsed `assign` body. */
export type AssignMessage = z.infer<typeof assignSchema>;

/** Coordinator -> node: replace the downstream replica set (after a failover). */
export const peersSchema = z.object({
  op: z.literal('peers'),
  id: z.number().int(),
  /** The run the new peers belong to; a node assigned by another run refuses them. */
  runId: z.string().optional(),
  epoch: z.number().int().min(1),
  downstream: z.array(z.string()).min(1),
  fanout: z.array(fanoutGroupSchema).min(1).optional(),
});
/** Parsed `peers` body. */
export type PeersMessage = z.infer<typeof peersSchema>;

/** Simple requests without fields beyond `op` and `id`. */
export const simpleRequestSchema = z.object({
  op: z.enum(['clock', 'flush', 'shutdown', 'health']),
  id: z.number().int(),
});

/** Any request a node accepts. */
export const nodeRequestSchema = z.discriminatedUnion('op', [
  assignSchema,
  peersSchema,
  simpleRequestSchema.extend({ op: z.literal('clock') }),
  simpleRequestSchema.extend({ op: z.literal('flush') }),
  simpleRequestSchema.extend({ op: z.literal('shutdown') }),
  simpleRequestSchema.extend({ op: z.literal('health') }),
]);
/** Parsed node request. */
export type NodeRequest = z.infer<typeof nodeRequestSchema>;

/** Node state reported by `health` and in replies. */
export const healthSchema = z.object({
  op: z.literal('health'),
  id: z.number().int(),
  ready: z.boolean(),
  stageId: z.string().nullable(),
  loaded: z.boolean(),
  processed: z.number().int(),
  dropped: z.number().int(),
  pending: z.number().int(),
  listen: z.string(),
  /** Where upstream nodes connect: the emulated-link listener, or `listen` without emulation. */
  peerListen: z.string(),
  pid: z.number().int(),
  /** Catalog link id the node emulates on stage-to-stage traffic ("none": real sockets). */
  link: z.string().default('none'),
  /** Run the node is assigned to, and its failover epoch (0 when unassigned). */
  runId: z.string().nullable().default(null),
  epoch: z.number().int().default(0),
});
/** Parsed health reply. */
export type HealthMessage = z.infer<typeof healthSchema>;

/** Generic reply: `ok` with op-specific fields, or an error message. */
export const replySchema = z.object({
  op: z.literal('reply'),
  id: z.number().int(),
  ok: z.boolean(),
  error: z.string().optional(),
  /** clock: the node's time when it handled the request. */
  nodeTimeMs: z.number().optional(),
  /** assign: model load time, and the session's names. */
  loadMs: z.number().optional(),
  /** flush: counters. */
  processed: z.number().int().optional(),
  dropped: z.number().int().optional(),
  /** flush: air time of the node's emulated links to the next stage (absent without link emulation). */
  air: linkAirSchema.optional(),
});
/** Parsed reply. */
export type ReplyMessage = z.infer<typeof replySchema>;

/** Builds a control frame carrying `body`. */
export function controlFrame(body: Record<string, unknown>): MessageFrame {
  // undefined fields vanish in JSON, which is what optional fields mean here
  return { type: 'control', streamId: 0, seq: 0, body: body as JsonValue };
}

/** Returns the `op` of a control/health frame body, or undefined. */
export function opOf(frame: Frame): string | undefined {
  if (frame.type === 'tensor') return undefined;
  const b = frame.body;
  return b !== null && typeof b === 'object' && !Array.isArray(b) && typeof b.op === 'string'
    ? b.op
    : undefined;
}

/** Parses a frame body with a schema; the error names the op and the offending field. */
export function parseBody<T>(schema: z.ZodType<T>, frame: MessageFrame, from: string): T {
  const r = schema.safeParse(frame.body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') || '(body)';
  throw new EdgesplitError(
    'E_PROTOCOL',
    `${from}: bad ${opOf(frame) ?? frame.type} message: field ${path}: ${issue?.message ?? 'invalid'}`,
  );
}
