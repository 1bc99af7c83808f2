/** LCP (seed lcp-low-communication-parallelization): the splitter, branch accounting, placement and cost. Pure. */
export { MAX_BRANCHES, branchWidth, checkSplitOptions, roundHalfEven } from './widths.js';
export { WIDTH_OPS, cnnTemplate, type CnnTemplate } from './template.js';
export { GATHER_TENSOR, LCP_METADATA_KEY, branchTensor, emitLcpModel, type EmitOptions } from './emit.js';
export { lcpStructure, type LcpPart, type LcpStructure } from './structure.js';
export {
  balancedPipeline,
  intraLayerAccount,
  pipelineBytes,
  type IntraLayerAccount,
  type IntraLayerExchange,
  type PipelineStage,
} from './model-parallel.js';
export {
  lcpPeakActivationBytes,
  lcpSplit,
  lcpSplitReport,
  type FitStep,
  type LcpCommunication,
  type LcpSplitOptions,
  type LcpSplitResult,
} from './split.js';
export {
  DISTRIBUTIONS,
  DISTRIBUTION_LABELS,
  computeS,
  fits,
  messageS,
  modelledRun,
  occupancyS,
  type DeviceLoad,
  type Distribution,
  type ModelledRun,
} from './modelled.js';
export { dataParallelRun, intraLayerRun, pipelineRun, singleDeviceRun } from './baselines.js';
export { LCP_OBJECTIVES, lcpRun, placeLcp, type LcpObjective, type LcpPlacement } from './placement.js';
export { compareLcp, type LcpComparison, type ProfiledModel } from './compare.js';
