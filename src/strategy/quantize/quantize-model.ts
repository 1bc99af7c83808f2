/**
 * Quantising a model: choose the tensors (node side of a cut or the whole model), derive each one's
 * parameters from its weights or calibrated range, rewrite the graph, and record every choice in the
 * model's metadata (`edgesplit.quantize`, JSON). Calibration runs on a backend passed in.
 */
import type { InferenceBackend } from '../../backend/backend.js';
import { EdgesplitError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { buildGraph } from '../../graph/build.js';
import type { ModelProto, OnnxTypes } from '../../onnx/proto.js';
import { calibrateRanges, type CalibrationMethod } from './calibrate.js';
import {
  activationQuant,
  needsCalibration,
  weightQuant,
  type Range,
  type TensorQuant,
} from './fake-quant.js';
import { isFp32, type NumberFormat } from './formats.js';
import { quantTargets } from './targets.js';
import { applyRewrites, type TensorRewrite } from './transform.js';

/** Metadata key holding the quantisation record. */
export const QUANTIZE_METADATA_KEY = 'edgesplit.quantize';

/** Options of {@link quantizeModel}. */
export interface QuantizeOptions {
  readonly weights: NumberFormat;
  readonly activations: NumberFormat;
  /** Quantise only nodes [0, nodeCut) and the tensors crossing that cut; default the whole model. */
  readonly nodeCut?: number;
  /** Calibration images (batches of the model input); needed by int and dfp activation formats. */
  readonly calibration?: {
    readonly backend: InferenceBackend;
    readonly batches: readonly Tensor[];
    readonly method?: CalibrationMethod;
    readonly percentile?: number;
    /** Name recorded in the metadata (e.g. `fashion-mnist-calib`, 500 images). */
    readonly dataset?: string;
  };
}

/** What was done to one tensor (also the metadata record). */
export interface TensorRecord {
  readonly tensor: string;
  readonly role: 'weight' | 'feature-map';
  readonly format: string;
  readonly quant: TensorQuant;
  readonly range?: Range;
}

/** A quantised model and its record. */
export interface QuantizedModel {
  readonly model: ModelProto;
  readonly record: {
    readonly weights: string;
    readonly activations: string;
    readonly nodeCut: number | null;
    readonly nodes: number;
    readonly calibration: { dataset?: string; method: string; percentile?: number; images: number } | null;
    readonly tensors: readonly TensorRecord[];
  };
}

/** Float32 values of an initializer (raw or typed data). */
export function initializerValues(t: OnnxTypes.ITensorProto): Float32Array {
  if (t.dataType !== 1)
    throw new EdgesplitError(
      'E_USAGE',
      `quantize: weight '${t.name}' is not float32 (ONNX type ${t.dataType})`,
    );
  if (t.dataLocation === 1)
    throw new EdgesplitError('E_USAGE', `quantize: weight '${t.name}' is stored as external data`);
  if (t.rawData && t.rawData.length) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Quantises `model` (see {@link QuantizeOptions}); pure except for calibration on the given backend. */
export async function quantizeModel(model: ModelProto, opts: QuantizeOptions): Promise<QuantizedModel> {
  const graph = buildGraph(model);
  const targets = quantTargets(graph, opts.nodeCut ?? graph.nodes.length);
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name!, t]));
  const records: TensorRecord[] = [];
  const rewrites: TensorRewrite[] = [];
  if (!isFp32(opts.weights)) {
    for (const w of targets.weights) {
      const quant = weightQuant(opts.weights, initializerValues(inits.get(w.tensor)!), w.dims, w.axis);
      if (!quant) continue;
      rewrites.push({ tensor: w.tensor, quant, rank: w.dims.length, shape: w.dims, readers: w.readers });
      records.push({ tensor: w.tensor, role: 'weight', format: opts.weights.name, quant });
    }
  }
  let ranges = new Map<string, Range>();
  const calib = opts.calibration;
  if (needsCalibration(opts.activations) && targets.activations.length) {
    if (!calib || calib.batches.length === 0)
      throw new EdgesplitError(
        'E_USAGE',
        `activation format ${opts.activations.name} needs calibration images (e.g. --calibrate fashion-mnist-calib)`,
      );
    ranges = await calibrateRanges(model, targets.activations, calib);
  }
  if (!isFp32(opts.activations)) {
    for (const t of targets.activations) {
      const quant = activationQuant(opts.activations, ranges.get(t));
      if (!quant) continue;
      const shape = graph.values.get(t)?.shape ?? [];
      rewrites.push({ tensor: t, quant, rank: shape.length, shape, readers: 'all' });
      records.push({
        tensor: t,
        role: 'feature-map',
        format: opts.activations.name,
        quant,
        range: ranges.get(t),
      });
    }
  }
  const used = needsCalibration(opts.activations) && calib;
  const record = {
    weights: opts.weights.name,
    activations: opts.activations.name,
    nodeCut: opts.nodeCut ?? null,
    nodes: graph.nodes.length,
    calibration: used
      ? {
          dataset: calib.dataset,
          method: calib.method ?? 'minmax',
          ...(calib.method === 'percentile' ? { percentile: calib.percentile ?? 99.99 } : {}),
          images: calib.batches.reduce((s, b) => s + b.dims[0], 0),
        }
      : null,
    tensors: records,
  };
  const out = applyRewrites(model, rewrites, { [QUANTIZE_METADATA_KEY]: JSON.stringify(record) });
  return { model: out, record };
}
