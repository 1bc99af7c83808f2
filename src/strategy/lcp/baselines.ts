/**
 * The original model on the same devices and link, modelled as LCP is: a pipeline of balanced stages,
 * intra-layer output splitting (seed Fig. 4), data parallelism (one whole model per device, throughput
 * only) and one device alone. A coordinator holds the input and receives the result. Pure.
 */
import type { LinkSpec } from '../../catalog/schema.js';
import { EdgesplitError } from '../../core/errors.js';
import type { Graph } from '../../graph/types.js';
import { peakActivationBytes } from '../../profile/profile.js';
import type { ModelProfile } from '../../profile/types.js';
import type { PhysicalDevice } from '../plan/types.js';
import { balancedPipeline, intraLayerAccount, type PipelineStage } from './model-parallel.js';
import {
  computeS,
  fits,
  messageS,
  occupancyS,
  modelledRun,
  type DeviceLoad,
  type ModelledRun,
} from './modelled.js';

function needDevices(devices: readonly PhysicalDevice[]): void {
  if (devices.length === 0) throw new EdgesplitError('E_USAGE', 'at least one device is needed');
}

/**
 * The original model cut into one stage per device (fewer when it has fewer nodes), stage j on device
 * j. `balance: 'macs'` spreads the MACs evenly (classic model parallelism); `'time'` minimises the
 * largest stage time (first device's compute plus radio occupancy of its send), i.e. the highest
 * throughput, which on a slow link may keep most layers on one device.
 */
export function pipelineRun(
  graph: Graph,
  profile: ModelProfile,
  devices: readonly PhysicalDevice[],
  link: LinkSpec,
  balance: 'macs' | 'time' = 'time',
): ModelledRun & { readonly stages: readonly PipelineStage[] } {
  needDevices(devices);
  const cuts = profile.cuts;
  const d0 = devices[0].spec;
  const byTime = (s: number, e: number) =>
    computeS(
      d0,
      cuts[e].cumulativeMacs - cuts[s].cumulativeMacs,
      cuts[e].cumulativeOps - cuts[s].cumulativeOps,
    ) + occupancyS(link, cuts[e].bytes);
  const count = Math.min(devices.length, profile.nodes.length);
  const stages = balancedPipeline(profile, count, balance === 'time' ? byTime : undefined);
  const loads: DeviceLoad[] = stages.map((st, j) => ({
    name: devices[j].name,
    spec: devices[j].spec,
    macs: st.macs,
    ops: st.ops,
    weightBytes: st.weightBytes,
    activationBytes: peakActivationBytes(graph, st.start, st.end, profile.activationBits),
    recv: [st.recvBytes],
    send: [st.sendBytes],
  }));
  const latencyS =
    loads.reduce((s, l) => s + messageS(link, l.recv[0]) + computeS(l.spec, l.macs, l.ops), 0) +
    messageS(link, stages[stages.length - 1].sendBytes);
  const coordinator = { send: [cuts[0].bytes], recv: [cuts[cuts.length - 1].bytes] };
  return {
    ...modelledRun(
      balance === 'time' ? 'pipeline-fastest' : 'pipeline-balanced',
      graph.name,
      link,
      loads,
      coordinator,
      latencyS,
    ),
    stages,
  };
}

/** Every conv / fully connected layer's outputs split over all devices, with an all-gather before each such layer. */
export function intraLayerRun(
  graph: Graph,
  profile: ModelProfile,
  devices: readonly PhysicalDevice[],
  link: LinkSpec,
): ModelledRun {
  needDevices(devices);
  const n = devices.length;
  const acc = intraLayerAccount(graph, profile, n);
  const inBytes = acc.inputBroadcastBytes / n;
  const outPart = Math.ceil(acc.outputBytes / n);
  const parts = acc.exchanges.flatMap((e) => new Array<number>(n - 1).fill(Math.ceil(e.tensorBytes / n)));
  const peak = peakActivationBytes(graph, 0, graph.nodes.length, profile.activationBits);
  const loads: DeviceLoad[] = devices.map((d) => ({
    name: d.name,
    spec: d.spec,
    macs: profile.totals.macs / n,
    ops: profile.totals.ops / n,
    weightBytes: Math.ceil(profile.totals.weightBytes / n),
    activationBytes: peak,
    recv: [inBytes, ...parts],
    send: [...parts, outPart],
  }));
  const slowest = Math.max(...loads.map((l) => computeS(l.spec, l.macs, l.ops)));
  const exchangeS = parts.reduce((s, b) => s + 2 * messageS(link, b), 0);
  const latencyS = n * messageS(link, inBytes) + slowest + exchangeS + n * messageS(link, outPart);
  const coordinator = { send: new Array<number>(n).fill(inBytes), recv: new Array<number>(n).fill(outPart) };
  return modelledRun('intra-layer', graph.name, link, loads, coordinator, latencyS);
}

function wholeModelLoad(graph: Graph, profile: ModelProfile, d: PhysicalDevice): DeviceLoad {
  const cuts = profile.cuts;
  return {
    name: d.name,
    spec: d.spec,
    macs: profile.totals.macs,
    ops: profile.totals.ops,
    weightBytes: profile.totals.weightBytes,
    activationBytes: peakActivationBytes(graph, 0, graph.nodes.length, profile.activationBits),
    recv: [cuts[0].bytes],
    send: [cuts[cuts.length - 1].bytes],
  };
}

/** The whole model on the first device. */
export function singleDeviceRun(
  graph: Graph,
  profile: ModelProfile,
  devices: readonly PhysicalDevice[],
  link: LinkSpec,
): ModelledRun {
  needDevices(devices);
  const l = wholeModelLoad(graph, profile, devices[0]);
  const latencyS = messageS(link, l.recv[0]) + computeS(l.spec, l.macs, l.ops) + messageS(link, l.send[0]);
  return modelledRun('single-device', graph.name, link, [l], { send: l.recv, recv: l.send }, latencyS);
}

/** One whole model per device, each taking its own inferences: throughput only (latency is one device's). */
export function dataParallelRun(
  graph: Graph,
  profile: ModelProfile,
  devices: readonly PhysicalDevice[],
  link: LinkSpec,
): ModelledRun {
  const one = singleDeviceRun(graph, profile, devices, link);
  const perDevice = devices.map((d) => {
    const l = wholeModelLoad(graph, profile, d);
    return 1 / (computeS(l.spec, l.macs, l.ops) + occupancyS(link, l.recv[0]) + occupancyS(link, l.send[0]));
  });
  const coordinatorPerS =
    1 /
    (occupancyS(link, profile.cuts[0].bytes) + occupancyS(link, profile.cuts[profile.cuts.length - 1].bytes));
  const devicesPerS = perDevice.reduce((a, b) => a + b, 0);
  return {
    ...one,
    distribution: 'data-parallel',
    devicesUsed: devices.length,
    latencyS: null,
    throughputPerS: Math.min(devicesPerS, coordinatorPerS),
    bottleneck: coordinatorPerS < devicesPerS ? 'coordinator' : 'devices',
    fitsMemory: devices.every((d) => fits(wholeModelLoad(graph, profile, d))),
  };
}
