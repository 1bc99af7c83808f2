/**
 * The quantisation as an ONNX graph rewrite: every quantised tensor gets a small chain of standard ops
 * that onnxruntime executes. 8-bit affine formats become QuantizeLinear -> DequantizeLinear (per axis
 * for per-channel weights); formats without a QDQ equivalent at opset 13 (10-bit Q1.8, 16-bit
 * integers, any Qm.n) become Div(scale) -> Round -> [Add(zp)] -> Clip(qmin, qmax) -> [Sub(zp)] ->
 * Mul(scale); float16 becomes Cast -> Cast. Pure: a ModelProto in, a new ModelProto out.
 */
import { EdgesplitError } from '../../core/errors.js';
import { onnx, type ModelProto, type OnnxTypes } from '../../onnx/proto.js';
import type { AffineQuant, TensorQuant } from './fake-quant.js';

/** Lowest default-domain opset the transform emits for (Round, Clip with inputs, per-axis QDQ). */
export const MIN_QUANTIZE_OPSET = 13;

/** One tensor to quantise. */
export interface TensorRewrite {
  readonly tensor: string;
  readonly quant: TensorQuant;
  /** Rank of the tensor (per-axis scales are shaped to broadcast along `axis`). */
  readonly rank: number;
  /** Shape of the tensor, recorded as value_info of every chain tensor (so shape inference needs no QDQ rules). */
  readonly shape?: readonly (number | string)[];
  /**
   * Which readers see the quantised value: 'all' (a feature map: the producer's output is renamed and
   * the chain takes its name) or the proto indices of the nodes to rewire (weights of node-side ops).
   */
  readonly readers: 'all' | readonly number[];
}

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const FLOAT16 = 10;

function floatTensor(name: string, values: readonly number[], dims: number[]): OnnxTypes.ITensorProto {
  return { name, dataType: FLOAT, dims, floatData: values.map((v) => Math.fround(v)) };
}

function isQdq(q: AffineQuant): boolean {
  return (q.qmin === -128 && q.qmax === 127) || (q.qmin === 0 && q.qmax === 255);
}

function node(
  opType: string,
  inputs: string[],
  output: string,
  attrs: OnnxTypes.IAttributeProto[] = [],
): OnnxTypes.INodeProto {
  return { opType, input: inputs, output: [output], name: output, attribute: attrs };
}

/** Emits the chain `input -> ... -> output` for `q`; returns its nodes and constant initializers. */
export function quantChain(
  input: string,
  output: string,
  q: TensorQuant,
  rank: number,
): { nodes: OnnxTypes.INodeProto[]; initializers: OnnxTypes.ITensorProto[] } {
  const p = `${output}__q`;
  if (q.kind === 'fp16') {
    return {
      nodes: [
        node('Cast', [input], `${p}_half`, [{ name: 'to', type: 2, i: FLOAT16 }]),
        node('Cast', [`${p}_half`], output, [{ name: 'to', type: 2, i: FLOAT }]),
      ],
      initializers: [],
    };
  }
  const perAxis = q.axis !== undefined;
  if (isQdq(q)) {
    const zpType = q.qmin < 0 ? INT8 : UINT8;
    const dims = perAxis ? [q.scale.length] : [];
    const zp: OnnxTypes.ITensorProto = {
      name: `${p}_zp`,
      dataType: zpType,
      dims,
      int32Data: [...q.zeroPoint],
    };
    const axis = perAxis ? [{ name: 'axis', type: 2, i: q.axis }] : [];
    return {
      nodes: [
        node('QuantizeLinear', [input, `${p}_scale`, `${p}_zp`], `${p}_int`, axis),
        node('DequantizeLinear', [`${p}_int`, `${p}_scale`, `${p}_zp`], output, axis),
      ],
      initializers: [floatTensor(`${p}_scale`, q.scale, dims), zp],
    };
  }
  const sdims = perAxis ? Array.from({ length: rank }, (_, i) => (i === q.axis ? q.scale.length : 1)) : [];
  const inits = [
    floatTensor(`${p}_scale`, q.scale, sdims),
    floatTensor(`${p}_qmin`, [q.qmin], []),
    floatTensor(`${p}_qmax`, [q.qmax], []),
  ];
  const nodes = [node('Div', [input, `${p}_scale`], `${p}_div`), node('Round', [`${p}_div`], `${p}_round`)];
  let last = `${p}_round`;
  const shifted = q.zeroPoint.some((z) => z !== 0);
  if (shifted) {
    inits.push(floatTensor(`${p}_zp`, q.zeroPoint, sdims));
    nodes.push(node('Add', [last, `${p}_zp`], `${p}_shift`));
    last = `${p}_shift`;
  }
  nodes.push(node('Clip', [last, `${p}_qmin`, `${p}_qmax`], `${p}_clip`));
  last = `${p}_clip`;
  if (shifted) {
    nodes.push(node('Sub', [last, `${p}_zp`], `${p}_unshift`));
    last = `${p}_unshift`;
  }
  nodes.push(node('Mul', [last, `${p}_scale`], output));
  return { nodes, initializers: inits };
}

/** Returns a copy of `model` with every rewrite applied and `metadata` added to its metadata_props. */
export function applyRewrites(
  model: ModelProto,
  rewrites: readonly TensorRewrite[],
  metadata: Readonly<Record<string, string>> = {},
): ModelProto {
  const out = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const g = out.graph as OnnxTypes.GraphProto;
  const opset = out.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = opset ? Number(opset.version) : 0;
  if (version < MIN_QUANTIZE_OPSET)
    throw new EdgesplitError(
      'E_USAGE',
      `${g.name || 'model'}: quantize needs default-domain opset >= ${MIN_QUANTIZE_OPSET}, the model has ${version}`,
    );
  const inputs = new Set(g.input.map((i) => i.name!));
  const initNames = new Set(g.initializer.map((t) => t.name!));
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => (n.output ?? []).forEach((o) => producer.set(o, i)));
  const described = new Set(g.valueInfo.map((v) => v.name));
  const describe = (nodes: readonly OnnxTypes.INodeProto[], r: TensorRewrite) => {
    if (!r.shape) return;
    const dim = r.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
    const ints = r.quant.kind === 'affine' && isQdq(r.quant) ? (r.quant.qmin < 0 ? INT8 : UINT8) : FLOAT;
    for (const n of nodes)
      for (const o of n.output ?? []) {
        if (described.has(o)) continue;
        described.add(o);
        const elemType = n.opType === 'QuantizeLinear' ? ints : o.endsWith('_half') ? FLOAT16 : FLOAT;
        g.valueInfo.push(
          onnx.ValueInfoProto.create({ name: o, type: { tensorType: { elemType, shape: { dim } } } }),
        );
      }
  };
  // chains to insert after proto node i (-1: at the start)
  const after = new Map<number, OnnxTypes.INodeProto[]>();
  const push = (i: number, nodes: OnnxTypes.INodeProto[]) =>
    after.set(i, [...(after.get(i) ?? []), ...nodes]);
  for (const r of rewrites) {
    const t = r.tensor;
    if (r.readers === 'all') {
      if (initNames.has(t))
        throw new EdgesplitError('E_GRAPH', `quantize: '${t}' is an initializer, not a feature map`);
      const p = producer.get(t);
      let source: string;
      if (p === undefined) {
        if (!inputs.has(t)) throw new EdgesplitError('E_GRAPH', `quantize: no tensor '${t}' in the graph`);
        source = t;
        const q = `${t}__quantized`;
        for (const n of g.node) n.input = (n.input ?? []).map((x) => (x === t ? q : x));
        for (const o of g.output)
          if (o.name === t)
            throw new EdgesplitError('E_GRAPH', `quantize: graph input '${t}' is also an output`);
        const chain = quantChain(source, q, r.quant, r.rank);
        push(-1, chain.nodes);
        g.initializer.push(...chain.initializers);
        describe(chain.nodes, r);
        continue;
      }
      source = `${t}__fp32`;
      g.node[p].output = (g.node[p].output ?? []).map((o) => (o === t ? source : o));
      const chain = quantChain(source, t, r.quant, r.rank);
      push(p, chain.nodes);
      g.initializer.push(...chain.initializers);
      describe(chain.nodes, r);
    } else {
      const q = `${t}__quantized`;
      for (const i of r.readers) g.node[i].input = (g.node[i].input ?? []).map((x) => (x === t ? q : x));
      const chain = quantChain(t, q, r.quant, r.rank);
      const p = producer.get(t);
      push(p ?? -1, chain.nodes);
      g.initializer.push(...chain.initializers);
      describe(chain.nodes, r);
    }
  }
  const nodes: OnnxTypes.INodeProto[] = [...(after.get(-1) ?? [])];
  g.node.forEach((n, i) => nodes.push(n, ...(after.get(i) ?? [])));
  g.node = nodes.map((n) => onnx.NodeProto.create(n));
  g.initializer = g.initializer.map((t) => onnx.TensorProto.create(t));
  for (const [key, value] of Object.entries(metadata)) {
    out.metadataProps = out.metadataProps.filter((m) => m.key !== key);
    out.metadataProps.push(onnx.StringStringEntryProto.create({ key, value }));
  }
  return out;
}
