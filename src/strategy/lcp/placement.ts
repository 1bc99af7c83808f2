/**
 * Placement of an LCP model's branches on devices (pure): one branch per device when there are enough
 * (largest branch on the fastest device), otherwise longest-branch-first packing onto the device that
 * finishes it soonest among those with memory left; then the classifier with the gather on the device
 * that minimises the objective. Costs come from the one cost model: compute, input broadcast,
 * pre-final gather, result back to the coordinator.
 */
import type { LinkSpec } from '../../catalog/schema.js';
import { EdgesplitError, InfeasibleError } from '../../core/errors.js';
import type { PhysicalDevice } from '../plan/types.js';
import { computeS, fits, messageS, modelledRun, type DeviceLoad, type ModelledRun } from './modelled.js';
import type { LcpStructure } from './structure.js';

/** What the classifier's device is chosen to minimise. */
export const LCP_OBJECTIVES = ['latency', 'throughput', 'energy'] as const;
/** One of {@link LCP_OBJECTIVES}. */
export type LcpObjective = (typeof LCP_OBJECTIVES)[number];

/** Where every branch and the classifier run, and what that costs. */
export interface LcpPlacement {
  /** Device index of each branch. */
  readonly branchDevice: readonly number[];
  readonly classifierDevice: number;
  readonly devices: readonly {
    readonly name: string;
    readonly branches: readonly number[];
    readonly classifier: boolean;
  }[];
  readonly run: ModelledRun;
}

function assignBranches(s: LcpStructure, devices: readonly PhysicalDevice[]): number[] {
  const order = s.branches.map((_, i) => i).sort((a, b) => s.branches[b].macs - s.branches[a].macs || a - b);
  const assign = new Array<number>(s.branches.length);
  if (devices.length >= s.branches.length) {
    const fastest = devices
      .map((_, i) => i)
      .sort((a, b) => devices[b].spec.macsPerS - devices[a].spec.macsPerS || a - b);
    order.forEach((b, j) => (assign[b] = fastest[j]));
    return assign;
  }
  const busy = devices.map(() => 0);
  const weights = devices.map(() => 0);
  for (const b of order) {
    const br = s.branches[b];
    let pick = -1;
    for (let d = 0; d < devices.length; d++) {
      const spec = devices[d].spec;
      if (!fits({ spec, weightBytes: weights[d] + br.weightBytes, activationBytes: br.peakActivationBytes }))
        continue;
      const t = busy[d] + computeS(spec, br.macs, br.ops);
      if (pick < 0 || t < busy[pick] + computeS(devices[pick].spec, br.macs, br.ops)) pick = d;
    }
    if (pick < 0) {
      const free = Math.max(
        ...devices.map((d, i) => d.spec.flashBytes - d.spec.runtimeOverheadBytes - weights[i]),
      );
      throw new InfeasibleError(
        `${s.model}: branch ${b} (${br.weightBytes} B of weights, ${br.peakActivationBytes} B of activations) fits on no device; the most weight memory left is ${free} B`,
      );
    }
    assign[b] = pick;
    busy[pick] += computeS(devices[pick].spec, br.macs, br.ops);
    weights[pick] += br.weightBytes;
  }
  return assign;
}

/** Costs of running `s` with branches on `branchDevice` and the classifier on device `g`. */
export function lcpRun(
  s: LcpStructure,
  devices: readonly PhysicalDevice[],
  branchDevice: readonly number[],
  g: number,
  link: LinkSpec,
): ModelledRun {
  const groups = devices.map((_, d) => s.branches.filter((_, b) => branchDevice[b] === d));
  const sum = (d: number, f: (p: (typeof s.branches)[number]) => number) =>
    groups[d].reduce((a, p) => a + f(p), 0);
  const used = devices.map((_, d) => d).filter((d) => groups[d].length > 0);
  const compute = devices.map((dev, d) =>
    computeS(
      dev.spec,
      sum(d, (p) => p.macs),
      sum(d, (p) => p.ops),
    ),
  );
  const inS = messageS(link, s.inputBytes);
  const done = new Map<number, number>();
  [...used]
    .sort((a, b) => compute[b] - compute[a] || a - b)
    .forEach((d, rank) => done.set(d, (rank + 1) * inS + compute[d]));
  const featBytes = (d: number) => sum(d, (p) => p.outputBytes);
  let t = 0;
  for (const d of [...used].filter((d) => d !== g).sort((a, b) => done.get(a)! - done.get(b)!))
    t = Math.max(t, done.get(d)!) + messageS(link, featBytes(d));
  const c = s.classifier;
  const outBytes = c.outputBytes;
  const latencyS =
    Math.max(t, done.get(g) ?? 0) + computeS(devices[g].spec, c.macs, c.ops) + messageS(link, outBytes);
  const loads: DeviceLoad[] = devices.flatMap((dev, d) => {
    if (groups[d].length === 0 && d !== g) return [];
    const isG = d === g;
    const gathered = isG ? used.filter((u) => u !== g).map(featBytes) : [];
    return [
      {
        name: dev.name,
        spec: dev.spec,
        macs: sum(d, (p) => p.macs) + (isG ? c.macs : 0),
        ops: sum(d, (p) => p.ops) + (isG ? c.ops : 0),
        weightBytes: sum(d, (p) => p.weightBytes) + (isG ? c.weightBytes : 0),
        activationBytes: Math.max(
          0,
          ...groups[d].map((p) => p.peakActivationBytes),
          isG ? c.peakActivationBytes : 0,
        ),
        recv: [...(groups[d].length ? [s.inputBytes] : []), ...gathered],
        send: [...(groups[d].length && !isG ? [featBytes(d)] : []), ...(isG ? [outBytes] : [])],
      },
    ];
  });
  const coordinator = { send: used.map(() => s.inputBytes), recv: [outBytes] };
  return modelledRun('lcp', s.model, link, loads, coordinator, latencyS);
}

function score(r: ModelledRun, objective: LcpObjective): number {
  if (objective === 'throughput') return -r.throughputPerS;
  if (objective === 'energy') return r.energyJ;
  return r.latencyS ?? Infinity;
}

/** Places the branches and the classifier of `s` on `devices` over `link`, choosing the classifier's device by `objective`. */
export function placeLcp(
  s: LcpStructure,
  devices: readonly PhysicalDevice[],
  link: LinkSpec,
  objective: LcpObjective = 'latency',
): LcpPlacement {
  if (devices.length === 0) throw new EdgesplitError('E_USAGE', 'at least one device is needed');
  const branchDevice = assignBranches(s, devices);
  let best: { g: number; run: ModelledRun } | undefined;
  for (let g = 0; g < devices.length; g++) {
    const run = lcpRun(s, devices, branchDevice, g, link);
    const better =
      !best ||
      (run.fitsMemory && !best.run.fitsMemory) ||
      (run.fitsMemory === best.run.fitsMemory && score(run, objective) < score(best.run, objective));
    if (better) best = { g, run };
  }
  return {
    branchDevice,
    classifierDevice: best!.g,
    devices: devices.map((d, i) => ({
      name: d.name,
      branches: branchDevice.flatMap((x, b) => (x === i ? [b] : [])),
      classifier: i === best!.g,
    })),
    run: best!.run,
  };
}
