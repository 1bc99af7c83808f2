import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { buildGraph } from '../../src/graph/build.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto, OnnxTypes } from '../../src/onnx/proto.js';
import { profileGraph } from '../../src/profile/index.js';
import { seededInput } from '../helpers/models.js';
import { float, i64, int, ints, model, node, str, tensor, vi } from '../helpers/onnx-graph.js';

/** Small deterministic weights in [-0.3, 0.3]. */
const w = (i: number) => (((i * 7919) % 13) - 6) / 20;

/**
 * Runs `m` in onnxruntime-node on seeded float inputs and checks every output's dims against
 * edgesplit's inferred shape and that its values are finite.
 */
async function runsInOrt(m: ModelProto): Promise<void> {
  const g = buildGraph(m);
  const feeds = Object.fromEntries(
    g.inputs.map((name) => {
      const dims = g.values.get(name)!.shape as number[];
      return [name, { dtype: 'float32' as const, dims, data: seededInput(dims.reduce((a, b) => a * b, 1)) }];
    }),
  );
  const session = await onnxruntimeBackend.load(encodeModel(m));
  try {
    const out = await session.run(feeds);
    for (const name of g.outputs) {
      expect(out[name].dims).toEqual(g.values.get(name)!.shape);
      expect([...out[name].data].every((v) => Number.isFinite(Number(v)))).toBe(true);
    }
  } finally {
    await session.release();
  }
}

/**
 * x [T, 1, I] through `layers` stacked recurrent layers (the next layer reads Y reshaped to
 * [T, 1, directions*H]); outputs the last layer's Y_h.
 */
function recurrentModel(
  op: 'LSTM' | 'GRU' | 'RNN',
  t: number,
  i: number,
  h: number,
  dirs: 1 | 2,
  layers = 1,
) {
  const gates = { LSTM: 4, GRU: 3, RNN: 1 }[op];
  const nodes: OnnxTypes.INodeProto[] = [];
  const inits: OnnxTypes.ITensorProto[] = [i64('yshape', [0, 0, -1])];
  let x = 'x';
  let inSize = i;
  for (let l = 0; l < layers; l++) {
    inits.push(tensor(`W${l}`, [dirs, gates * h, inSize], 1, w));
    inits.push(tensor(`R${l}`, [dirs, gates * h, h], 1, (k) => w(k + 3)));
    inits.push(tensor(`B${l}`, [dirs, 2 * gates * h], 1, (k) => w(k + 5)));
    const attrs = [int('hidden_size', h), str('direction', dirs === 2 ? 'bidirectional' : 'forward')];
    nodes.push(
      node(op, [x, `W${l}`, `R${l}`, `B${l}`], [`Y${l}`, `H${l}`], attrs, `${op.toLowerCase()}${l}`),
    );
    nodes.push(node('Transpose', [`Y${l}`], [`T${l}`], [ints('perm', [0, 2, 1, 3])]));
    nodes.push(node('Reshape', [`T${l}`, 'yshape'], [`X${l + 1}`]));
    x = `X${l + 1}`;
    inSize = dirs * h;
  }
  return model(nodes, [vi('x', [t, 1, i])], [vi(`H${layers - 1}`, [dirs, 1, h])], inits);
}

describe('recurrent ops: MACs = steps x directions x gates x hidden x (input + hidden), per layer', () => {
  it('LSTM, 2 bidirectional layers', async () => {
    const m = recurrentModel('LSTM', 5, 8, 16, 2, 2);
    const p = profileGraph(buildGraph(m));
    const macs = p.nodes.filter((n) => n.op === 'LSTM').map((n) => n.macs);
    // layer 0: 5 x 2 x 4 x 16 x (8 + 16); layer 1 reads 2 x 16 = 32 features: 5 x 2 x 4 x 16 x (32 + 16)
    expect(macs).toEqual([15_360, 30_720]);
    expect(p.totals.macs).toBe(46_080);
    // W + R + B per layer: 2 x (64x8 + 64x16 + 128) and 2 x (64x32 + 64x16 + 128)
    expect(p.totals.params).toBe(3_328 + 6_400);
    // ops per step, direction: 13 x 16 + 8 x 16 bias adds
    expect(p.nodes.find((n) => n.op === 'LSTM')!.ops).toBe(5 * 2 * (13 * 16 + 8 * 16));
    await runsInOrt(m);
  });

  it('GRU, forward', async () => {
    const m = recurrentModel('GRU', 5, 8, 16, 1);
    expect(profileGraph(buildGraph(m)).totals.macs).toBe(5 * 3 * 16 * (8 + 16));
    await runsInOrt(m);
  });

  it('RNN, bidirectional', async () => {
    const m = recurrentModel('RNN', 7, 3, 4, 2);
    expect(profileGraph(buildGraph(m)).totals.macs).toBe(7 * 2 * 4 * (3 + 4));
    await runsInOrt(m);
  });

  it('a symbolic sequence length is refused, not counted as one step', () => {
    const m = recurrentModel('LSTM', 5, 8, 16, 1);
    m.graph!.input![0].type!.tensorType!.shape!.dim![0] = { dimParam: 'T' };
    expect(() => profileGraph(buildGraph(m, 'seq.onnx'))).toThrow(
      "seq.onnx: input 'x' [T,1,8] has dynamic dims T, so its costs are unknown; give its shape with --input-shape x=<T>x1x8",
    );
    expect(profileGraph(buildGraph(m, 'seq.onnx', { inputShapes: { x: [5, 1, 8] } })).totals.macs).toBe(
      7_680,
    );
  });
});

/** Scale and zero point initializers of one quantised tensor. */
function qparams(
  prefix: string,
  scale: number,
  zeroPoint: number,
  dtype: 2 | 3 = 2,
): OnnxTypes.ITensorProto[] {
  return [tensor(`${prefix}_s`, [], 1, () => scale), tensor(`${prefix}_zp`, [], dtype, () => zeroPoint)];
}

/** x [1,3,8,8] -> Quantize -> QLinearConv 4@3x3 pad 1 -> Dequantize -> Flatten -> Quantize -> QLinearMatMul 256x10 -> Dequantize. */
function qlinearModel(): ModelProto {
  const q = (t: string) => [`${t}_s`, `${t}_zp`];
  return model(
    [
      node('QuantizeLinear', ['x', ...q('x')], ['xq']),
      node(
        'QLinearConv',
        ['xq', ...q('x'), 'wc', ...q('wc'), ...q('c'), 'bc'],
        ['cq'],
        [ints('pads', [1, 1, 1, 1])],
      ),
      node('DequantizeLinear', ['cq', ...q('c')], ['c']),
      node('Flatten', ['c'], ['f']),
      node('QuantizeLinear', ['f', ...q('f')], ['fq']),
      node('QLinearMatMul', ['fq', ...q('f'), 'wm', ...q('wm'), ...q('y')], ['yq']),
      node('DequantizeLinear', ['yq', ...q('y')], ['y']),
    ],
    [vi('x', [1, 3, 8, 8])],
    [vi('y', [1, 10])],
    [
      ...qparams('x', 1 / 255, 0),
      tensor('wc', [4, 3, 3, 3], 2, (i) => 100 + (i % 50)),
      ...qparams('wc', 0.01, 128),
      ...qparams('c', 0.05, 128),
      tensor('bc', [4], 6, (i) => i * 10),
      ...qparams('f', 0.05, 128),
      tensor('wm', [256, 10], 2, (i) => 100 + (i % 57)),
      ...qparams('wm', 0.01, 128),
      ...qparams('y', 0.1, 128),
    ],
  );
}

/** x -> Quantize -> ConvInteger 4@3x3 pad 1 -> Cast -> Flatten -> Quantize -> MatMulInteger 256x10 -> Cast. */
function integerModel(): ModelProto {
  return model(
    [
      node('QuantizeLinear', ['x', 'x_s', 'x_zp'], ['xq']),
      node('ConvInteger', ['xq', 'wc', 'x_zp'], ['ci'], [ints('pads', [1, 1, 1, 1])]),
      node('Cast', ['ci'], ['c'], [int('to', 1)]),
      node('Flatten', ['c'], ['f']),
      node('QuantizeLinear', ['f', 'f_s', 'f_zp'], ['fq']),
      node('MatMulInteger', ['fq', 'wm', 'f_zp'], ['mi']),
      node('Cast', ['mi'], ['y'], [int('to', 1)]),
    ],
    [vi('x', [1, 3, 8, 8])],
    [vi('y', [1, 10])],
    [
      ...qparams('x', 1 / 255, 0),
      tensor('wc', [4, 3, 3, 3], 2, (i) => i % 7),
      ...qparams('f', 50, 0),
      tensor('wm', [256, 10], 2, (i) => i % 5),
    ],
  );
}

/** QDQ form: x -> Q -> DQ -> Conv whose weight is DequantizeLinear(int8) -> y. */
function qdqModel(): ModelProto {
  return model(
    [
      node('QuantizeLinear', ['x', 'x_s', 'x_zp'], ['xq']),
      node('DequantizeLinear', ['xq', 'x_s', 'x_zp'], ['xd']),
      node('DequantizeLinear', ['wq', 'w_s', 'w_zp'], ['wd']),
      node('Conv', ['xd', 'wd'], ['y'], [ints('pads', [1, 1, 1, 1])]),
    ],
    [vi('x', [1, 3, 8, 8])],
    [vi('y', [1, 4, 8, 8])],
    [
      ...qparams('x', 1 / 255, 0),
      tensor('wq', [4, 3, 3, 3], 3, (i) => (i % 9) - 4),
      ...qparams('w', 0.02, 0, 3),
    ],
  );
}

// Conv 4@3x3 over 3x8x8 with pad 1: 4 x 8 x 8 outputs x 3 x 3 x 3 = 6,912; MatMul [1,256]x[256,10]: 2,560
const CONV_MACS = 4 * 8 * 8 * 3 * 3 * 3;
const MATMUL_MACS = 256 * 10;

describe('quantised ops count the MACs they stand for, weights at their integer width', () => {
  it('QLinearConv + QLinearMatMul', async () => {
    const m = qlinearModel();
    const p = profileGraph(buildGraph(m));
    expect(p.nodes.map((n) => [n.op, n.macs])).toEqual([
      ['QuantizeLinear', 0],
      ['QLinearConv', CONV_MACS],
      ['DequantizeLinear', 0],
      ['Flatten', 0],
      ['QuantizeLinear', 0],
      ['QLinearMatMul', MATMUL_MACS],
      ['DequantizeLinear', 0],
    ]);
    // params: uint8 conv weight 108 + int32 bias 4 + uint8 matmul weight 2,560; scales and zero points are buffers
    expect(p.totals.params).toBe(108 + 4 + 2_560);
    // bytes: 108 x 1 + 4 x 4 + 2,560 x 1, six float32 scales x 4, six uint8 zero points x 1
    expect(p.totals.weightBytes).toBe(108 + 16 + 2_560 + 6 * 4 + 6);
    // --weight-bits applies to float tensors only (the scales); integer weights keep their width
    expect(profileGraph(buildGraph(m), { weightBits: 8 }).totals.weightBytes).toBe(108 + 16 + 2_560 + 6 + 6);
    expect(p.nodes.find((n) => n.op === 'QLinearConv')!.outputBytes).toBe(4 * 8 * 8 * 4);
    await runsInOrt(m);
  });

  it('ConvInteger + MatMulInteger', async () => {
    const m = integerModel();
    const g = buildGraph(m);
    expect(g.values.get('ci')!.dtype).toBe('int32');
    const p = profileGraph(g);
    expect(p.nodes.filter((n) => n.macs > 0).map((n) => [n.op, n.macs])).toEqual([
      ['ConvInteger', CONV_MACS],
      ['MatMulInteger', MATMUL_MACS],
    ]);
    expect(p.totals.params).toBe(108 + 2_560);
    await runsInOrt(m);
  });

  it('QDQ around a float Conv: the Conv MACs, the int8 weight at 1 byte', async () => {
    const m = qdqModel();
    const g = buildGraph(m);
    expect(g.values.get('xq')!.dtype).toBe('uint8');
    expect(g.values.get('wd')!.dtype).toBe('float32');
    const p = profileGraph(g);
    expect(p.totals.macs).toBe(CONV_MACS);
    expect(p.totals.params).toBe(108);
    expect(p.totals.weightBytes).toBe(108 + 2 * 4 + 2);
    await runsInOrt(m);
  });
});

describe('blocks that already profile exactly stay exact', () => {
  it('multi-head self-attention (2 heads, 6 tokens, width 8)', async () => {
    const m = model(
      [
        node('MatMul', ['x', 'wq'], ['q']),
        node('MatMul', ['x', 'wk'], ['k']),
        node('MatMul', ['x', 'wv'], ['v']),
        node('Reshape', ['q', 'heads'], ['qh']),
        node('Reshape', ['k', 'heads'], ['kh']),
        node('Reshape', ['v', 'heads'], ['vh']),
        node('Transpose', ['qh'], ['qt'], [ints('perm', [0, 2, 1, 3])]),
        node('Transpose', ['kh'], ['kt'], [ints('perm', [0, 2, 3, 1])]),
        node('Transpose', ['vh'], ['vt'], [ints('perm', [0, 2, 1, 3])]),
        node('MatMul', ['qt', 'kt'], ['scores']),
        node('Div', ['scores', 'sqrtd'], ['scaled']),
        node('Softmax', ['scaled'], ['attn'], [int('axis', -1)]),
        node('MatMul', ['attn', 'vt'], ['ctx']),
        node('Transpose', ['ctx'], ['ct'], [ints('perm', [0, 2, 1, 3])]),
        node('Reshape', ['ct', 'merged'], ['cm']),
        node('MatMul', ['cm', 'wo'], ['y']),
      ],
      [vi('x', [1, 6, 8])],
      [vi('y', [1, 6, 8])],
      [
        ...['wq', 'wk', 'wv', 'wo'].map((n, j) => tensor(n, [8, 8], 1, (i) => w(i + j))),
        i64('heads', [1, 6, 2, 4]),
        i64('merged', [1, 6, 8]),
        tensor('sqrtd', [], 1, () => 2),
      ],
    );
    const p = profileGraph(buildGraph(m));
    // 4 projections 6 x 8 x 8; scores 2 heads x 6 x 6 x 4; context 2 x 6 x 4 x 6
    expect(p.totals.macs).toBe(4 * 384 + 288 + 288);
    expect(p.totals.params).toBe(4 * 64 + 1);
    await runsInOrt(m);
  });

  it('squeeze-excitation with HardSwish and HardSigmoid', async () => {
    const m = model(
      [
        node('Conv', ['x', 'w1'], ['c'], [ints('pads', [1, 1, 1, 1])]),
        node('HardSwish', ['c'], ['a']),
        node('GlobalAveragePool', ['a'], ['s']),
        node('Conv', ['s', 'w2', 'b2'], ['r']),
        node('Relu', ['r'], ['rr']),
        node('Conv', ['rr', 'w3', 'b3'], ['e']),
        node('HardSigmoid', ['e'], ['g'], [float('alpha', 1 / 6)]),
        node('Mul', ['a', 'g'], ['y']),
      ],
      [vi('x', [1, 3, 8, 8])],
      [vi('y', [1, 8, 8, 8])],
      [
        tensor('w1', [8, 3, 3, 3], 1, w),
        tensor('w2', [2, 8, 1, 1], 1, w),
        tensor('b2', [2], 1, w),
        tensor('w3', [8, 2, 1, 1], 1, w),
        tensor('b3', [8], 1, w),
      ],
      [],
      14,
    );
    const p = profileGraph(buildGraph(m));
    // conv 8 x 8 x 8 x 27; squeeze 2 x 8; excite 8 x 2
    expect(p.totals.macs).toBe(13_824 + 16 + 16);
    const ops = Object.fromEntries(p.nodes.map((n) => [n.op, n.ops]));
    expect(ops).toMatchObject({ HardSwish: 512, GlobalAveragePool: 512, HardSigmoid: 8, Mul: 512 });
    await runsInOrt(m);
  });

  it('GELU, as the opset-20 op and as its Erf expansion, in an MLP', async () => {
    const mlp = (gelu: OnnxTypes.INodeProto[], opset: number) =>
      model(
        [node('MatMul', ['x', 'w1'], ['h']), ...gelu, node('MatMul', ['g', 'w2'], ['y'])],
        [vi('x', [1, 4, 16])],
        [vi('y', [1, 4, 16])],
        [
          tensor('w1', [16, 64], 1, w),
          tensor('w2', [64, 16], 1, w),
          tensor('rsqrt2', [], 1, () => Math.SQRT1_2),
          tensor('one', [], 1, () => 1),
          tensor('half', [], 1, () => 0.5),
        ],
        [],
        opset,
      );
    const op = mlp([node('Gelu', ['h'], ['g'])], 20);
    const erf = mlp(
      [
        node('Mul', ['h', 'rsqrt2'], ['hs']),
        node('Erf', ['hs'], ['e']),
        node('Add', ['e', 'one'], ['e1']),
        node('Mul', ['h', 'e1'], ['he']),
        node('Mul', ['he', 'half'], ['g']),
      ],
      13,
    );
    for (const m of [op, erf]) {
      // 4 tokens x 16 x 64, twice
      expect(profileGraph(buildGraph(m)).totals.macs).toBe(2 * 4 * 16 * 64);
      await runsInOrt(m);
    }
    expect(profileGraph(buildGraph(op)).nodes[1]).toMatchObject({ op: 'Gelu', ops: 256 });
  });
});
