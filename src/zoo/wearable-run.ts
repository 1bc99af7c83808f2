/**
 * The split autoencoder run for real (DistNN Sec. IV, Fig. 10): choose the cut for the wearable node
 * with the DistNN split, quantise the node side, cut the quantised model between its QuantizeLinear
 * and DequantizeLinear so the node sends the 8-bit codes, write a two-stage plan directory, run it on
 * a node process and a hub process over the emulated link, and score SSIM against the clean images.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceSpec, LinkSpec } from '../catalog/schema.js';
import { EdgesplitError } from '../core/errors.js';
import { PLAN_VERSION, type TensorSpec } from '../core/plan-file.js';
import { mulberry32 } from '../core/random.js';
import { float32Tensor, type Tensor } from '../core/tensor.js';
import { loadDataset } from '../data/datasets.js';
import { sumSsim } from '../data/metrics.js';
import { buildGraph } from '../graph/build.js';
import { liveSets } from '../graph/cuts.js';
import { extractSubModel } from '../graph/extract.js';
import { encodeModel, loadModelFile, saveModelFile } from '../onnx/io.js';
import type { ModelProto } from '../onnx/proto.js';
import { profileGraph } from '../profile/profile.js';
import type { ModelProfile } from '../profile/types.js';
import { planTensor, writePlanFile } from '../plan/plan-dir.js';
import { loadRuntimePlan, runPlan } from '../runtime/index.js';
import type { PrecisionPair } from '../strategy/quantize/formats.js';
import { distnnSplit, type SplitResult } from '../strategy/split/distnn.js';
import { evaluateModel } from './evaluate.js';
import { addGaussianNoise, gaussianSource } from './noise.js';
import { calibrationBatches, quantizeLoaded, tagZooSource, type CalibrationSource } from './precision.js';
import { ZOO_NOISE_SEED } from './zoo-eval.js';

/** One autoencoder to run split. */
export interface WearableModel {
  /** Label (zoo name). */
  readonly name: string;
  readonly path: string;
  /** Denoisers get the zoo's input noise. */
  readonly noiseSigma?: number;
  readonly noiseClip?: boolean;
}

/** Options of {@link runWearable}. */
export interface WearableRunOptions {
  readonly model: WearableModel;
  readonly node: DeviceSpec;
  readonly hub: DeviceSpec;
  readonly link: LinkSpec;
  readonly pair: PrecisionPair;
  readonly calibration: CalibrationSource;
  /** Test images run through the pipeline. */
  readonly limit: number;
  readonly fps?: number;
  /** Where plan directories and models go. */
  readonly outDir: string;
  readonly log?: (line: string) => void;
}

/** What one split run measured. */
export interface WearableRunResult {
  readonly model: string;
  readonly cut: { readonly index: number; readonly after: string; readonly tensors: readonly string[] };
  readonly why: string;
  readonly precision: string;
  readonly images: number;
  /** SSIM of the pipeline's outputs against the clean images. */
  readonly ssim: number;
  /** SSIM of the whole quantised model (one onnxruntime session) on the same images. */
  readonly wholeModelSsim: number;
  /** Payload bytes of the codes sent per frame, and what the transport really sent (frame header included). */
  readonly payloadBytesPerFrame: number;
  readonly wireBytesPerFrame: number;
  readonly nodeEnergyJ: number;
  readonly nodePowerW: number;
  readonly fps: number;
  readonly sustainsFps: boolean;
  readonly planDir: string;
  /** First images: input, node input (noisy for denoisers), pipeline output. */
  readonly samples: readonly { input: Float32Array; fed: Float32Array; output: Float32Array }[];
  readonly split: SplitResult;
  /** The float model's profile at the run's bit widths (for the per-layer chart). */
  readonly profile: ModelProfile;
}

/** The cut of the quantised graph just after the node side's QuantizeLinear codes, and those code tensors. */
export function codeCut(model: ModelProto, wire: readonly string[]): { index: number; codes: string[] } {
  const graph = buildGraph(model);
  const codes = wire.map((t) => `${t}__q_int`);
  const sets = liveSets(graph);
  const want = [...codes].sort().join('\n');
  const index = sets.findIndex((s) => [...s].sort().join('\n') === want);
  if (index < 0)
    throw new EdgesplitError(
      'E_GRAPH',
      `${graph.name}: no cut carries exactly the 8-bit codes ${codes.join(', ')}; the wire needs an 8-bit feature-map format (int8)`,
    );
  return { index, codes };
}

/** Quantises, cuts, runs and scores one autoencoder split between the wearable node and the hub. */
export async function runWearable(o: WearableRunOptions): Promise<WearableRunResult> {
  const log = o.log ?? (() => {});
  const model = await loadModelFile(o.model.path);
  const graph = buildGraph(model);
  const fps = o.fps ?? 30;
  const bits = o.pair.activations.bits;
  const profile = profileGraph(graph, { activationBits: bits, weightBits: o.pair.weights.bits });
  const split = distnnSplit(
    { ...profile, model: o.model.name },
    { node: o.node, hub: o.hub, link: o.link, bits, weightBits: o.pair.weights.bits, fps },
  );
  const best = split.best;
  if (best.cut === 0 || best.cut === graph.nodes.length)
    throw new EdgesplitError(
      'E_INFEASIBLE',
      `${o.model.name}: the DistNN split puts ${best.cut === 0 ? 'nothing' : 'everything'} on ${o.node.id} over ${o.link.id}; there is no node/hub pipeline to run`,
    );
  const wire = profile.cuts[best.cut].live.map((t) => t.name);
  const why =
    `lowest node energy ${(best.nodeEnergyJ * 1e6).toPrecision(3)} uJ/frame among ${split.candidates.filter((c) => c.fits).length} cuts that fit; ` +
    (split.disagreement ?? 'DV x CC agrees');
  log(`${o.model.name}: cut ${best.cut} after ${best.after} (${wire.join(', ')}): ${why}`);
  const calib = calibrationBatches({
    ...o.calibration,
    noiseSigma: o.model.noiseSigma,
    noiseClip: o.model.noiseClip,
  });
  const q = await quantizeLoaded(model, {
    pair: o.pair,
    nodeCut: best.cut,
    calibration: o.calibration,
    batches: calib,
  });
  tagZooSource(q.model, o.model.name);
  mkdirSync(o.outDir, { recursive: true });
  const wholeFile = join(
    o.outDir,
    `${o.model.name}.node-${o.pair.weights.name}-${o.pair.activations.name}.onnx`,
  );
  await saveModelFile(wholeFile, q.model);
  const qGraph = buildGraph(q.model);
  const cut = codeCut(q.model, wire);
  const planDir = join(o.outDir, `${o.model.name}-plan`);
  mkdirSync(planDir, { recursive: true });
  const nodeSide = extractSubModel(q.model, qGraph, 0, cut.index, 'node');
  const hubSide = extractSubModel(q.model, qGraph, cut.index, qGraph.nodes.length, 'hub');
  writeFileSync(join(planDir, 'stage-0.onnx'), encodeModel(nodeSide.model));
  writeFileSync(join(planDir, 'stage-1.onnx'), encodeModel(hubSide.model));
  const tensor = (name: string): TensorSpec => planTensor(qGraph, name, 'fp32');
  writePlanFile(planDir, {
    version: PLAN_VERSION,
    topology: 'chain',
    link: o.link.id,
    inputs: qGraph.inputs.map(tensor),
    outputs: qGraph.outputs.map(tensor),
    stages: [
      {
        id: 'node',
        model: 'stage-0.onnx',
        inputs: nodeSide.inputs.map(tensor),
        outputs: nodeSide.outputs.map(tensor),
        devices: [{ name: 'wearable', type: o.node.id }],
      },
      {
        id: 'hub',
        model: 'stage-1.onnx',
        inputs: hubSide.inputs.map(tensor),
        outputs: hubSide.outputs.map(tensor),
        devices: [{ name: 'hub', type: o.hub.id }],
      },
    ],
  });

  const data = loadDataset('fashion-mnist-test', { limit: o.limit });
  const per = data.height * data.width;
  const fed = o.model.noiseSigma
    ? addGaussianNoise(data.images, gaussianSource(mulberry32(ZOO_NOISE_SEED)), {
        sigma: o.model.noiseSigma,
        clip: o.model.noiseClip ?? true,
      })
    : data.images;
  const inputName = qGraph.inputs[0];
  log(`${o.model.name}: running ${data.count} images on a node process and a hub process over ${o.link.id}`);
  const { run, report } = await runPlan({
    plan: loadRuntimePlan(planDir),
    link: o.link.id,
    samples: {
      count: data.count,
      input: (i): Record<string, Tensor> => ({
        [inputName]: float32Tensor([1, 1, data.height, data.width], fed.subarray(i * per, (i + 1) * per)),
      }),
    },
    keepOutputs: true,
    // a wearable sends each frame as it is captured: one image per transport frame, as reported
    batch: 1,
  });
  const outName = qGraph.outputs[0];
  const outputs = new Float32Array(data.count * per);
  run.outputs.forEach((r, i) => outputs.set(r[outName].data as Float32Array, i * per));
  const ssim = sumSsim(outputs, data.images, data.count, data.height, data.width) / data.count;
  const whole = await evaluateModel(wholeFile, {
    data,
    task: o.model.noiseSigma ? 'denoising' : 'reconstruction',
    ...(o.model.noiseSigma
      ? { noiseSigma: o.model.noiseSigma, noiseClip: o.model.noiseClip ?? true, noiseSeed: ZOO_NOISE_SEED }
      : {}),
  });
  const sent = report.stages[0];
  return {
    model: o.model.name,
    cut: { index: best.cut, after: best.after, tensors: wire },
    why,
    precision: `W:${o.pair.weights.name} FM:${o.pair.activations.name}`,
    images: data.count,
    ssim,
    wholeModelSsim: whole.ssim ?? NaN,
    payloadBytesPerFrame: best.estimate.transfer.payloadBytes,
    wireBytesPerFrame: sent.bytesPerSample,
    nodeEnergyJ: best.nodeEnergyJ,
    nodePowerW: best.estimate.nodeAvgPowerW,
    fps,
    sustainsFps: best.estimate.sustainsFps,
    planDir,
    samples: Array.from({ length: Math.min(4, data.count) }, (_, i) => ({
      input: data.images.slice(i * per, (i + 1) * per),
      fed: fed.slice(i * per, (i + 1) * per),
      output: outputs.slice(i * per, (i + 1) * per),
    })),
    split,
    profile,
  };
}
