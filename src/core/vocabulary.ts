/**
 * The one dtype and wire vocabulary: element types tensors have, and the encodings they travel in.
 * Planner, plan.json, runtime protocol, transport codec and serve import these; the order of each
 * list is also the frame codec's on-wire code, so append only.
 */
import { z } from 'zod';

/** Element types edgesplit moves around; names follow ONNX. Index = frame dtype code. */
export const DTYPES = ['float32', 'float16', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'] as const;

/** One of {@link DTYPES}. */
export type DType = (typeof DTYPES)[number];

/** Encodings a plan may choose for float32 activations between stages. */
export const PLAN_WIRES = ['fp32', 'fp16', 'int16', 'int8'] as const;

/** One of {@link PLAN_WIRES}. */
export type PlanWire = (typeof PLAN_WIRES)[number];

/**
 * How a tensor's elements travel: float32 as one of {@link PLAN_WIRES}, or any dtype as its own bytes
 * ("native"). Index = frame wire code.
 */
export const WIRE_ENCODINGS = [...PLAN_WIRES, 'native'] as const;

/** One of {@link WIRE_ENCODINGS}. */
export type WireEncoding = (typeof WIRE_ENCODINGS)[number];

/** zod schema of a {@link DType}. */
export const dtypeSchema = z.enum(DTYPES);
/** zod schema of a {@link PlanWire}. */
export const planWireSchema = z.enum(PLAN_WIRES);
/** zod schema of a {@link WireEncoding}. */
export const wireEncodingSchema = z.enum(WIRE_ENCODINGS);
