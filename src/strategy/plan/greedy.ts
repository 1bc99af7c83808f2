import type { StageCosts } from './stage-costs.js';
import type { DevicePool, StageShape } from './types.js';

/** Outcome of the greedy baseline: stages with their devices, or where it got stuck. */
export type GreedyOutcome =
  | { readonly ok: true; readonly stages: readonly (StageShape & { readonly devices: readonly string[] })[] }
  | { readonly ok: false; readonly coveredUpTo: number; readonly reason: string };

/**
 * The seed's baseline (TinyML seed Sec. II-C): take the devices in the given order and put as many
 * consecutive nodes on each as fit, then move to the next. A device that cannot take even the next
 * node is skipped. Fails when the devices run out before the last node.
 */
export function greedyPartition(costs: StageCosts, pool: DevicePool): GreedyOutcome {
  const stages: (StageShape & { devices: string[] })[] = [];
  let a = 0;
  for (const device of pool.devices) {
    if (a >= costs.n) break;
    const t = costs.types.findIndex((x) => x.id === device.spec.id);
    const b = costs.maxEnd[t][a];
    if (b === a) continue;
    stages.push({ start: a, end: b, type: device.spec.id, replicas: 1, devices: [device.name] });
    a = b;
  }
  if (a < costs.n) {
    const node = costs.problem.nodes[a];
    return {
      ok: false,
      coveredUpTo: a,
      reason: `greedy filling used all ${pool.devices.length} devices and stopped before node '${node.name}' (#${a} of ${costs.n})`,
    };
  }
  return { ok: true, stages };
}
