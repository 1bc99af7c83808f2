/**
 * Turns searched stage shapes into planned stages on physical devices with predicted costs, adds
 * spare replicas, and scores plans. One place computes every reported number.
 */
import { transferCost } from '../../cost/device-cost.js';
import type { StageCosts } from './stage-costs.js';
import type {
  BalanceGoal,
  DevicePool,
  Objective,
  PartitionPlan,
  PlanMetrics,
  PlannedStage,
  StageShape,
} from './types.js';

/** A stage shape with its physical devices (first = primary, the rest replicas). */
export interface PlacedShape extends StageShape {
  readonly devices: readonly string[];
}

/** The number a plan minimises for an objective (throughput is scored by its bottleneck cycle time). */
export function objectiveValue(m: PlanMetrics, objective: Objective): number {
  switch (objective) {
    case 'devices':
      return m.devices;
    case 'throughput':
      return m.throughputPerS > 0 ? 1 / m.throughputPerS : Infinity;
    case 'latency':
      return m.latencyS;
    case 'bytes':
      return m.totalBytes;
    case 'energy':
      return m.maxEnergyJ;
  }
}

/** Devices of each type still free after `shapes`, by type id. */
export function spareDevices(shapes: readonly StageShape[], pool: DevicePool): Map<string, number> {
  const spare = new Map<string, number>();
  for (const d of pool.devices) spare.set(d.spec.id, (spare.get(d.spec.id) ?? 0) + 1);
  for (const s of shapes) spare.set(s.type, (spare.get(s.type) ?? 0) - s.replicas);
  return spare;
}

/**
 * Gives spare devices to stages as replicas, one at a time, always to the stage with the largest
 * per-device cycle time (goal `throughput`) or energy (goal `energy`) among those whose device type
 * still has a spare. For one device type this is the optimal distribution (min-max of value/replicas).
 */
export function addSpareReplicas(
  shapes: readonly StageShape[],
  pool: DevicePool,
  costs: StageCosts,
  goal: BalanceGoal,
): StageShape[] {
  const out = shapes.map((s) => ({ ...s }));
  const spare = spareDevices(shapes, pool);
  const { timeS, energyJ } = costs.transfers;
  const base = out.map((s) => {
    const device = costs.types.find((t) => t.id === s.type)!;
    const c = costs.compute(device, s.start, s.end);
    return goal === 'throughput' ? timeS[s.start] + c.timeS + timeS[s.end] : c.energyJ + energyJ[s.end];
  });
  for (;;) {
    let best = -1;
    for (let i = 0; i < out.length; i++) {
      if ((spare.get(out[i].type) ?? 0) <= 0) continue;
      if (best < 0 || base[i] / out[i].replicas > base[best] / out[best].replicas) best = i;
    }
    if (best < 0) return out;
    out[best] = { ...out[best], replicas: out[best].replicas + 1 };
    spare.set(out[best].type, spare.get(out[best].type)! - 1);
  }
}

/** Puts stages on physical devices in the pool's order (the first free device of the stage's type). */
export function placeInOrder(shapes: readonly StageShape[], pool: DevicePool): PlacedShape[] {
  const free = [...pool.devices];
  return shapes.map((s) => {
    const devices: string[] = [];
    for (let k = 0; k < s.replicas; k++) {
      const i = free.findIndex((d) => d.spec.id === s.type);
      if (i < 0) throw new RangeError(`no free '${s.type}' device left for stage [${s.start}, ${s.end})`);
      devices.push(free[i].name);
      free.splice(i, 1);
    }
    return { ...s, devices };
  });
}

/** The link from one stage's devices to the next's: the slowest pair among them (undefined if a pair cannot talk). */
function stageLink(pool: DevicePool, from: readonly string[], to: readonly string[]) {
  if (!pool.pairLink) return pool.link;
  let worst = undefined as ReturnType<NonNullable<DevicePool['pairLink']>>;
  for (const a of from) {
    for (const b of to) {
      const p = pool.pairLink(a, b);
      if (!p) return undefined;
      if (!worst || p.link.throughputBps < worst.link.throughputBps) worst = p;
    }
  }
  return worst?.link;
}

/** Predicts every stage's memory, time, bytes and energy, and the plan's metrics. */
export function evaluatePlan(
  placed: readonly PlacedShape[],
  pool: DevicePool,
  costs: StageCosts,
): PartitionPlan {
  const n = costs.n;
  const problem = costs.problem;
  const sends = placed.map((s, i) => {
    if (i === placed.length - 1) return { timeS: 0, energyJ: 0, bps: null as number | null };
    const link = stageLink(pool, s.devices, placed[i + 1].devices);
    if (!link) return { timeS: Infinity, energyJ: Infinity, bps: 0 };
    const c = transferCost(link, problem.cutBytes[s.end]);
    return { timeS: c.timeS, energyJ: c.energyJ, bps: link.throughputBps };
  });
  const stages: PlannedStage[] = placed.map((s, i) => {
    const device = costs.types.find((t) => t.id === s.type)!;
    const c = costs.compute(device, s.start, s.end);
    const weightBytes = costs.weightBytes(s.start, s.end);
    const activationPeakBytes = costs.peakBytes(s.start, s.end);
    const recvS = i === 0 ? 0 : sends[i - 1].timeS;
    return {
      index: i,
      start: s.start,
      end: s.end,
      type: s.type,
      devices: s.devices,
      macs: costs.macsOf(s.start, s.end),
      ops: costs.opsOf(s.start, s.end),
      weightBytes,
      runtimeOverheadBytes: device.runtimeOverheadBytes,
      activationPeakBytes,
      memoryBytes: weightBytes + device.runtimeOverheadBytes + activationPeakBytes,
      memoryAvailableBytes: device.flashBytes + device.sramBytes,
      flashBytes: device.flashBytes,
      sramBytes: device.sramBytes,
      recvBytes: s.start === 0 ? 0 : problem.cutBytes[s.start],
      sendBytes: s.end === n ? 0 : problem.cutBytes[s.end],
      computeS: c.timeS,
      recvS,
      sendS: sends[i].timeS,
      sendLinkBps: sends[i].bps,
      cycleS: (recvS + c.timeS + sends[i].timeS) / s.replicas,
      energyJ: (c.energyJ + sends[i].energyJ) / s.replicas,
    };
  });
  let bottleneckStage = 0;
  stages.forEach((s, i) => {
    if (s.cycleS > stages[bottleneckStage].cycleS) bottleneckStage = i;
  });
  const maxCycle = stages[bottleneckStage].cycleS;
  return {
    stages,
    metrics: {
      devices: stages.reduce((a, s) => a + s.devices.length, 0),
      stages: stages.length,
      throughputPerS: maxCycle > 0 ? 1 / maxCycle : Infinity,
      latencyS: stages.reduce((a, s) => a + s.computeS + s.sendS, 0),
      totalBytes: stages.reduce((a, s) => a + s.sendBytes, 0),
      maxEnergyJ: Math.max(...stages.map((s) => s.energyJ)),
      bottleneckStage,
    },
  };
}
