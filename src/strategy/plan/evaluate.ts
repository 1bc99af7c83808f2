/**
 * Turns searched stage shapes into planned stages on physical devices with predicted costs, adds
 * spare replicas, and scores plans. One place computes every reported number.
 */
import { transferCost } from '../../cost/device-cost.js';
import { activationSramBytes, type StageCosts } from './stage-costs.js';
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

/** Time, sender energy and throughput of one transfer between two named devices; undefined when they cannot talk. */
function pairTransfer(pool: DevicePool, from: string, to: string, bytes: number) {
  const link = pool.pairLink ? pool.pairLink(from, to)?.link : pool.link;
  if (!link) return undefined;
  const c = transferCost(link, bytes);
  return { timeS: c.timeS, energyJ: c.energyJ, bps: link.throughputBps };
}

/**
 * Per-replica costs of the transfer between two consecutive stages. Each sender spreads its samples
 * evenly over the next stage's replicas (round-robin), so every pair carries an equal share: a
 * device's send (receive) time per sample is the mean over the pairs it sends on (receives from).
 */
function stageTransfers(pool: DevicePool, from: readonly string[], to: readonly string[], bytes: number) {
  const sendS = new Float64Array(from.length);
  const sendJ = new Float64Array(from.length);
  const recvS = new Float64Array(to.length);
  let meanS = 0;
  let slowestBps = Infinity;
  for (let u = 0; u < from.length; u++) {
    for (let v = 0; v < to.length; v++) {
      const c = pairTransfer(pool, from[u], to[v], bytes);
      if (!c) return undefined;
      sendS[u] += c.timeS / to.length;
      sendJ[u] += c.energyJ / to.length;
      recvS[v] += c.timeS / from.length;
      meanS += c.timeS / (from.length * to.length);
      slowestBps = Math.min(slowestBps, c.bps);
    }
  }
  return { sendS, sendJ, recvS, meanS, slowestBps };
}

/**
 * Predicts every stage's memory, time, bytes and energy, and the plan's metrics. Replicas are costed
 * on the pair links they use; a stage's cycle is its slowest replica's time over the replica count.
 * A plan whose consecutive stages include a pair that cannot talk gets infinite times.
 */
export function evaluatePlan(
  placed: readonly PlacedShape[],
  pool: DevicePool,
  costs: StageCosts,
): PartitionPlan {
  const n = costs.n;
  const problem = costs.problem;
  const links = placed.map((s, i) =>
    i === placed.length - 1
      ? null
      : stageTransfers(pool, s.devices, placed[i + 1].devices, problem.cutBytes[s.end]),
  );
  const stages: PlannedStage[] = placed.map((s, i) => {
    const device = costs.types.find((t) => t.id === s.type)!;
    const c = costs.compute(device, s.start, s.end);
    const weightBytes = costs.weightBytes(s.start, s.end);
    const activationPeakBytes = costs.peakBytes(s.start, s.end);
    const inbound = i === 0 ? null : links[i - 1];
    const outbound = links[i];
    const broken = inbound === undefined || outbound === undefined;
    let worstS = 0;
    let worstJ = 0;
    s.devices.forEach((_, u) => {
      const t = (inbound?.recvS[u] ?? 0) + c.timeS + (outbound?.sendS[u] ?? 0);
      worstS = Math.max(worstS, t);
      worstJ = Math.max(worstJ, c.energyJ + (outbound?.sendJ[u] ?? 0));
    });
    const seed = problem.memoryModel === 'seed';
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
      memoryAvailableBytes: seed ? device.flashBytes : device.flashBytes + activationSramBytes(device),
      flashBytes: device.flashBytes,
      sramBytes: problem.memoryModel ? activationSramBytes(device) : device.sramBytes,
      recvBytes: s.start === 0 ? 0 : problem.cutBytes[s.start],
      sendBytes: s.end === n ? 0 : problem.cutBytes[s.end],
      computeS: c.timeS,
      recvS: broken ? Infinity : (inbound?.meanS ?? 0),
      sendS: broken ? Infinity : (outbound?.meanS ?? 0),
      sendLinkBps: outbound === null ? null : (outbound?.slowestBps ?? 0),
      cycleS: broken ? Infinity : worstS / s.replicas,
      energyJ: broken ? Infinity : worstJ / s.replicas,
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
