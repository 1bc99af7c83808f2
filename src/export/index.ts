/** Exports to serving engines: Triton model repositories and KServe manifests. */
export { PbEnum, PbMap, toPbtxt, type PbMessage, type PbValue } from './pbtxt.js';
export {
  batchesAlongFirstDim,
  kserveInferenceService,
  tritonDataType,
  tritonEnsembleConfig,
  tritonModelConfig,
  type EnsembleStep,
  type ModelSignatureSpec,
  type TensorSignature,
  type TritonOptions,
} from './triton.js';
export {
  exportTriton,
  HUB_KINDS,
  onnxSignature,
  type ExportedModel,
  type TritonExport,
  type TritonExportOptions,
} from './triton-repo.js';
