/** LCP against model and data parallelism of the original model on the same devices and link (modelled). */
import type { LinkSpec } from '../../catalog/schema.js';
import type { Graph } from '../../graph/types.js';
import type { ModelProfile } from '../../profile/types.js';
import type { PhysicalDevice } from '../plan/types.js';
import { dataParallelRun, intraLayerRun, pipelineRun, singleDeviceRun } from './baselines.js';
import type { ModelledRun } from './modelled.js';
import type { PipelineStage } from './model-parallel.js';
import { placeLcp, type LcpObjective, type LcpPlacement } from './placement.js';
import { lcpStructure, type LcpStructure } from './structure.js';

/** A model's graph and profile. */
export interface ProfiledModel {
  readonly graph: Graph;
  readonly profile: ModelProfile;
}

/** The modelled comparison table and how LCP was placed. */
export interface LcpComparison {
  readonly link: string;
  readonly devices: readonly string[];
  readonly objective: LcpObjective;
  readonly structure: LcpStructure;
  readonly placement: LcpPlacement;
  readonly pipelineStages: readonly PipelineStage[];
  /** LCP, pipeline, intra-layer, data-parallel, single-device, in that order. */
  readonly rows: readonly ModelledRun[];
}

/** Models LCP (`lcp`) and the original model (`original`) distributed over `devices` and `link`. */
export function compareLcp(
  lcp: ProfiledModel,
  original: ProfiledModel,
  devices: readonly PhysicalDevice[],
  link: LinkSpec,
  objective: LcpObjective = 'latency',
): LcpComparison {
  const structure = lcpStructure(lcp.graph, lcp.profile);
  const placement = placeLcp(structure, devices, link, objective);
  const pipeline = pipelineRun(original.graph, original.profile, devices, link);
  const { stages, ...pipelineRow } = pipeline;
  return {
    link: link.id,
    devices: devices.map((d) => d.name),
    objective,
    structure,
    placement,
    pipelineStages: stages,
    rows: [
      placement.run,
      pipelineRow,
      intraLayerRun(original.graph, original.profile, devices, link),
      dataParallelRun(original.graph, original.profile, devices, link),
      singleDeviceRun(original.graph, original.profile, devices, link),
    ],
  };
}
