import { readFile } from 'node:fs/promises';
import {
  loadDeviceCatalog,
  loadLinkCatalog,
  type DeviceCatalog,
  type LinkCatalog,
} from '../catalog/catalog.js';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { buildGraph } from '../graph/build.js';
import type { Graph } from '../graph/types.js';
import { decodeModel } from '../onnx/io.js';
import type { MemoryModel } from '../profile/memory.js';
import { profileGraph } from '../profile/profile.js';
import { requireKnownCosts } from '../profile/unknown.js';
import { planPipeline } from '../strategy/plan/planner.js';
import { partitionProblem } from '../strategy/plan/problem.js';
import type {
  BalanceGoal,
  DevicePool,
  Objective,
  PartitionProblem,
  PlanResult,
  ReplicaMode,
} from '../strategy/plan/types.js';
import { inlineExternalData, loadDevicePool } from './inputs.js';
import { wireFor, writePlanDir } from './plan-dir.js';
import type { PipelinePlanFile } from '../core/plan-file.js';
import type { PlanWire } from '../core/vocabulary.js';

/** Options of {@link planModelFile}. */
export interface PlanModelOptions {
  /** Fixed shapes of graph inputs with dynamic dims (see `buildGraph`). */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Plan even when some nodes' cost is unknown (counted as 0 MACs); default: refuse. */
  readonly allowUnknownOps?: boolean;
  /** Catalog spec (`esp32s3x8`, `esp32s3x2,rpi4bx1`) or a topology `.json` file. */
  readonly devices: string;
  /** Catalog link id. */
  readonly link: string;
  readonly objective: Objective;
  /** Activation (wire) bit width; default 16. */
  readonly activationBits?: number;
  /** Weight bit width; default 8. */
  readonly weightBits?: number;
  readonly replicas?: ReplicaMode;
  readonly balance?: BalanceGoal;
  /** Activation/weight memory accounting; default `inplace`. */
  readonly memoryModel?: MemoryModel;
  /** On topologies, search on the median link and place (instead of the joint exact search); caps the type search. */
  readonly heuristic?: boolean;
  /** Wire encoding; default from the activation bits (32 fp32, 16 fp16, 8 int8). */
  readonly wire?: PlanWire;
  /** Plan directory to write; nothing is written when omitted. */
  readonly out?: string;
  readonly deviceCatalog?: DeviceCatalog;
  readonly linkCatalog?: LinkCatalog;
  /** Progress messages (stderr in the CLI). */
  readonly onProgress?: (message: string) => void;
}

/**
 * The pipeline plan of `edgesplit demo` (its step 3, the defaults of its options), which the twin
 * benchmark and test check too: the zoo's `remote` classifier over four Nano 33 BLE boards on the
 * pipeline seed's BLE link, planned for throughput with 16-bit activations and unquantised weights.
 */
export const DEMO_PIPELINE = {
  devices: 'nano33blex4',
  link: 'ble-esp32s3',
  objective: 'throughput',
  activationBits: 16,
  weightBits: 32,
  replicas: 'auto',
} as const satisfies Omit<PlanModelOptions, 'out'>;

/** Everything a planning run produced. */
export interface PlannedModel {
  readonly graph: Graph;
  readonly problem: PartitionProblem;
  readonly pool: DevicePool;
  readonly result: PlanResult;
  /** Set when `out` was given. */
  readonly file?: PipelinePlanFile;
}

/** Loads, profiles and plans an ONNX model, and writes the plan directory when `out` is given. */
export async function planModelFile(modelPath: string, o: PlanModelOptions): Promise<PlannedModel> {
  const activationBits = o.activationBits ?? 16;
  const weightBits = o.weightBits ?? 8;
  const wire = wireFor(activationBits, o.wire);
  const link = (o.linkCatalog ?? loadLinkCatalog()).get(o.link);
  const pool = loadDevicePool(o.devices, o.deviceCatalog ?? loadDeviceCatalog(), link);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    throw new EdgesplitError('E_IO', `${modelPath}: cannot read model file (${errorMessage(err)})`, {
      cause: err,
    });
  }
  const model = decodeModel(bytes, modelPath);
  const graph = buildGraph(model, modelPath, { inputShapes: o.inputShapes });
  const memoryModel = o.memoryModel ?? 'inplace';
  const profile = profileGraph(graph, { activationBits, weightBits });
  if (!o.allowUnknownOps) requireKnownCosts(profile, 'plan');
  const problem = partitionProblem(graph, profile, memoryModel);
  o.onProgress?.(`planning ${graph.nodes.length} nodes over ${pool.devices.length} devices (${o.objective})`);
  const result = planPipeline(problem, pool, {
    objective: o.objective,
    replicas: o.replicas,
    balance: o.balance,
    heuristic: o.heuristic,
  });
  if (!o.out) return { graph, problem, pool, result };
  const inlined = await inlineExternalData(model, modelPath);
  if (inlined) o.onProgress?.(`loaded ${inlined} external weight tensors`);
  const file = await writePlanDir(o.out, result, {
    model,
    modelPath,
    modelBytes: bytes,
    graph,
    pool,
    linkId: link.id,
    wire,
    activationBits,
    weightBits,
    memoryModel,
    onStage: (i, total) => o.onProgress?.(`wrote stage ${i + 1}/${total}`),
  });
  return { graph, problem, pool, result, file };
}
