/** The partition planner (pure): problems from profiles, device pools, exact search, greedy baseline, placement, replication. */
export * from './types.js';
export { partitionProblem } from './problem.js';
export {
  MAX_DEVICES,
  parseDeviceSpec,
  parseTopology,
  rssiCurveFileSchema,
  rssiCurveSchema,
  throughputFraction,
  topologyPool,
  topologySchema,
  uniformPool,
  type RssiPoint,
  type Topology,
} from './devices.js';
export { StageCosts, cutTransfers, type CutTransfers } from './stage-costs.js';
export { MAX_SEARCH_CELLS, searchPartition, type SearchSpec } from './search.js';
export {
  addSpareReplicas,
  evaluatePlan,
  objectiveValue,
  placeInOrder,
  spareDevices,
  type PlacedShape,
} from './evaluate.js';
export { greedyPartition, type GreedyOutcome } from './greedy.js';
export { MAX_EXACT_PLACEMENT_DEVICES, placeStages } from './placement.js';
export {
  PlanInfeasibleError,
  describeBytes,
  explainInfeasible,
  minimumDevices,
  shortfall,
} from './infeasible.js';
export { planBetter, planPipeline, searchLink } from './planner.js';
export { MAX_JOINT_CELLS, MAX_JOINT_DEVICES, searchJoint } from './joint.js';
export { activationSramBytes, memoryShortfall } from './stage-costs.js';
export { stageComputeCost } from './stage-compute.js';
