import { EdgesplitError } from '../../core/errors.js';
import { inferOutputs } from '../build.js';
import type { AttrValue, Dim, GraphNode } from '../types.js';
import { onnx, type ModelProto, type OnnxTypes } from '../../onnx/proto.js';
import { mulberry32 } from '../../core/random.js';

/** Options of a model being built. */
export interface BuilderOptions {
  /** Graph name. */
  readonly name?: string;
  /** PRNG seed for the weights; same seed, same bytes. */
  readonly seed?: number;
  /** Default-domain opset; default 13. */
  readonly opset?: number;
  /**
   * Store weights as external data in this (relative) file name instead of inside the model. The
   * file is not written: such models are for profiling, which never reads weight bytes.
   */
  readonly externalDataFile?: string;
}

/** Options of a convolution. */
export interface ConvOptions {
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  /** Symmetric padding; default keeps the size at stride 1 (kernel/2). */
  readonly pad?: number;
  readonly groups?: number;
  readonly dilation?: number;
  readonly bias?: boolean;
  /** ConvTranspose only. */
  readonly outputPadding?: number;
}

/** Options of a pooling op. */
export interface PoolOptions {
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly ceil?: boolean;
}

/** Attribute values the builder emits; `{ float }` marks a FLOAT attribute (plain numbers are INT). */
type BuilderAttr = number | number[] | string | { float: number };

function attr(name: string, v: BuilderAttr): OnnxTypes.IAttributeProto {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if (typeof v === 'object') return { name, type: 1, f: v.float };
  return { name, type: 2, i: v };
}

/**
 * Emits valid ONNX models layer by layer with seeded random weights (He-uniform), tracking shapes with
 * edgesplit's own shape inference. For tests, examples and planner benchmarks.
 */
export class ModelBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly inits: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly shapes = new Map<string, Dim[]>();
  private readonly consts = new Map<string, Dim[]>();
  private readonly counts = new Map<string, number>();
  private readonly rand: () => number;
  private externalOffset = 0;

  constructor(private readonly options: BuilderOptions = {}) {
    this.rand = mulberry32(options.seed ?? 1);
  }

  /** Shape of a tensor built so far. */
  shape(tensor: string): Dim[] {
    const s = this.shapes.get(tensor);
    if (!s) throw new EdgesplitError('E_GRAPH', `builder: unknown tensor '${tensor}'`);
    return [...s];
  }

  /** Declares a float32 graph input. */
  input(name: string, shape: Dim[]): string {
    this.inputs.push(this.valueInfo(name, shape));
    this.shapes.set(name, [...shape]);
    return name;
  }

  /** Marks a tensor as a graph output, optionally renaming it through an Identity. */
  output(tensor: string, name?: string): string {
    const out = name && name !== tensor ? this.op('Identity', [tensor], {}, name) : tensor;
    this.outputs.push(this.valueInfo(out, this.shape(out)));
    return out;
  }

  conv(x: string, o: ConvOptions): string {
    const cin = this.channels(x);
    const groups = o.groups ?? 1;
    const w = this.weight([o.out, cin / groups, o.kernel, o.kernel], (cin / groups) * o.kernel * o.kernel);
    const ins = [x, w];
    if (o.bias ?? true) ins.push(this.weight([o.out], cin * o.kernel * o.kernel));
    const pad = o.pad ?? Math.floor(((o.kernel - 1) * (o.dilation ?? 1)) / 2);
    return this.op('Conv', ins, {
      kernel_shape: [o.kernel, o.kernel],
      strides: [o.stride ?? 1, o.stride ?? 1],
      pads: [pad, pad, pad, pad],
      dilations: [o.dilation ?? 1, o.dilation ?? 1],
      group: groups,
    });
  }

  convTranspose(x: string, o: ConvOptions): string {
    const cin = this.channels(x);
    const groups = o.groups ?? 1;
    const w = this.weight([cin, o.out / groups, o.kernel, o.kernel], cin * o.kernel * o.kernel);
    const ins = [x, w];
    if (o.bias ?? true) ins.push(this.weight([o.out], cin * o.kernel * o.kernel));
    const pad = o.pad ?? 0;
    return this.op('ConvTranspose', ins, {
      kernel_shape: [o.kernel, o.kernel],
      strides: [o.stride ?? 1, o.stride ?? 1],
      pads: [pad, pad, pad, pad],
      output_padding: [o.outputPadding ?? 0, o.outputPadding ?? 0],
      group: groups,
    });
  }

  /** BatchNormalization with trained-looking statistics (scale ~1, variance ~1). */
  batchNorm(x: string): string {
    const c = this.channels(x);
    const scale = this.tensor([c], () => 0.8 + 0.4 * this.rand());
    const bias = this.tensor([c], () => 0.1 * (this.rand() - 0.5));
    const mean = this.tensor([c], () => 0.1 * (this.rand() - 0.5));
    const variance = this.tensor([c], () => 0.9 + 0.2 * this.rand());
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: { float: 1e-5 } });
  }

  relu(x: string): string {
    return this.op('Relu', [x], {});
  }
  /** ReLU6 as Clip(0, 6) with constant inputs (opset 11+ form). */
  relu6(x: string): string {
    return this.op('Clip', [x, this.tensor([], () => 0), this.tensor([], () => 6)], {});
  }
  sigmoid(x: string): string {
    return this.op('Sigmoid', [x], {});
  }
  tanh(x: string): string {
    return this.op('Tanh', [x], {});
  }
  softmax(x: string): string {
    return this.op('Softmax', [x], { axis: -1 });
  }
  maxPool(x: string, o: PoolOptions): string {
    return this.pool('MaxPool', x, o);
  }
  avgPool(x: string, o: PoolOptions): string {
    return this.pool('AveragePool', x, o);
  }
  globalAvgPool(x: string): string {
    return this.op('GlobalAveragePool', [x], {});
  }
  add(a: string, b: string): string {
    return this.op('Add', [a, b], {});
  }
  concat(xs: string[], axis = 1): string {
    return this.op('Concat', xs, { axis });
  }
  flatten(x: string): string {
    return this.op('Flatten', [x], { axis: 1 });
  }
  /** Reshape to a constant shape (0 copies a dim, -1 infers one). */
  reshape(x: string, shape: number[]): string {
    const s = this.tensor([shape.length], (i) => shape[i], 7);
    return this.op('Reshape', [x, s], {});
  }
  /** Fully connected layer: Gemm with transB=1, as torch exports Linear. */
  gemm(x: string, o: { out: number; bias?: boolean }): string {
    const k = this.shape(x)[1];
    if (typeof k !== 'number')
      throw new EdgesplitError('E_GRAPH', `builder: Gemm input '${x}' has a symbolic feature dim`);
    const ins = [x, this.weight([o.out, k], k)];
    if (o.bias ?? true) ins.push(this.weight([o.out], k));
    return this.op('Gemm', ins, { transB: 1 });
  }

  /** Finishes the model. */
  build(): ModelProto {
    if (this.outputs.length === 0) throw new EdgesplitError('E_GRAPH', 'builder: the model has no outputs');
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'edgesplit-builder',
      opsetImport: [{ domain: '', version: this.options.opset ?? 13 }],
      graph: {
        name: this.options.name ?? 'model',
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  private channels(x: string): number {
    const c = this.shape(x)[1];
    if (typeof c !== 'number')
      throw new EdgesplitError('E_GRAPH', `builder: '${x}' has a symbolic channel dim`);
    return c;
  }

  private pool(op: string, x: string, o: PoolOptions): string {
    const pad = o.pad ?? 0;
    return this.op(op, [x], {
      kernel_shape: [o.kernel, o.kernel],
      strides: [o.stride ?? o.kernel, o.stride ?? o.kernel],
      pads: [pad, pad, pad, pad],
      ...(o.ceil ? { ceil_mode: 1 } : {}),
    });
  }

  private weight(dims: number[], fanIn: number): string {
    const bound = Math.sqrt(6 / Math.max(1, fanIn));
    return this.tensor(dims, () => (2 * this.rand() - 1) * bound);
  }

  private tensor(dims: number[], value: (i: number) => number, dataType = 1): string {
    const name = `w${this.inits.length}`;
    const n = dims.reduce((a, b) => a * b, 1);
    const t: OnnxTypes.ITensorProto = { name, dims, dataType };
    if (this.options.externalDataFile && dataType === 1 && n > 16) {
      t.dataLocation = 1;
      t.externalData = [
        { key: 'location', value: this.options.externalDataFile },
        { key: 'offset', value: String(this.externalOffset) },
        { key: 'length', value: String(n * 4) },
      ];
      this.externalOffset += n * 4;
    } else if (dataType === 7) {
      const raw = new BigInt64Array(n);
      for (let i = 0; i < n; i++) raw[i] = BigInt(value(i));
      t.rawData = new Uint8Array(raw.buffer);
      this.consts.set(
        name,
        Array.from({ length: n }, (_, i) => value(i)),
      );
    } else {
      const raw = new Float32Array(n);
      for (let i = 0; i < n; i++) raw[i] = value(i);
      t.rawData = new Uint8Array(raw.buffer);
      if (n <= 16) this.consts.set(name, Array.from(raw));
    }
    this.inits.push(t);
    this.shapes.set(name, dims);
    return name;
  }

  private op(opType: string, inputs: string[], attrs: Record<string, BuilderAttr>, outName?: string): string {
    const k = (this.counts.get(opType) ?? 0) + 1;
    this.counts.set(opType, k);
    const name = `${opType.toLowerCase()}_${k}`;
    const out = outName ?? `${name}_out`;
    const attribute = Object.entries(attrs).map(([key, v]) => attr(key, v));
    const decoded: Record<string, AttrValue> = {};
    for (const [key, v] of Object.entries(attrs))
      decoded[key] = typeof v === 'object' && !Array.isArray(v) ? v.float : v;
    const node: GraphNode = {
      index: this.nodes.length,
      name,
      opType,
      domain: '',
      inputs,
      outputs: [out],
      attributes: decoded,
    };
    const [result] = inferOutputs({
      node,
      shapes: inputs.map((i) => this.shapes.get(i)),
      dtypes: inputs.map((i) =>
        this.consts.has(i) && opType === 'Reshape' && i === inputs[1] ? 'int64' : 'float32',
      ),
      consts: inputs.map((i) => this.consts.get(i)),
    });
    this.nodes.push({ name, opType, input: inputs, output: [out], attribute });
    this.shapes.set(out, result.shape);
    return out;
  }

  private valueInfo(name: string, shape: Dim[]): OnnxTypes.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType: 1,
          shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    };
  }
}
