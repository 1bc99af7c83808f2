/** The cost model: compute and transfer costs, the split estimator and DistNN's hardware MAC model. */
export {
  computeCost,
  effectiveEnergyPerBitJ,
  effectiveEnergyPerMacJ,
  transferCost,
  usesPerMacEnergy,
  type ComputeCostOptions,
  type Cost,
  type TransferCost,
  type TransferCostOptions,
} from './device-cost.js';
export {
  estimateCut,
  estimateSplit,
  type CutEstimate,
  type SplitConfig,
  type SplitEstimate,
} from './estimate.js';
export {
  macLayerEstimate,
  macNetworkEstimate,
  type MacArrangement,
  type MacConvLayer,
  type MacHardware,
  type MacLayerEstimate,
  type MacNetworkEstimate,
} from './hardware-mac.js';
export {
  blockEnergyJ,
  hasMacUnit,
  macBitScale,
  macUnitCompute,
  type MacUnitCost,
  type MacUnitLayer,
  type MacUnitOptions,
} from './mac-unit-cost.js';
