/**
 * The LCP splitter (seed Procedure 1): divide every conv / fully connected width but the classifier's by
 * the division factor until one branch fits the device in memory and compute, or straight into a given
 * number of branches; write the LCP model; account its costs against the original model under model
 * parallelism at the same device count. Pure: ONNX objects in, ONNX objects and numbers out.
 */
import type { DeviceSpec } from '../../catalog/schema.js';
import { InfeasibleError, UsageError } from '../../core/errors.js';
import { computeCost } from '../../cost/device-cost.js';
import { buildGraph } from '../../graph/build.js';
import type { Graph } from '../../graph/types.js';
import type { ModelProto } from '../../onnx/proto.js';
import { peakActivationBytes, profileGraph } from '../../profile/profile.js';
import type { ModelProfile } from '../../profile/types.js';
import { emitLcpModel } from './emit.js';
import {
  balancedPipeline,
  intraLayerAccount,
  pipelineBytes,
  type IntraLayerAccount,
  type PipelineStage,
} from './model-parallel.js';
import { lcpStructure, type LcpStructure } from './structure.js';
import { cnnTemplate } from './template.js';
import { checkSplitOptions, MAX_BRANCHES } from './widths.js';

/** What to split into: a branch count, or a device one branch must fit (Procedure 1's loop). */
export interface LcpSplitOptions {
  readonly branches?: number;
  readonly device?: DeviceSpec;
  /** With `device`: a branch's modelled compute time must not exceed this (the seed's DevMAC as a time). */
  readonly deadlineS?: number;
  /** Default 2. */
  readonly divisionFactor?: number;
  /** Fattening F in percent (0..100); default 0. */
  readonly fattenPercent?: number;
  /** PRNG seed of the fresh weights; default 1. */
  readonly seed?: number;
}

/** One round of the splitter's loop on a device. */
export interface FitStep {
  readonly branches: number;
  readonly weightBytes: number;
  readonly weightBytesAvailable: number;
  readonly activationBytes: number;
  readonly activationBytesAvailable: number;
  readonly computeS: number;
  readonly fits: boolean;
}

/** Communication per inference at the same device count (one device per branch). */
export interface LcpCommunication {
  readonly devices: number;
  /** LCP: the input to every branch, every branch's pre-final activation to the classifier at the source. */
  readonly lcp: {
    readonly inputBroadcastBytes: number;
    readonly gatherBytes: number;
    readonly totalBytes: number;
  };
  /** The original model cut into `devices` MAC-balanced stages. */
  readonly pipeline: { readonly stages: readonly PipelineStage[]; readonly totalBytes: number };
  /** The original model with every layer's outputs split over `devices` (seed Fig. 4). */
  readonly intraLayer: IntraLayerAccount;
}

/** Everything the splitter produced and measured. */
export interface LcpSplitResult {
  readonly model: ModelProto;
  readonly graph: Graph;
  readonly profile: ModelProfile;
  readonly structure: LcpStructure;
  readonly branches: number;
  readonly divisionFactor: number;
  readonly fattenPercent: number;
  readonly seed: number;
  readonly original: {
    readonly model: string;
    readonly params: number;
    readonly macs: number;
    readonly peakActivationBytes: number;
    readonly weightBytes: number;
  };
  /** Present when splitting for a device: every round of the loop. */
  readonly fit?: { readonly device: string; readonly steps: readonly FitStep[] };
  readonly communication: LcpCommunication;
}

interface Built {
  model: ModelProto;
  graph: Graph;
  profile: ModelProfile;
  structure: LcpStructure;
}

function build(
  original: ModelProto,
  origGraph: Graph,
  branches: number,
  fatten: number,
  seed: number,
): Built {
  const model = emitLcpModel(original, cnnTemplate(origGraph), { branches, fattenPercent: fatten, seed });
  const graph = buildGraph(model, `${origGraph.name} (LCP, ${branches} branches)`);
  const profile = profileGraph(graph, { activationBits: 32, weightBits: 32 });
  return { model, graph, profile, structure: lcpStructure(graph, profile) };
}

function fitStep(b: Built, branches: number, device: DeviceSpec, deadlineS: number | undefined): FitStep {
  const br = b.structure.branches[0];
  const weightBytesAvailable = device.flashBytes - device.runtimeOverheadBytes;
  const computeS = computeCost(device, br.macs, br.ops).timeS;
  return {
    branches,
    weightBytes: br.weightBytes,
    weightBytesAvailable,
    activationBytes: br.peakActivationBytes,
    activationBytesAvailable: device.sramBytes,
    computeS,
    fits:
      br.weightBytes <= weightBytesAvailable &&
      br.peakActivationBytes <= device.sramBytes &&
      (deadlineS === undefined || computeS <= deadlineS),
  };
}

/** Splits `original` (decoded ONNX and its graph) into an LCP model. */
export function lcpSplit(original: ModelProto, origGraph: Graph, options: LcpSplitOptions): LcpSplitResult {
  checkSplitOptions(options);
  const factor = options.divisionFactor ?? 2;
  const fatten = options.fattenPercent ?? 0;
  const seed = options.seed ?? 1;
  if ((options.branches === undefined) === (options.device === undefined))
    throw new UsageError('give exactly one of a branch count or a device to fit');
  const origProfile = profileGraph(origGraph);
  let built: Built;
  let branches: number;
  let fit: LcpSplitResult['fit'];
  if (options.branches !== undefined) {
    branches = options.branches;
    built = build(original, origGraph, branches, fatten, seed);
  } else {
    const device = options.device!;
    const steps: FitStep[] = [];
    for (branches = 1; ; branches *= factor) {
      const last = steps[steps.length - 1];
      const prev = steps[steps.length - 2];
      // once every width is 1 a branch stops shrinking, so more branches cannot help
      const stuck =
        prev !== undefined && last.weightBytes >= prev.weightBytes && last.computeS >= prev.computeS;
      if (branches > MAX_BRANCHES || stuck) {
        throw new InfeasibleError(
          `${origGraph.name}: no branch fits ${device.id} (${stuck ? 'branches stopped shrinking' : `limit of ${MAX_BRANCHES} branches`}); at ${last.branches} a branch needs ` +
            `${last.weightBytes} B of weights (${last.weightBytesAvailable} available), ${last.activationBytes} B of activations ` +
            `(${last.activationBytesAvailable} available), ${(last.computeS * 1e3).toFixed(2)} ms of compute` +
            (options.deadlineS === undefined ? '' : ` (deadline ${(options.deadlineS * 1e3).toFixed(2)} ms)`),
        );
      }
      built = build(original, origGraph, branches, fatten, seed);
      const step = fitStep(built, branches, device, options.deadlineS);
      steps.push(step);
      if (step.fits) break;
    }
    fit = { device: device.id, steps };
  }
  const s = built!.structure;
  const gatherBytes = s.branches.reduce((sum, b) => sum + b.outputBytes, 0);
  const devices = s.branches.length;
  const stages = balancedPipeline(origProfile, Math.min(devices, origProfile.nodes.length));
  return {
    ...built!,
    branches,
    divisionFactor: factor,
    fattenPercent: fatten,
    seed,
    original: {
      model: origGraph.name,
      params: origProfile.totals.params,
      macs: origProfile.totals.macs,
      peakActivationBytes: peakActivationBytes(origGraph, 0, origGraph.nodes.length),
      weightBytes: origProfile.totals.weightBytes,
    },
    fit,
    communication: {
      devices,
      lcp: {
        inputBroadcastBytes: devices * s.inputBytes,
        gatherBytes,
        totalBytes: devices * s.inputBytes + gatherBytes,
      },
      pipeline: { stages, totalBytes: pipelineBytes(stages) },
      intraLayer: intraLayerAccount(origGraph, origProfile, devices),
    },
  };
}

/** The JSON document of `edgesplit lcp split --json`: counts per branch and in total, the fit loop, communication. */
export function lcpSplitReport(r: LcpSplitResult, out: string) {
  const s = r.structure;
  const total = r.profile.totals;
  return {
    model: r.original.model,
    out,
    branches: r.branches,
    divisionFactor: r.divisionFactor,
    fattenPercent: r.fattenPercent,
    seed: r.seed,
    perBranch: s.branches.map((b, i) => ({ branch: i, ...b })),
    classifier: s.classifier,
    lcp: {
      params: total.params,
      macs: total.macs,
      weightBytes: total.weightBytes,
      peakActivationBytes: lcpPeakActivationBytes(r),
    },
    original: r.original,
    fewerParams: r.original.params / total.params,
    fewerMacs: r.original.macs / total.macs,
    fit: r.fit ?? null,
    communication: r.communication,
  };
}

/** The largest activation peak of any part (branch or gather + classifier): what one device must hold. */
export function lcpPeakActivationBytes(r: LcpSplitResult): number {
  const s = r.structure;
  return Math.max(...s.branches.map((b) => b.peakActivationBytes), s.classifier.peakActivationBytes);
}
