/** Public API of the distributed runtime (re-exports only). */
export {
  runPipeline,
  type FailoverEvent,
  type PipelineRun,
  type RunPipelineOptions,
  type SampleSource,
} from './coordinator.js';
export { startStageNode, type StageNodeHandle, type StageNodeOptions } from './node.js';
export { localPool, type LocalPool, type LocalPoolOptions } from './local-nodes.js';
export { hostsPool, loadHostsFile, parseHostsFile, type NodePool } from './node-pool.js';
export type { NodeEndpoint } from './node-link.js';
export { loadRuntimePlan, toRuntimePlan } from './plan-dir.js';
export {
  stageRoutes,
  type RuntimePlan,
  type RuntimeStage,
  type RuntimeTensor,
  type RuntimeDevice,
  type StageRoute,
} from './routes.js';
export {
  runPlan,
  datasetSamples,
  classificationAccuracy,
  type RunPlanOptions,
  type RunReport,
} from './run.js';
export {
  summarise,
  quantile,
  type RunSummary,
  type RunRecords,
  type StageSummary,
  type LinkSummary,
  type ComputeCommSplit,
  type NodeRecord,
} from './summary.js';
export { buildTrace, TRACE_THREADS, type TraceDocument, type TraceEvent } from './trace.js';
export { estimateEnergy, type EnergyEstimate } from './energy.js';
export { ReorderBuffer } from './reorder.js';
export { ReplicaPicker, type ReplicaPolicy } from './replica-picker.js';
export { estimateOffset, type ClockOffset, type ClockSample } from './clock.js';
export { resolveLinkWrap, type LinkWrap } from './link-wrap.js';
export { checkListenPolicy, isLoopbackHost } from './listen-policy.js';
export { readConfinedModel, MODEL_FILE_REFUSED, type ModelFileResult } from './model-dir.js';
export { RunFailedError } from './run-failed.js';
export { RunStats, type RunStatsOptions } from './run-stats.js';
export { DEFAULT_STALL_TIMEOUT_MS } from './coordinator.js';
export { defaultStallTimeoutMs } from './run.js';
export { AccuracyCounter, JsonlResults } from './result-sink.js';
export { runNodeProcess, spawnNodeProcess, nodeMainPath, type NodeProcessOptions } from './node-process.js';
export {
  Pacer,
  planPacing,
  checkTimeScale,
  parseTimeScale,
  TIME_SCALE_LIMITS,
  modelledComputeS,
  emulationGaps,
  pacingSchema,
  type StagePacing,
  type PacerClock,
  type PacedCompute,
} from './pacing.js';
export {
  EMULATION_MODES,
  defaultEmulation,
  nodeEmulation,
  runEmulation,
  timeScaleFor,
  type EmulationMode,
  type NodeEmulation,
  type RunEmulation,
} from './device-emulation.js';
export {
  twinReport,
  scaleRecords,
  loadedLatencyMs,
  loadedThroughputPerS,
  scaleSummary,
  type TwinReport,
  type TwinStage,
  type TwinPair,
} from './twin-report.js';
