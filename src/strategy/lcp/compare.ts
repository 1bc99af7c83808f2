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
  /** Stages of the MAC-balanced and the fastest (highest-throughput) pipeline. */
  readonly pipelineStages: {
    readonly balanced: readonly PipelineStage[];
    readonly fastest: readonly PipelineStage[];
  };
  /** In the order of DISTRIBUTIONS: LCP, the two pipelines, intra-layer, data-parallel, single-device. */
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
  const { stages: balancedStages, ...balanced } = pipelineRun(
    original.graph,
    original.profile,
    devices,
    link,
    'macs',
  );
  const { stages, ...fastest } = pipelineRun(original.graph, original.profile, devices, link, 'time');
  return {
    link: link.id,
    devices: devices.map((d) => d.name),
    objective,
    structure,
    placement,
    pipelineStages: { balanced: balancedStages, fastest: stages },
    rows: [
      placement.run,
      balanced,
      fastest,
      intraLayerRun(original.graph, original.profile, devices, link),
      dataParallelRun(original.graph, original.profile, devices, link),
      singleDeviceRun(original.graph, original.profile, devices, link),
    ],
  };
}
