/**
 * Zod schemas of device and link catalog entries. Every quantity field is named with its SI unit
 * (`throughputBps`, `energyPerBitJ`, `sramBytes`, `latencyS`) and accepts a bare number in that unit
 * or a string with an explicit unit of the same dimension ("2.5 Mb/s"), parsed strictly.
 */
import { z } from 'zod';
import { parseQuantity, type Dimension } from './units.js';

interface QuantityOptions {
  /** Reject zero as well as negatives. */
  readonly positive?: boolean;
  /** Accept the string "unlimited" (parsed to Infinity). */
  readonly unlimited?: boolean;
  /** Require a whole number. */
  readonly integer?: boolean;
}

/** A required quantity field of the given dimension, parsed into SI base units. */
function quantity(dim: Dimension, opts: QuantityOptions = {}) {
  return z.unknown().transform((raw, ctx): number => {
    if (raw === undefined) {
      ctx.addIssue({ code: 'custom', message: 'required field is missing' });
      return z.NEVER;
    }
    const r = parseQuantity(raw, dim, opts.unlimited);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.message });
      return z.NEVER;
    }
    if (r.value < 0 || (opts.positive && r.value === 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be ${opts.positive ? '> 0' : '>= 0'}, got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }
    if (opts.integer && Number.isFinite(r.value) && !Number.isInteger(r.value)) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return r.value;
  });
}

function range(dim: Dimension, opts: QuantityOptions = {}) {
  return z
    .strictObject({ min: quantity(dim, opts), max: quantity(dim, opts) })
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' });
}

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'ids are lower-case letters, digits, ".", "_" or "-"');
const sources = z.record(z.string(), z.string().min(1));

/** A measured whole-transfer cost for a named payload (e.g. one CIFAR-10 image). */
const linkMeasurementSchema = z.strictObject({
  payload: z.string().min(1),
  payloadBytes: quantity('bytes', { positive: true, integer: true }),
  latencyS: quantity('time'),
  energyJ: quantity('energy'),
  powerW: quantity('power').optional(),
  source: z.string().min(1),
});

/** Schema of one link entry (input form; quantities may carry unit strings). */
export const linkSchema = z
  .strictObject({
    id,
    name: z.string().min(1),
    /** Default payload throughput in bits/s ("unlimited" for loopback). */
    throughputBps: quantity('bitrate', { positive: true, unlimited: true }),
    throughputRangeBps: range('bitrate', { positive: true }).optional(),
    /** Energy per transmitted bit at the node (J/bit). */
    energyPerBitJ: quantity('energyPerBit').optional(),
    energyPerBitRangeJ: range('energyPerBit').optional(),
    /** Power while sending (W); used when `energyPerBitJ` is absent. */
    txPowerW: quantity('power').optional(),
    /** Current range while active (A), as the TinyML seed reports it. */
    currentRangeA: range('current').optional(),
    /** Packet size including the header (bytes). */
    mtuBytes: quantity('bytes', { positive: true, integer: true, unlimited: true }),
    /** Per-packet header overhead (bytes). */
    headerBytes: quantity('bytes', { integer: true }),
    /** Fixed latency per message (s). */
    latencyS: quantity('time'),
    /** Receiver buffer in packets (link emulation). */
    bufferPackets: z.number().int().positive().optional(),
    /** Packet loss probability (link emulation). */
    lossRate: z.number().min(0).lt(1).optional(),
    measured: z.array(linkMeasurementSchema).optional(),
    notes: z.string().optional(),
    sources,
  })
  .superRefine((l, ctx) => {
    if (l.energyPerBitJ === undefined && l.txPowerW === undefined) {
      ctx.addIssue({ code: 'custom', path: ['energyPerBitJ'], message: 'give energyPerBitJ or txPowerW' });
    }
    if (l.headerBytes >= l.mtuBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['headerBytes'],
        message: `must be smaller than mtuBytes (${l.mtuBytes})`,
      });
    }
  });

/** A whole-model measurement on a device; takes precedence over the MAC-rate estimate. */
const deviceMeasurementSchema = z.strictObject({
  model: z.string().min(1),
  latencyS: quantity('time'),
  energyJ: quantity('energy').optional(),
  source: z.string().min(1),
});

/** How a MAC-unit design groups MAC units into blocks (DistNN Table IV: parallel k x k, serial k). */
export const MAC_ARRANGEMENTS = ['kxk-parallel', 'k-parallel'] as const;
/** One of {@link MAC_ARRANGEMENTS}. */
export type MacArrangement = (typeof MAC_ARRANGEMENTS)[number];

/** Energy of one MAC block of a given arrangement and kernel side, as synthesised. */
const macBlockSchema = z.strictObject({
  arrangement: z.enum(MAC_ARRANGEMENTS),
  kernel: z.number().int().positive(),
  energyPerBlockJ: quantity('energy'),
});

/**
 * A MAC-unit hardware design (DistNN's fixed-point ASIC): convolutions cost MAC blocks per output
 * element (see cost/hardware-mac), other MAC ops `energyPerMacJ` each; energies scale with the operand
 * bit widths as `bitScaling` says.
 */
const macUnitSchema = z.strictObject({
  /** Default arrangement (split/explore/plan can choose the other). */
  arrangement: z.enum(MAC_ARRANGEMENTS),
  blocks: z.array(macBlockSchema).min(1),
  /** Count a k x k x C dot product per output (true) or one k x k block as Table IV does (false). */
  countInputChannels: z.boolean(),
  blocksPerCycle: z.number().positive().optional(),
  /** Bit widths the block energies were measured at. */
  referenceWeightBits: z.number().int().positive(),
  referenceActivationBits: z.number().int().positive(),
  /** `product`: energy x (w bits x a bits) / (reference product), an array multiplier's scaling; `none`. */
  bitScaling: z.enum(['product', 'none']),
});

/** Schema of one device entry (input form; quantities may carry unit strings). */
export const deviceSchema = z
  .strictObject({
    id,
    name: z.string().min(1),
    kind: z.enum(['mcu', 'sbc', 'accelerator', 'phone', 'laptop', 'server', 'asic']),
    /** Memory for weights (bytes). */
    flashBytes: quantity('bytes', { positive: true, integer: true }),
    /** Memory for activations (bytes). */
    sramBytes: quantity('bytes', { positive: true, integer: true }),
    /** Code/runtime overhead taken out of `flashBytes` (bytes). */
    runtimeOverheadBytes: quantity('bytes', { integer: true }),
    /** SRAM the runtime, RTOS and radio stack keep for themselves (bytes); activations get the rest. Default 0. */
    sramReservedBytes: quantity('bytes', { integer: true }).optional(),
    clockHz: quantity('frequency', { positive: true }),
    /** Sustained multiply-accumulates per second. */
    macsPerS: quantity('macRate', { positive: true }),
    /** Non-MAC operations per second; defaults to `macsPerS`. */
    opsPerS: quantity('macRate', { positive: true }).optional(),
    /** Energy of one MAC (J); when present it is used instead of `activePowerW`. */
    energyPerMacJ: quantity('energyPerMac').optional(),
    /** Energy of one non-MAC op (J); default 0 (DistNN counts MACs only). */
    energyPerOpJ: quantity('energyPerMac').optional(),
    /** Fraction added to per-MAC energy for memory traffic (DistNN: 0.8); default 0. */
    memoryOverhead: z.number().min(0).optional(),
    /** Power while computing (W). */
    activePowerW: quantity('power').optional(),
    /** Power while idle (W). */
    idlePowerW: quantity('power'),
    measured: z.array(deviceMeasurementSchema).optional(),
    /** A MAC-unit design: compute energy and latency come from the hardware MAC model. */
    macUnit: macUnitSchema.optional(),
    notes: z.string().optional(),
    sources,
  })
  .superRefine((d, ctx) => {
    if (d.energyPerMacJ === undefined && d.activePowerW === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['energyPerMacJ'],
        message: 'give energyPerMacJ or activePowerW',
      });
    }
    if (d.sramReservedBytes !== undefined && d.sramReservedBytes >= d.sramBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['sramReservedBytes'],
        message: `must be smaller than sramBytes (${d.sramBytes})`,
      });
    }
    if (d.runtimeOverheadBytes >= d.flashBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['runtimeOverheadBytes'],
        message: `must be smaller than flashBytes (${d.flashBytes})`,
      });
    }
  });

/** A link after validation: every quantity in SI base units. */
export type LinkSpec = z.output<typeof linkSchema> & { readonly origin: string };
/** A device after validation: every quantity in SI base units. */
export type DeviceSpec = z.output<typeof deviceSchema> & { readonly origin: string };
/** A measured per-payload transfer on a link. */
export type LinkMeasurement = z.output<typeof linkMeasurementSchema>;
/** A MAC-unit design after validation. */
export type MacUnitSpec = z.output<typeof macUnitSchema>;
/** A measured per-model run on a device. */
export type DeviceMeasurement = z.output<typeof deviceMeasurementSchema>;
