/** The seed's Table 5 for the models of a real HI run: thresholds tuned and scored on the calibration split. */
import type { DeviceSpec, LinkSpec } from '../../catalog/index.js';
import { deviceInferenceCost, offloadCost } from '../../strategy/hi/costs.js';
import type { HiSearchSample } from '../../strategy/hi/search.js';
import {
  strategyTable,
  type DeviceScenario,
  type FixedStrategy,
  type StrategyTableRow,
} from '../../strategy/hi/strategy-table.js';

/** What one HI run knows that the table needs, per model. */
export interface TableInputs {
  readonly devices: readonly DeviceSpec[];
  readonly link: LinkSpec;
  readonly minAccuracy: number;
  readonly localMacs: number;
  /** MACs of the remote model (a profiled file or the server's model config). */
  readonly remoteMacs: number;
  readonly localAccuracy: number;
  readonly remoteAccuracy: number;
  readonly requestBytes: number;
  readonly replyBytes: number;
  readonly serverMs: number;
  readonly hiSamples: readonly HiSearchSample[];
  readonly ee?: { readonly samples: readonly HiSearchSample[]; readonly exitMacs: readonly number[] };
}

/** Builds the strategy table for every device over the same link and evaluation samples. */
export function hiStrategyTable(t: TableInputs): StrategyTableRow[] {
  const offload = offloadCost(t.link, {
    requestBytes: t.requestBytes,
    replyBytes: t.replyBytes,
    serverMs: t.serverMs,
  });
  const scenarios: DeviceScenario[] = t.devices.map((d) => {
    const small = deviceInferenceCost(d, undefined, { macs: t.localMacs });
    const fixed: FixedStrategy[] = [{ name: 'on-device-small', accuracy: t.localAccuracy, cost: small }];
    fixed.push({
      name: 'on-device-large',
      accuracy: t.remoteAccuracy,
      cost: deviceInferenceCost(d, undefined, { macs: t.remoteMacs }),
    });
    fixed.push({ name: 'remote', accuracy: t.remoteAccuracy, cost: offload });
    return {
      device: d.id,
      offload,
      fixed,
      hi: { samples: t.hiSamples, costs: { exits: [small], offload } },
      ...(t.ee
        ? {
            eeHi: {
              samples: t.ee.samples,
              costs: {
                exits: t.ee.exitMacs.map((m) => deviceInferenceCost(d, undefined, { macs: m })),
                offload,
                exitMacs: t.ee.exitMacs,
              },
            },
          }
        : {}),
    };
  });
  return strategyTable(scenarios, { minAccuracy: t.minAccuracy });
}

/** Where each strategy-table row's inputs come from, one line per strategy. */
export function tableInputs(t: {
  local: string;
  work: { macs: number; source: string };
  serverCost: { latencyMs: number; hub: string };
  link: string;
  ee: boolean;
}): Record<string, string> {
  const offload = `transfer over ${t.link} (catalog) + server ${t.serverCost.latencyMs.toFixed(3)} ms modelled on ${t.serverCost.hub}`;
  return {
    'on-device-small': `accuracy of ${t.local} on the calibration split; cost = its profiled MACs on each device's catalog rate`,
    'on-device-large': `accuracy of the remote model on the calibration split; cost = ${t.work.macs} MACs ${t.work.source} on each device's catalog rate`,
    remote: `accuracy of the remote model on the calibration split; cost = ${offload}`,
    hi: `thresholds searched on the calibration split; local cost as on-device-small, offload as remote`,
    ...(t.ee
      ? {
          'ee-hi': `exit and offload thresholds searched on the calibration split; exit costs from the early-exit pieces' MACs`,
        }
      : {}),
  };
}
