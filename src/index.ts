/** Public API of edgesplit; re-exports only, no side effects. */
export * from './core/errors.js';
export * from './core/tensor.js';
export type { InferenceBackend, InferenceSession, LoadOptions } from './backend/backend.js';
export * from './catalog/index.js';
export * from './cost/index.js';
export { parseIdx, loadIdxFile, loadIdxImageSet, type IdxArray, type IdxImageSet } from './data/idx.js';
export {
  DATASETS,
  loadDataset,
  batches,
  datasetSpec,
  type Dataset,
  type DatasetSpec,
  type Batch,
} from './data/datasets.js';
export {
  argmaxRows,
  accuracy,
  countCorrect,
  softmaxRows,
  top2SoftmaxRows,
  binaryConfusion,
  binaryScores,
  ssim,
  meanSsim,
  sumSsim,
  SSIM_PARAMS,
  type Top2,
  type BinaryConfusion,
  type BinaryScores,
} from './data/metrics.js';
export {
  loadManifest,
  zooModel,
  zooModelPath,
  type ZooManifest,
  type ZooModel,
  type ZooTask,
} from './zoo/manifest.js';
export { evaluateModel, type EvalOptions, type EvalResult, type EvalTask } from './zoo/evaluate.js';
export * from './strategy/split/index.js';
export * from './report/index.js';
export {
  startServer,
  V2Client,
  V2HttpError,
  ProtocolError,
  DEFAULT_LIMITS,
  DynamicBatcher,
  readModelSignature,
  signRequest,
  checkAuth,
  encodeInferRequest,
  decodeInferResponse,
  type V2Server,
  type ServeOptions,
  type ServeLimits,
  type ModelSignature,
  type TensorMeta,
  type V2ClientOptions,
  type InferOptions,
  type InferResult,
  type V2Datatype,
} from './serve/index.js';
export {
  runHiSystem,
  type HiSystemOptions,
  type HiSystemReport,
  type StrategyResult,
} from './serve/hi/system.js';
export {
  startLinkProxy,
  MuxDecoder,
  muxFrame,
  MUX_HEADER_BYTES,
  MUX_MAX_PAYLOAD,
  type LinkProxy,
  type LinkProxyOptions,
  type LinkProxyStats,
  type LinkDirectionStats,
} from './serve/link-proxy.js';
export {
  defaultLatencySamples,
  openOffloadPath,
  LATENCY_LINK_BUDGET_MS,
  type LinkTraffic,
  type OffloadPath,
  type OffloadPathOptions,
} from './serve/hi/offload-link.js';
export {
  ThresholdDecision,
  LogisticDecision,
  decisionMetrics,
  metricsAtThreshold,
  hiCost,
  eeHiCost,
  hiAccuracy,
  hiAccuracyFromRates,
  fitOffloadFraction,
  deviceInferenceCost,
  offloadCost,
  searchThresholds,
  evaluateThresholds,
  strategyTable,
  EXIT_NEVER,
  type DecisionModule,
  type Decision,
  type DecisionMetrics,
  type CostPoint,
  type HiCosts,
  type HiSearchSample,
  type HiSearchCosts,
  type QosGoal,
  type OperatingPoint,
  type SearchResult,
  type StrategyTableRow,
  type DeviceScenario,
} from './strategy/hi/index.js';
export * from './strategy/plan/index.js';
export * from './plan/index.js';
export * from './runtime/index.js';
export * from './transport/index.js';
export {
  lcpSplit,
  lcpStructure,
  emitLcpModel,
  cnnTemplate,
  placeLcp,
  lcpRun,
  compareLcp,
  balancedPipeline,
  intraLayerAccount,
  branchWidth,
  LCP_OBJECTIVES,
  DISTRIBUTIONS,
  type LcpSplitOptions,
  type LcpSplitResult,
  type LcpStructure,
  type LcpPart,
  type LcpPlacement,
  type LcpComparison,
  type LcpObjective,
  type ModelledRun,
  type Distribution,
} from './strategy/lcp/index.js';
export { lcpAccuracyTable, LCP_ZOO_VARIANTS, type LcpTable, type LcpTableRow } from './zoo/lcp-table.js';
export * from './export/index.js';
export * from './strategy/quantize/index.js';
