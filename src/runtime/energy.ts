/**
 * Energy estimate of a run (pure): compute energy is modelled from the catalog device of each stage
 * (its MACs per sample through the cost model), communication energy from the catalog link applied
 * to the bytes per sample measured on each inter-stage hop. Nothing here is a measured energy.
 */
import type { DeviceCatalog, LinkCatalog } from '../catalog/index.js';
import { computeCost, transferCost } from '../cost/index.js';
import { errorMessage } from '../core/errors.js';
import type { RuntimePlan } from './routes.js';
import type { RunSummary } from './summary.js';

/** Modelled energy per sample. */
export interface EnergyEstimate {
  readonly perSampleJ: number;
  readonly computeJ: number;
  readonly communicationJ: number;
  readonly link: string;
  readonly stages: readonly {
    readonly id: string;
    readonly device: string;
    readonly macs: number;
    readonly energyJ: number;
  }[];
  readonly hops: readonly {
    readonly from: string;
    readonly to: string;
    readonly bytesPerSample: number;
    readonly energyJ: number;
  }[];
  /** Says which inputs were modelled and which measured. */
  readonly basis: string;
}

/** The estimate, or the reason it cannot be made (no catalog devices, no MACs, unknown link). */
export function estimateEnergy(
  plan: RuntimePlan,
  summary: RunSummary,
  linkId: string | undefined,
  catalogs: { readonly devices: DeviceCatalog; readonly links: LinkCatalog },
): EnergyEstimate | { readonly unavailable: string } {
  const id = linkId && linkId !== 'none' ? linkId : plan.link;
  if (!id) return { unavailable: 'no link id (plan has none and --link is none)' };
  try {
    const link = catalogs.links.get(id);
    const stages = plan.stages.map((st) => {
      const type = st.devices[0]?.type;
      if (!type) throw new Error(`stage ${st.id} names no catalog device type`);
      if (st.macs === undefined) throw new Error(`stage ${st.id} has no MAC count in the plan`);
      return {
        id: st.id,
        device: type,
        macs: st.macs,
        energyJ: computeCost(catalogs.devices.get(type), st.macs).energyJ,
      };
    });
    const hops = summary.links.slice(1, -1).map((l) => ({
      from: l.from,
      to: l.to,
      bytesPerSample: l.bytesPerSample,
      energyJ: transferCost(link, l.bytesPerSample).energyJ,
    }));
    const computeJ = stages.reduce((s, x) => s + x.energyJ, 0);
    const communicationJ = hops.reduce((s, x) => s + x.energyJ, 0);
    return {
      perSampleJ: computeJ + communicationJ,
      computeJ,
      communicationJ,
      link: id,
      stages,
      hops,
      basis: `compute modelled from catalog devices and plan MACs; communication modelled from catalog link ${id} on measured bytes per sample (inter-stage hops only)`,
    };
  } catch (err) {
    return { unavailable: errorMessage(err) };
  }
}
