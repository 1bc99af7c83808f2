/**
 * Device lists for the planner: a catalog spec (`esp32s3x8`, `esp32s3x2,rpi4bx1`) or a topology of
 * named physical devices with the link quality of each pair (RSSI or measured throughput). Pure: the
 * caller reads files and passes parsed JSON.
 */
import { z } from 'zod';
import type { DeviceCatalog } from '../../catalog/catalog.js';
import type { LinkSpec } from '../../catalog/schema.js';
import { EdgesplitError, UsageError } from '../../core/errors.js';
import type { DevicePool, PairLink, PhysicalDevice } from './types.js';

/** Most devices a plan may use (placement is exponential in the device count beyond its exact limit). */
export const MAX_DEVICES = 64;

/** One point of an RSSI -> throughput curve. */
export interface RssiPoint {
  readonly rssiDbm: number;
  /** Fraction of the link's nominal throughput, in (0, 1]. */
  readonly throughputFraction: number;
}

const rssiPointSchema = z.strictObject({
  rssiDbm: z.number().max(0, 'RSSI is a negative dBm value'),
  throughputFraction: z.number().gt(0).max(1),
});

/** Schema of an RSSI -> throughput curve: at least two points with increasing RSSI. */
export const rssiCurveSchema = z
  .array(rssiPointSchema)
  .min(2)
  .refine((c) => c.every((p, i) => i === 0 || p.rssiDbm > c[i - 1].rssiDbm), {
    message: 'points must have strictly increasing rssiDbm',
  });

/** Schema of the RSSI curve data file (`src/strategy/plan/data/rssi-throughput.json`). */
export const rssiCurveFileSchema = z.strictObject({
  $comment: z.string().optional(),
  curve: rssiCurveSchema,
  source: z.string().min(1),
});

/** Fraction of nominal throughput at `rssiDbm`: linear between the curve's points, clamped outside them. */
export function throughputFraction(curve: readonly RssiPoint[], rssiDbm: number): number {
  if (rssiDbm <= curve[0].rssiDbm) return curve[0].throughputFraction;
  for (let i = 1; i < curve.length; i++) {
    const hi = curve[i];
    if (rssiDbm <= hi.rssiDbm) {
      const lo = curve[i - 1];
      return (
        lo.throughputFraction +
        ((rssiDbm - lo.rssiDbm) / (hi.rssiDbm - lo.rssiDbm)) * (hi.throughputFraction - lo.throughputFraction)
      );
    }
  }
  return curve[curve.length - 1].throughputFraction;
}

/**
 * Parses `type[xCount][,type[xCount]...]` into named physical devices (`esp32s3-1`, `esp32s3-2`, ...),
 * in the order given. Every entry and count is checked, and the total against {@link MAX_DEVICES},
 * before any device is made. Unknown types fail listing the catalog's ids.
 */
export function parseDeviceSpec(spec: string, catalog: DeviceCatalog): PhysicalDevice[] {
  const example = 'expected e.g. esp32s3x8 or esp32s3x2,rpi4bx1';
  const entries: { type: string; count: number }[] = [];
  let total = 0;
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (!part) throw new UsageError(`--devices: empty entry in '${spec}'; ${example}`);
    // an id that itself contains x<digits> wins over the count reading
    const x = part.lastIndexOf('x');
    const counted =
      !catalog.entries.has(part) &&
      x >= 0 &&
      (catalog.entries.has(part.slice(0, x)) || /^[-+]?\d/.test(part.slice(x + 1)));
    const type = counted ? part.slice(0, x) : part;
    const countText = counted ? part.slice(x + 1) : '1';
    if (!type) throw new UsageError(`--devices: '${part}' names no device type before the count; ${example}`);
    if (!/^\d+$/.test(countText) || /^0+$/.test(countText))
      throw new UsageError(
        `--devices: count '${countText}' in '${part}' must be a positive whole number; ${example}`,
      );
    if (countText.length > 6 || Number(countText) > MAX_DEVICES)
      throw new UsageError(
        `--devices: '${part}' asks for ${countText} devices; the limit is ${MAX_DEVICES} in total`,
      );
    const count = Number(countText);
    total += count;
    if (total > MAX_DEVICES)
      throw new UsageError(
        `--devices: '${spec}' asks for more than ${MAX_DEVICES} devices in total (the limit)`,
      );
    catalog.get(type);
    entries.push({ type, count });
  }
  const devices: PhysicalDevice[] = [];
  const seen = new Map<string, number>();
  for (const { type, count } of entries) {
    const spec_ = catalog.get(type);
    for (let i = 0; i < count; i++) {
      const idx = (seen.get(type) ?? 0) + 1;
      seen.set(type, idx);
      devices.push({ name: `${type}-${idx}`, spec: spec_ });
    }
  }
  return devices;
}

const quality = {
  rssiDbm: z.number().max(0, 'RSSI is a negative dBm value').optional(),
  throughputBps: z.number().positive().optional(),
};
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'names are letters, digits, ".", "_" or "-"');

/** Schema of a topology file. */
export const topologySchema = z.strictObject({
  $comment: z.string().optional(),
  devices: z
    .array(z.strictObject({ name, type: z.string().min(1) }))
    .min(1)
    .max(MAX_DEVICES),
  links: z.array(z.strictObject({ between: z.tuple([name, name]), ...quality })).default([]),
  /** Quality of pairs not listed in `links`; without it unlisted pairs cannot talk. */
  default: z.strictObject(quality).optional(),
  rssiCurve: rssiCurveSchema.optional(),
});

/** A topology file after validation. */
export type Topology = z.output<typeof topologySchema>;

function fail(file: string, path: readonly PropertyKey[], message: string): never {
  const where = path.length
    ? path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '')
    : '(top level)';
  throw new EdgesplitError('E_PLAN', `${file}: ${where}: ${message}`);
}

/** Validates a parsed topology file; errors name the file and the field. */
export function parseTopology(json: unknown, file: string): Topology {
  const r = topologySchema.safeParse(json);
  if (!r.success) {
    const iss = r.error.issues[0];
    const msg = iss.code === 'unrecognized_keys' ? `unknown field(s) ${iss.keys.join(', ')}` : iss.message;
    fail(file, iss.path, msg);
  }
  const t = r.data;
  const names = new Set<string>();
  t.devices.forEach((d, i) => {
    if (names.has(d.name)) fail(file, ['devices', i, 'name'], `duplicate device name '${d.name}'`);
    names.add(d.name);
  });
  const check = (q: { rssiDbm?: number; throughputBps?: number }, path: PropertyKey[]) => {
    if ((q.rssiDbm === undefined) === (q.throughputBps === undefined))
      fail(file, path, 'give exactly one of rssiDbm or throughputBps');
  };
  t.links.forEach((l, i) => {
    l.between.forEach((n, j) => {
      if (!names.has(n))
        fail(file, ['links', i, 'between', j], `unknown device '${n}'; devices are ${[...names].join(', ')}`);
    });
    if (l.between[0] === l.between[1])
      fail(file, ['links', i, 'between'], 'a link joins two different devices');
    check(l, ['links', i]);
  });
  if (t.default) check(t.default, ['default']);
  return t;
}

/**
 * Builds the device pool of a topology: devices looked up in `catalog`, pair links from RSSI through
 * `curve` (the topology's own curve wins) or from measured throughput, over the base `link` model.
 * Links are symmetric.
 */
export function topologyPool(
  t: Topology,
  file: string,
  catalog: DeviceCatalog,
  link: LinkSpec,
  curve: readonly RssiPoint[],
): DevicePool {
  const devices = t.devices.map((d, i) => {
    if (!catalog.entries.has(d.type))
      fail(
        file,
        ['devices', i, 'type'],
        `unknown device type '${d.type}'; known: ${[...catalog.entries.keys()].sort().join(', ')}`,
      );
    return { name: d.name, spec: catalog.get(d.type) };
  });
  const useCurve = t.rssiCurve ?? curve;
  const make = (q: { rssiDbm?: number; throughputBps?: number }): PairLink =>
    q.throughputBps !== undefined
      ? { link: { ...link, throughputBps: q.throughputBps }, origin: 'measured' }
      : {
          link: { ...link, throughputBps: link.throughputBps * throughputFraction(useCurve, q.rssiDbm!) },
          origin: 'rssi',
          rssiDbm: q.rssiDbm,
        };
  const pairs = new Map<string, PairLink>();
  for (const l of t.links) {
    const p = make(l);
    pairs.set(`${l.between[0]}\u0000${l.between[1]}`, p);
    pairs.set(`${l.between[1]}\u0000${l.between[0]}`, p);
  }
  const fallback = t.default ? make(t.default) : undefined;
  return { devices, link, pairLink: (from, to) => pairs.get(`${from}\u0000${to}`) ?? fallback };
}

/** The pool of a device spec: every pair uses the catalog link. */
export function uniformPool(devices: readonly PhysicalDevice[], link: LinkSpec): DevicePool {
  return { devices, link };
}
