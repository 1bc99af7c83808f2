import { EdgesplitError, ShapeError, UnsupportedOpError, errorMessage } from '../core/errors.js';
import { ONNX_DTYPE, toNum, type ModelProto, type OnnxTypes } from '../onnx/proto.js';
import { decodeAttribute, isExternal, tensorElements, tensorValues } from './attributes.js';
import { ShapeUnknownError, type ShapeCtx, type ShapeFn } from './ops/common.js';
import { NN_SHAPE_FNS } from './ops/nn.js';
import { QUANTIZED_SHAPE_FNS } from './ops/quantized.js';
import { RECURRENT_SHAPE_FNS } from './ops/recurrent.js';
import { TENSOR_SHAPE_FNS } from './ops/tensor.js';
import type { AttrValue, Dim, Graph, GraphNode, InitializerInfo, ValueInfo } from './types.js';

const SHAPE_FNS: Readonly<Record<string, ShapeFn>> = {
  ...NN_SHAPE_FNS,
  ...TENSOR_SHAPE_FNS,
  ...RECURRENT_SHAPE_FNS,
  ...QUANTIZED_SHAPE_FNS,
};

/** Ops whose shapes edgesplit infers itself. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(SHAPE_FNS).sort();

/**
 * True when edgesplit knows the op (default ONNX domain, in {@link SUPPORTED_OPS}); other nodes get
 * their shapes from the model's value_info and their cost is unknown.
 */
export function isKnownOp(node: Pick<GraphNode, 'opType' | 'domain'>): boolean {
  return (!node.domain || node.domain === 'ai.onnx') && Object.hasOwn(SHAPE_FNS, node.opType);
}

/** Options of {@link buildGraph}. */
export interface BuildOptions {
  /**
   * Fixed shapes for graph inputs by name (e.g. `{ input: [1, 3, 224, 224] }`), replacing symbolic
   * dims. The rank and every fixed dim of the model's own declaration must agree.
   */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
}

function applyInputShape(vi: ValueInfo, given: readonly number[], modelName: string): ValueInfo {
  const declared = `[${vi.shape.join(',')}]`;
  if (
    given.length !== vi.shape.length ||
    given.some((d, i) => typeof vi.shape[i] === 'number' && vi.shape[i] !== d)
  )
    throw new ShapeError(
      `${modelName}: --input-shape ${vi.name}=${given.join('x')} does not match the model's input ${declared}`,
    );
  return { ...vi, shape: [...given] };
}

function valueInfoOf(v: OnnxTypes.IValueInfoProto): ValueInfo | undefined {
  const tt = v.type?.tensorType;
  if (!tt || !v.name) return undefined;
  const dims = tt.shape?.dim;
  if (!dims) return undefined;
  const shape: Dim[] = dims.map((d, i) => {
    if (d.dimValue !== undefined && d.dimValue !== null && toNum(d.dimValue) > 0) return toNum(d.dimValue);
    return d.dimParam ? d.dimParam : `?${i}`;
  });
  return { name: v.name, dtype: ONNX_DTYPE[tt.elemType ?? 0] ?? `onnx-type-${tt.elemType}`, shape };
}

function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNum(entry.version) : 13;
}

function topoOrder(
  protoNodes: readonly OnnxTypes.INodeProto[],
  available: Set<string>,
  where: string,
): number[] {
  const producerOf = new Map<string, number>();
  protoNodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producerOf.set(o, i)));
  const indeg = new Array<number>(protoNodes.length).fill(0);
  const users = new Map<number, number[]>();
  protoNodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const inp of n.input ?? []) {
      if (!inp || available.has(inp)) continue;
      const p = producerOf.get(inp);
      if (p === undefined) {
        throw new EdgesplitError(
          'E_GRAPH',
          `${where}: node '${n.name || `#${i}`}' (${n.opType}) reads '${inp}', which no node, input or initializer provides`,
        );
      }
      deps.add(p);
    }
    indeg[i] = deps.size;
    for (const p of deps) users.set(p, [...(users.get(p) ?? []), i]);
  });
  // a min-heap would be asymptotically better; a sorted ready list keeps the file's own order stable
  const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    order.push(i);
    for (const u of users.get(i) ?? []) {
      if (--indeg[u] === 0) {
        let k = ready.length;
        while (k > 0 && ready[k - 1] > u) k--;
        ready.splice(k, 0, u);
      }
    }
  }
  if (order.length !== protoNodes.length)
    throw new EdgesplitError('E_GRAPH', `${where}: the graph has a cycle`);
  return order;
}

/**
 * Builds the graph IR of a decoded model: topological order, producers/consumers, and shapes of
 * every tensor. Ops edgesplit does not know use the model's own value_info when present.
 * @param modelName used in error messages (usually the file path)
 */
export function buildGraph(
  model: ModelProto,
  modelName = model.graph?.name || 'model',
  options: BuildOptions = {},
): Graph {
  const g = model.graph;
  if (!g) throw new EdgesplitError('E_ONNX_INVALID', `${modelName}: model has no graph`);
  const values = new Map<string, ValueInfo>();
  const constants = new Map<string, Dim[]>();
  const initializers = new Map<string, InitializerInfo>();
  for (const t of g.initializer ?? []) {
    const dims = (t.dims ?? []).map((d) => toNum(d));
    const vals = tensorValues(t);
    const info: InitializerInfo = {
      name: t.name!,
      dtype: ONNX_DTYPE[t.dataType ?? 0] ?? `onnx-type-${t.dataType}`,
      dims,
      elements: tensorElements(t),
      external: isExternal(t),
      values: vals,
    };
    initializers.set(info.name, info);
    values.set(info.name, { name: info.name, dtype: info.dtype, shape: dims });
    if (vals) constants.set(info.name, vals);
  }
  const declared = new Map<string, ValueInfo>();
  for (const v of [...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const vi = valueInfoOf(v);
    if (vi) declared.set(vi.name, vi);
  }
  const inputs: string[] = [];
  const shapes = { ...options.inputShapes };
  if (Object.hasOwn(shapes, '')) {
    const named = (g.input ?? []).filter((v) => !initializers.has(v.name!));
    if (named.length !== 1)
      throw new ShapeError(
        `${modelName}: --input-shape without a name needs a model with one input; it has ${named.length}`,
      );
    shapes[named[0].name!] = shapes[''];
    delete shapes[''];
  }
  for (const v of g.input ?? []) {
    if (initializers.has(v.name!)) continue;
    const vi = valueInfoOf(v);
    if (!vi)
      throw new EdgesplitError(
        'E_ONNX_INVALID',
        `${modelName}: graph input '${v.name}' has no tensor type or shape`,
      );
    const given = Object.hasOwn(shapes, vi.name) ? shapes[vi.name] : undefined;
    const shaped = given ? applyInputShape(vi, given, modelName) : vi;
    values.set(shaped.name, shaped);
    inputs.push(shaped.name);
  }
  for (const name of Object.keys(shapes)) {
    if (!inputs.includes(name))
      throw new ShapeError(
        `${modelName}: --input-shape names '${name}', which is not a graph input (inputs: ${inputs.join(', ') || 'none'})`,
      );
  }
  const protoNodes = g.node ?? [];
  const order = topoOrder(protoNodes, new Set([...inputs, ...initializers.keys(), '']), modelName);
  const usedNames = new Set<string>();
  const nodes: GraphNode[] = order.map((orig, index) => {
    const n = protoNodes[orig];
    let name = n.name || `${n.opType}_${orig}`;
    while (usedNames.has(name)) name = `${name}_${index}`;
    usedNames.add(name);
    const attributes: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) if (a.name) attributes[a.name] = decodeAttribute(a);
    return {
      index,
      protoIndex: orig,
      name,
      opType: n.opType!,
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes,
    };
  });
  const staticTensors = new Set<string>(initializers.keys());
  for (const node of nodes) {
    inferNode(node, values, constants, declared, modelName);
    const fromStatic = node.inputs.every((i) => !i || staticTensors.has(i));
    const numericShape =
      node.opType === 'Shape' && constants.get(node.outputs[0])?.every((d) => typeof d === 'number');
    if ((fromStatic && node.opType !== 'RandomNormal' && node.opType !== 'RandomUniform') || numericShape) {
      for (const o of node.outputs) if (o) staticTensors.add(o);
    }
  }
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  for (const node of nodes) {
    for (const o of node.outputs) if (o) producer.set(o, node.index);
    for (const i of new Set(node.inputs)) if (i) consumers.set(i, [...(consumers.get(i) ?? []), node.index]);
  }
  const outputs = (g.output ?? []).map((o) => o.name!);
  for (const o of outputs) {
    if (!values.has(o))
      throw new EdgesplitError('E_GRAPH', `${modelName}: graph output '${o}' is not produced by any node`);
  }
  return {
    name: modelName,
    nodes,
    inputs,
    outputs,
    initializers,
    values,
    producer,
    consumers,
    constants,
    staticTensors,
    opset: defaultOpset(model),
  };
}

/**
 * Infers one node's outputs from its inputs' shapes, dtypes and known values, without a model around
 * it (the model builder uses this to track shapes as it emits nodes).
 */
export function inferOutputs(ctx: ShapeCtx): ReturnType<ShapeFn> {
  const fn = SHAPE_FNS[ctx.node.opType];
  if (!fn) throw new UnsupportedOpError(`op ${ctx.node.opType} is not supported`);
  return fn(ctx);
}

function inferNode(
  node: GraphNode,
  values: Map<string, ValueInfo>,
  constants: Map<string, Dim[]>,
  declared: Map<string, ValueInfo>,
  modelName: string,
): void {
  const where = `model '${modelName}', node '${node.name}' (${node.opType})`;
  const ctx: ShapeCtx = {
    node,
    shapes: node.inputs.map((i) => (i ? values.get(i)?.shape : undefined)),
    dtypes: node.inputs.map((i) => (i ? values.get(i)?.dtype : undefined)),
    consts: node.inputs.map((i) => (i ? constants.get(i) : undefined)),
  };
  const fn = node.domain && node.domain !== 'ai.onnx' ? undefined : SHAPE_FNS[node.opType];
  const outs = node.outputs.filter((o) => o);
  const fallback = () => {
    const infos = outs.map((o) => declared.get(o));
    if (infos.every((v) => v !== undefined)) {
      for (const v of infos) values.set(v!.name, v!);
      return true;
    }
    return false;
  };
  if (!fn) {
    if (fallback()) return;
    throw new UnsupportedOpError(
      `${where}: op ${node.domain ? `${node.domain}.` : ''}${node.opType} is not supported and the model has no value_info for its outputs`,
    );
  }
  let inferred;
  try {
    inferred = fn(ctx);
  } catch (err) {
    // the model's own value_info may fill a gap in what edgesplit knows, but never overrides a contradiction
    if (err instanceof ShapeUnknownError && fallback()) return;
    if (err instanceof ShapeError) throw new ShapeError(`${where}: ${err.message}`);
    throw new ShapeError(`${where}: ${errorMessage(err)}`);
  }
  node.outputs.forEach((o, i) => {
    if (!o) return;
    const r = inferred[i];
    if (!r) throw new ShapeError(`${where}: could not infer output #${i} '${o}'`);
    const d = declared.get(o)?.shape;
    if (
      d &&
      (d.length !== r.shape.length ||
        d.some((x, k) => typeof x === 'number' && typeof r.shape[k] === 'number' && x !== r.shape[k]))
    )
      throw new ShapeError(
        `${where}: the model declares '${o}' as [${d.join(',')}] but its inputs make it [${r.shape.join(',')}]`,
      );
    values.set(o, { name: o, dtype: r.dtype, shape: r.shape });
    if (r.value) constants.set(o, r.value);
  });
}
