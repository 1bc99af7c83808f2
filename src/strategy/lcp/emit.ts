/**
 * Writes the LCP architecture of a CNN as ONNX: `branches` copies of the feature extractor, each with
 * every conv / fully connected width divided (and fattened), all reading the shared input; their
 * pre-final activations concatenated; then the classifier and head. Weights are freshly initialised
 * from a seeded PRNG (He-uniform weights, zero biases, identity BatchNorm), as the seed trains every
 * LCP model from scratch.
 */
import { EdgesplitError, ShapeError, errorMessage } from '../../core/errors.js';
import { mulberry32 } from '../../core/random.js';
import { tensorValues } from '../../graph/attributes.js';
import { inferOutputs } from '../../graph/build.js';
import type { Dim, GraphNode } from '../../graph/types.js';
import { onnx, type ModelProto, type OnnxTypes } from '../../onnx/proto.js';
import type { CnnTemplate } from './template.js';
import { branchWidth } from './widths.js';

/** Options of {@link emitLcpModel}. */
export interface EmitOptions {
  readonly branches: number;
  readonly fattenPercent?: number;
  /** PRNG seed of the fresh weights; default 1. */
  readonly seed?: number;
}

/** Metadata key under which the written model records how it was made (JSON). */
export const LCP_METADATA_KEY = 'edgesplit.lcp';

/** Name of branch `i`'s copy of tensor `t`. */
export function branchTensor(i: number, t: string): string {
  return `branch${i}/${t}`;
}

/** Name of the concatenated pre-final activations. */
export const GATHER_TENSOR = 'lcp/gather';

type Fill =
  { kind: 'he'; fanIn: number } | { kind: 'const'; value: number } | { kind: 'tile'; values: number[] };

const ALIAS_OPS = new Set(['Identity', 'Dropout']);

/** Builds the LCP model of `model` (whose template is `t`). */
export function emitLcpModel(model: ModelProto, t: CnnTemplate, o: EmitOptions): ModelProto {
  const g = t.graph;
  const k = o.branches;
  const width = (w: number) => branchWidth(w, k, o.fattenPercent ?? 0);
  const rand = mulberry32(o.seed ?? 1);
  const protoNodes = model.graph?.node ?? [];
  const initProtos = new Map((model.graph?.initializer ?? []).map((p) => [p.name!, p]));
  const nodes: OnnxTypes.INodeProto[] = [];
  const inits: OnnxTypes.ITensorProto[] = [];
  const shared = new Set<string>();
  const shapes = new Map<string, Dim[]>();
  const consts = new Map<string, Dim[]>();
  for (const [name, c] of g.constants) consts.set(name, [...c]);
  for (const [name, v] of g.values) if (g.staticTensors.has(name)) shapes.set(name, [...v.shape]);
  shapes.set(t.input, [...g.values.get(t.input)!.shape]);
  const origShape = (x: string) => g.values.get(x)?.shape ?? [];
  const fail = (n: GraphNode, why: string): never => {
    throw new EdgesplitError('E_GRAPH', `${g.name}: cannot branch node '${n.name}' (${n.opType}): ${why}`);
  };
  const share = (name: string) => {
    if (shared.has(name) || !initProtos.has(name)) return;
    shared.add(name);
    inits.push(initProtos.get(name)!);
  };
  const fresh = (name: string, dims: number[], fill: Fill) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const raw = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      if (fill.kind === 'he') raw[j] = (2 * rand() - 1) * Math.sqrt(6 / Math.max(1, fill.fanIn));
      else if (fill.kind === 'const') raw[j] = fill.value;
      else raw[j] = fill.values[j % fill.values.length];
    }
    inits.push({ name, dims, dataType: 1, rawData: new Uint8Array(raw.buffer) });
    shapes.set(name, dims);
  };
  for (const n of t.staticNodes) {
    nodes.push(protoNodes[n.protoIndex ?? n.index]);
    for (const i of n.inputs) share(i);
  }

  const emitNode = (
    n: GraphNode,
    ins: string[],
    outs: string[],
    attrs: Record<string, number>,
    prefix: string,
  ) => {
    const proto = protoNodes[n.protoIndex ?? n.index];
    const attribute = (proto.attribute ?? []).filter((a) => !(a.name! in attrs));
    for (const [key, v] of Object.entries(attrs)) attribute.push({ name: key, type: 2, i: v });
    nodes.push({
      ...proto,
      name: prefix ? `${prefix}/${n.name}` : n.name,
      input: ins,
      output: outs,
      attribute,
    });
    let inferred;
    try {
      inferred = inferOutputs({
        node: { ...n, inputs: ins, outputs: outs, attributes: { ...n.attributes, ...attrs } },
        shapes: ins.map((i) => (i ? shapes.get(i) : undefined)),
        dtypes: ins.map((i) => (i ? (g.values.get(i)?.dtype ?? 'float32') : undefined)),
        consts: ins.map((i) => (i ? consts.get(i) : undefined)),
      });
    } catch (err) {
      if (err instanceof ShapeError) fail(n, `its divided shapes do not fit (${errorMessage(err)})`);
      throw err;
    }
    outs.forEach((x, j) => {
      if (!x || !inferred[j]) return;
      shapes.set(x, inferred[j].shape);
      if (inferred[j].value) consts.set(x, inferred[j].value!);
    });
  };

  const gatherInputs: string[] = [];
  for (let b = 0; b < k; b++) {
    const alias = new Map<string, string>();
    const rename = (x: string) =>
      !x ? x : (alias.get(x) ?? (x === t.input || g.staticTensors.has(x) ? x : branchTensor(b, x)));
    for (const n of t.trunk) {
      const trivialConcat = n.opType === 'Concat' && n.inputs.filter((x) => x).length === 1;
      if (ALIAS_OPS.has(n.opType) || trivialConcat) {
        if (n.outputs.slice(1).some((x) => x && (g.consumers.get(x)?.length || g.outputs.includes(x))))
          fail(n, 'its second output is used');
        alias.set(n.outputs[0], rename(n.inputs[0]));
        continue;
      }
      const data = shapes.get(rename(n.inputs[0]));
      if (!data) fail(n, `no shape for its input '${n.inputs[0]}'`);
      const cin = data![1] as number;
      const cinOrig = origShape(n.inputs[0])[1] as number;
      const attrs: Record<string, number> = {};
      const ins = n.inputs.map((x, pos) => {
        const init = g.initializers.get(x);
        if (!init) return rename(x);
        const dims = [...init.dims];
        const name = branchTensor(b, x);
        if (n.opType === 'Conv') {
          const group = (n.attributes.group as number | undefined) ?? 1;
          let out: number;
          if (group === 1) out = width(dims[0]);
          else if (group === cinOrig) {
            out = cin * (dims[0] / group);
            attrs.group = cin;
          } else
            return fail(n, `grouped convolution with ${group} groups of ${cinOrig} channels is not divided`);
          const kernel = dims.slice(2);
          if (pos === 1) {
            const inPer = group === 1 ? cin : 1;
            fresh(name, [out, inPer, ...kernel], {
              kind: 'he',
              fanIn: inPer * kernel.reduce((a, c) => a * c, 1),
            });
          } else fresh(name, [out], { kind: 'const', value: 0 });
          return name;
        }
        if (n.opType === 'Gemm' || n.opType === 'MatMul') {
          const transB = n.opType === 'Gemm' && n.attributes.transB;
          const outOrig = pos === 1 ? (transB ? dims[0] : dims[dims.length - 1]) : dims[dims.length - 1];
          if (pos === 1 && dims.length !== 2) fail(n, `weight '${x}' must be 2-D, got [${dims.join(',')}]`);
          const out = width(outOrig);
          if (pos === 1) fresh(name, transB ? [out, cin] : [cin, out], { kind: 'he', fanIn: cin });
          else if (dims.reduce((a, c) => a * c, 1) <= 1) share(x);
          else fresh(name, dims.length === 2 ? [1, out] : [out], { kind: 'const', value: 0 });
          return pos === 2 && dims.reduce((a, c) => a * c, 1) <= 1 ? x : name;
        }
        if (n.opType === 'BatchNormalization') {
          fresh(name, [cin], { kind: 'const', value: pos === 1 || pos === 4 ? 1 : 0 });
          return name;
        }
        if (n.opType === 'Reshape' && pos === 1) {
          const target = g.constants.get(x) ?? [];
          if (!target.every((d) => d === 0 || d === -1 || d === 1))
            fail(n, `it reshapes to the fixed shape [${target.join(',')}]; use Flatten or [0,-1]`);
          share(x);
          return x;
        }
        if (dims.reduce((a, c) => a * c, 1) <= 1 || !init.dtype.startsWith('float')) {
          share(x);
          return x;
        }
        const axis = dims.length - (data!.length - 1);
        const perChannel = axis >= 0 && dims[axis] === cinOrig && dims.every((d, j) => j === axis || d === 1);
        if (!perChannel) fail(n, `its initializer '${x}' [${dims.join(',')}] is not per-channel`);
        dims[axis] = cin;
        const values = tensorValues(initProtos.get(x)!, Number.MAX_SAFE_INTEGER) ?? [0];
        fresh(name, dims, { kind: 'tile', values });
        return name;
      });
      emitNode(
        n,
        ins,
        n.outputs.map((x) => (x ? branchTensor(b, x) : x)),
        attrs,
        `branch${b}`,
      );
    }
    gatherInputs.push(rename(t.preFinal));
  }
  const gather: GraphNode = {
    index: -1,
    name: GATHER_TENSOR,
    opType: 'Concat',
    domain: '',
    inputs: gatherInputs,
    outputs: [GATHER_TENSOR],
    attributes: { axis: 1 },
  };
  nodes.push({
    name: GATHER_TENSOR,
    opType: 'Concat',
    input: gatherInputs,
    output: [GATHER_TENSOR],
    attribute: [{ name: 'axis', type: 2, i: 1 }],
  });
  shapes.set(
    GATHER_TENSOR,
    inferOutputs({
      node: gather,
      shapes: gatherInputs.map((x) => shapes.get(x)),
      dtypes: gatherInputs.map(() => 'float32'),
      consts: gatherInputs.map(() => undefined),
    })[0].shape,
  );
  const c = t.classifier;
  const features = shapes.get(GATHER_TENSOR)![1] as number;
  const w = g.initializers.get(c.inputs[1])!;
  const transB = c.opType === 'Gemm' && c.attributes.transB;
  const classes = transB ? w.dims[0] : w.dims[w.dims.length - 1];
  const cins = [GATHER_TENSOR, `classifier/${c.inputs[1]}`];
  fresh(cins[1], transB ? [classes, features] : [features, classes], { kind: 'he', fanIn: features });
  if (c.inputs[2] && g.initializers.has(c.inputs[2])) {
    cins.push(`classifier/${c.inputs[2]}`);
    fresh(cins[2], [...g.initializers.get(c.inputs[2])!.dims], { kind: 'const', value: 0 });
  } else if (c.inputs[2]) cins.push(c.inputs[2]);
  nodes.push({ ...protoNodes[c.protoIndex ?? c.index], input: cins });
  for (const n of t.head) {
    nodes.push(protoNodes[n.protoIndex ?? n.index]);
    for (const i of n.inputs) share(i);
  }
  const src = model.graph!;
  return onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: 'edgesplit-lcp',
    opsetImport: model.opsetImport,
    metadataProps: [
      {
        key: LCP_METADATA_KEY,
        value: JSON.stringify({
          branches: k,
          fattenPercent: o.fattenPercent ?? 0,
          seed: o.seed ?? 1,
          source: g.name,
        }),
      },
    ],
    graph: {
      name: `${src.name ?? 'model'}-lcp${k}`,
      node: nodes,
      initializer: inits,
      input: (src.input ?? []).filter((v) => v.name === t.input),
      output: src.output,
    },
  });
}
