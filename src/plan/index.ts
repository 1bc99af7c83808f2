/** Plan directories: plan.json (versioned zod schema) and self-contained stage models; planning inputs from files. */
export * from '../core/plan-file.js';
export { migratePlanV1, parsePlanFile } from '../core/plan-parse.js';
export {
  PLAN_FILE,
  planTensor,
  buildPlanFile,
  readPlan,
  writePlanFile,
  wireFor,
  writePlanDir,
  type LoadedPlan,
  type PlanMeta,
  type WritePlanOptions,
} from './plan-dir.js';
export { RSSI_CURVE_FILE, inlineExternalData, loadDevicePool, loadRssiCurve } from './inputs.js';
export { DEMO_PIPELINE, planModelFile, type PlanModelOptions, type PlannedModel } from './plan-model.js';
export {
  planLcpModel,
  type DagPlanFile,
  type DagPlanStage,
  type LcpPlanOptions,
  type LcpPlanResult,
} from './lcp-plan.js';
export { writeRangePlan, type RangeStage } from './range-plan.js';
export { checkPlan, stageDag, type DagEdge, type DagStage, type Endpoint, type StageDag } from './dag.js';
