import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { DeviceCatalog } from '../catalog/catalog.js';
import type { DeviceSpec } from '../catalog/schema.js';
import { EdgesplitError, UsageError } from '../core/errors.js';
import type { Dim } from '../graph/types.js';
import { encodeModel, loadModelFile } from '../onnx/io.js';
import { ONNX_DTYPE, toNum, type ModelProto, type OnnxTypes } from '../onnx/proto.js';
import { inlineExternalData } from '../plan/inputs.js';
import type { PlanStage } from '../core/plan-file.js';
import { readPlan } from '../plan/plan-dir.js';
import { stageRoutes } from '../runtime/routes.js';
import { toRuntimePlan } from '../runtime/plan-dir.js';
import { toPbtxt } from './pbtxt.js';
import {
  kserveInferenceService,
  tritonEnsembleConfig,
  tritonModelConfig,
  type ModelSignatureSpec,
  type TritonOptions,
} from './triton.js';

/** Device kinds that run a Linux serving engine such as Triton: their stages are hub-side. */
export const HUB_KINDS: readonly DeviceSpec['kind'][] = ['sbc', 'accelerator', 'laptop', 'server'];

/** Options of {@link exportTriton}. */
export interface TritonExportOptions extends TritonOptions {
  /** Model repository directory to write (created; existing model directories are overwritten). */
  readonly out: string;
  /** Model name (a plan's ensemble name); default from the file or directory name. */
  readonly name?: string;
  /** Plan stages to export (contiguous indices, the planner's ids); default the hub-side tail (devices of {@link HUB_KINDS}). */
  readonly stages?: readonly number[];
  /** Device catalog the plan's stage types are looked up in (hub-side detection). */
  readonly deviceCatalog: DeviceCatalog;
  /** `storageUri` of the KServe manifest; default `pvc://edgesplit-models/<repo dir name>`. */
  readonly storageUri?: string;
  /** Where the KServe manifest goes; default `<out>.inferenceservice.yaml`, beside the repository. */
  readonly manifestPath?: string;
}

/** One model written into the repository. */
export interface ExportedModel {
  readonly name: string;
  readonly kind: 'onnx' | 'ensemble';
  /** Plan stage index, for stage models. */
  readonly stage?: number;
  readonly configPath: string;
  readonly config: string;
}

/** What {@link exportTriton} wrote. */
export interface TritonExport {
  readonly repository: string;
  readonly models: readonly ExportedModel[];
  /** The model clients call (the ensemble for a plan). */
  readonly entry: string;
  readonly manifestPath: string;
  readonly manifest: string;
}

/** Triton model names are directory names: keep them to a safe alphabet. */
function modelName(raw: string): string {
  const n = raw.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!n || n.startsWith('.')) throw new UsageError(`'${raw}' does not give a usable model name`);
  return n;
}

function valueSignature(v: OnnxTypes.IValueInfoProto, where: string) {
  const tt = v.type?.tensorType;
  if (!tt || !v.name)
    throw new EdgesplitError('E_ONNX_INVALID', `${where}: '${v.name}' is not a typed tensor`);
  const shape: Dim[] = (tt.shape?.dim ?? []).map((d, i) =>
    d.dimValue !== undefined && d.dimValue !== null && toNum(d.dimValue) > 0
      ? toNum(d.dimValue)
      : d.dimParam || `?${i}`,
  );
  return { name: v.name, dtype: ONNX_DTYPE[tt.elemType ?? 0] ?? `onnx-type-${tt.elemType}`, shape };
}

/** Inputs (initializers left out) and outputs as the model file declares them. */
export function onnxSignature(model: ModelProto, where: string): ModelSignatureSpec {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return {
    inputs: (model.graph?.input ?? []).filter((v) => !inits.has(v.name)).map((v) => valueSignature(v, where)),
    outputs: (model.graph?.output ?? []).map((v) => valueSignature(v, where)),
  };
}

async function writeOnnxModel(
  repo: string,
  name: string,
  path: string,
  o: TritonOptions,
  stage?: number,
): Promise<ExportedModel> {
  const model = await loadModelFile(path);
  await inlineExternalData(model, path);
  const dir = join(repo, name);
  await mkdir(join(dir, '1'), { recursive: true });
  await writeFile(join(dir, '1', 'model.onnx'), encodeModel(model));
  const config = toPbtxt(tritonModelConfig(name, onnxSignature(model, path), o));
  const configPath = join(dir, 'config.pbtxt');
  await writeFile(configPath, config);
  return { name, kind: 'onnx', stage, configPath, config };
}

/** The device type a stage runs on: the planner's costed type, else its first device's. */
function stageType(s: PlanStage, k: number, where: string): string {
  const t = s.type ?? s.devices[0].type;
  if (t === undefined)
    throw new EdgesplitError(
      'E_PLAN',
      `${where}: stages[${k}] names no device type; choose stages with --stages`,
    );
  return t;
}

function chooseStages(stages: readonly PlanStage[], o: TritonExportOptions, where: string): number[] {
  const ids =
    o.stages ??
    stages.flatMap((s, k) =>
      HUB_KINDS.includes(o.deviceCatalog.get(stageType(s, k, where)).kind) ? [k] : [],
    );
  if (ids.length === 0)
    throw new EdgesplitError(
      'E_PLAN',
      `${where}: no stage runs on a hub device (kinds ${HUB_KINDS.join(', ')}; stages on ${[...new Set(stages.map((s, k) => stageType(s, k, where)))].join(', ')}); choose them with --stages`,
    );
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  for (const id of sorted)
    if (!stages[id]) throw new UsageError(`${where}: there is no stage ${id} (0..${stages.length - 1})`);
  if (sorted[sorted.length - 1] - sorted[0] !== sorted.length - 1)
    throw new EdgesplitError(
      'E_PLAN',
      `${where}: stages ${sorted.join(',')} are not contiguous, so no ensemble chains them`,
    );
  return sorted;
}

/**
 * Writes a Triton model repository for an ONNX model or a plan directory's hub-side stages (one
 * model per stage plus an ensemble chaining them), and a KServe InferenceService manifest beside it.
 */
export async function exportTriton(source: string, o: TritonExportOptions): Promise<TritonExport> {
  const repo = resolve(o.out);
  await mkdir(repo, { recursive: true });
  const isDir = (await stat(source).catch(() => undefined))?.isDirectory() ?? false;
  const models: ExportedModel[] = [];
  let entry: string;
  if (!isDir) {
    entry = modelName(o.name ?? basename(source));
    models.push(await writeOnnxModel(repo, entry, source, o));
  } else {
    const loaded = readPlan(source);
    const { plan, stageModels } = loaded;
    if (plan.topology !== 'chain')
      throw new EdgesplitError(
        'E_PLAN',
        `${loaded.file}: topology: an ensemble chains stages, so the plan must be a chain`,
      );
    const picked = chooseStages(plan.stages, o, loaded.file);
    const chosen = picked.map((k) => plan.stages[k]);
    entry = modelName(o.name ?? basename(resolve(source)));
    for (const k of picked)
      models.push(await writeOnnxModel(repo, `${entry}-stage-${plan.stages[k].id}`, stageModels[k], o, k));
    const routes = stageRoutes(toRuntimePlan(loaded));
    // the ensemble returns what the last exported stage sends on (the graph outputs for the final stage)
    const ensemble = tritonEnsembleConfig(
      entry,
      chosen.map((s, i) => ({
        model: models[i].name,
        signature: { inputs: s.inputs, outputs: s.outputs },
      })),
      routes[picked[picked.length - 1]].sends.map((t) => t.name),
      o,
    );
    const dir = join(repo, entry);
    await mkdir(join(dir, '1'), { recursive: true });
    const config = toPbtxt(ensemble);
    const configPath = join(dir, 'config.pbtxt');
    await writeFile(configPath, config);
    models.push({ name: entry, kind: 'ensemble', configPath, config });
  }
  const manifest = kserveInferenceService(entry, o.storageUri ?? `pvc://edgesplit-models/${basename(repo)}`);
  // beside the repository, not in it: a model repository holds only model directories
  const manifestPath = resolve(o.manifestPath ?? `${repo}.inferenceservice.yaml`);
  await writeFile(manifestPath, manifest);
  return { repository: repo, models, entry, manifestPath, manifest };
}
