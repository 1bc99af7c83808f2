/** DistNN node/hub split: ranked cuts, the chosen cut and the energy conditions. */
export {
  DEFAULT_MEMORY_OVERHEAD,
  distnnSplit,
  type DistnnOptions,
  type SplitCandidate,
  type SplitResult,
} from './distnn.js';
export {
  energyConditions,
  formatJoules,
  MUCH_LESS_RATIO,
  type ConditionResult,
  type Verdict,
} from './conditions.js';
export {
  exploreSplits,
  MAX_EXPLORE_CONFIGS,
  MAX_EXPLORE_POINTS,
  paretoFront,
  type ExploreOptions,
  type ExplorePoint,
  type ExploreResult,
} from './explore.js';
export * from './precision-space.js';
