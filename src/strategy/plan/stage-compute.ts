import type { DeviceSpec } from '../../catalog/schema.js';
import { computeCost, type Cost } from '../../cost/device-cost.js';

/**
 * The planner's compute estimate of one stage on one device: `macs` multiply-accumulates and `ops`
 * other operations per sample. Every planned stage's `computeS` comes from here, and the runtime's
 * device pacing calls it too, so an emulated device computes exactly as long as the plan assumed.
 */
export function stageComputeCost(device: DeviceSpec, macs: number, ops: number): Cost {
  return computeCost(device, macs, ops);
}
