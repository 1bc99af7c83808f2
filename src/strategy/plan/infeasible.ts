/**
 * Explanations for requests no plan satisfies: a node that fits no device, or too few devices. Each
 * names the node(s) and the shortfall in bytes ("needs 3,355,443 B (3.20 MiB) more flash on esp32s3-5").
 */
import type { DeviceSpec } from '../../catalog/schema.js';
import { InfeasibleError } from '../../core/errors.js';
import { activationSramBytes, memoryShortfall, type StageCosts } from './stage-costs.js';
import type { DevicePool } from './types.js';

/** The plan request cannot be met; `message` states what is short, by how much and where. */
export class PlanInfeasibleError extends InfeasibleError {
  constructor(
    message: string,
    /** Devices a plan needs at least (by type), when the problem is the device count. */
    readonly minimumDevices?: Readonly<Record<string, number>>,
  ) {
    super(message);
    this.name = 'PlanInfeasibleError';
  }
}

/** `1,234,567 B (1.18 MiB)`. */
export function describeBytes(n: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  const exact = `${Math.round(n).toLocaleString('en-US')} B`;
  for (const [size, unit] of units) if (n >= size) return `${exact} (${(n / size).toFixed(2)} ${unit})`;
  return exact;
}

/** Shortfalls of nodes [a, b) on a device: positive numbers are bytes missing. */
export function shortfall(
  costs: StageCosts,
  device: DeviceSpec,
  a: number,
  b: number,
): { flash: number; sram: number } {
  return memoryShortfall(costs.problem, device, costs.weightBytes(a, b), costs.peakBytes(a, b));
}

function describeShortfall(
  costs: StageCosts,
  device: DeviceSpec,
  a: number,
  b: number,
  where: string,
): string {
  const s = shortfall(costs, device, a, b);
  const parts: string[] = [];
  const model = costs.problem.memoryModel;
  if (s.flash > 0 && model === 'seed') {
    parts.push(
      `needs ${describeBytes(s.flash)} more memory on ${where} (weights ${describeBytes(costs.weightBytes(a, b))} + runtime ` +
        `${describeBytes(device.runtimeOverheadBytes)} + largest intermediate ${describeBytes(costs.peakBytes(a, b))} > ${describeBytes(device.flashBytes)}, memory model seed)`,
    );
  } else if (s.flash > 0) {
    parts.push(
      `needs ${describeBytes(s.flash)} more flash on ${where} (weights ${describeBytes(costs.weightBytes(a, b))} + runtime ` +
        `${describeBytes(device.runtimeOverheadBytes)} > ${describeBytes(device.flashBytes)})`,
    );
  }
  if (s.sram > 0) {
    parts.push(
      `needs ${describeBytes(s.sram)} more SRAM on ${where} (activation peak ${describeBytes(costs.peakBytes(a, b))}${model ? `, memory model ${model},` : ''} > ${
        model && device.sramReservedBytes
          ? `${describeBytes(activationSramBytes(device))} left of ${describeBytes(device.sramBytes)} after ${describeBytes(device.sramReservedBytes)} reserved by the runtime`
          : describeBytes(device.sramBytes)
      })`,
    );
  }
  return parts.join(' and ');
}

function nodeLabel(costs: StageCosts, k: number): string {
  const node = costs.problem.nodes[k];
  return `'${node.name}' (${node.op}, #${k})`;
}

/** Fewest devices of unlimited supply that cover the graph, as counts per type; undefined when a node fits no type. */
export function minimumDevices(costs: StageCosts): Record<string, number> | undefined {
  const n = costs.n;
  const f = new Float64Array(n + 1).fill(Infinity);
  const from = new Int32Array(n + 1);
  const via = new Int32Array(n + 1);
  f[0] = 0;
  for (let a = 0; a < n; a++) {
    if (f[a] === Infinity) continue;
    costs.types.forEach((_, t) => {
      for (let b = a + 1; b <= costs.maxEnd[t][a]; b++) {
        if (f[a] + 1 < f[b]) {
          f[b] = f[a] + 1;
          from[b] = a;
          via[b] = t;
        }
      }
    });
  }
  if (f[n] === Infinity) return undefined;
  const counts: Record<string, number> = {};
  for (let b = n; b > 0; b = from[b]) {
    const id = costs.types[via[b]].id;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/**
 * Explains why no plan exists for `pool`: the first node that fits no device type (with its
 * shortfall on each type), or the device count needed and the shortfall of the last device when the
 * devices are filled in order.
 */
export function explainInfeasible(costs: StageCosts, pool: DevicePool): PlanInfeasibleError {
  for (let k = 0; k < costs.n; k++) {
    if (costs.types.some((_, t) => costs.maxEnd[t][k] > k)) continue;
    const why = costs.types.map((d) => describeShortfall(costs, d, k, k + 1, d.id)).join('; ');
    return new PlanInfeasibleError(`node ${nodeLabel(costs, k)} fits no available device: it ${why}`);
  }
  const min = minimumDevices(costs)!;
  const need = Object.entries(min)
    .map(([id, c]) => `${c} x ${id}`)
    .join(' + ');
  const total = Object.values(min).reduce((a, b) => a + b, 0);
  // fill all devices but the last in order; the last must take everything that is left
  let a = 0;
  const devices = pool.devices;
  for (const d of devices.slice(0, -1)) {
    const t = costs.types.findIndex((x) => x.id === d.spec.id);
    a = Math.max(a, costs.maxEnd[t][a]);
  }
  const last = devices[devices.length - 1];
  const rest = describeShortfall(costs, last.spec, a, costs.n, last.name);
  const tail = `${nodeLabel(costs, a)} .. ${nodeLabel(costs, costs.n - 1)}`;
  const detail = rest
    ? `filling the devices in order, ${last.name} would have to hold nodes ${tail} and ${rest}`
    : '';
  const head =
    devices.length < total
      ? `${devices.length} device(s) are too few: the model needs at least ${total} (${need})`
      : `the ${devices.length} devices given cannot hold the model in any order (a cover needs ${need})`;
  return new PlanInfeasibleError(`${head}${detail ? `; ${detail}` : ''}`, min);
}
