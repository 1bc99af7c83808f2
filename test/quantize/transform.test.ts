import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { float32Tensor } from '../../src/core/tensor.js';
import { encodeModel } from '../../src/onnx/io.js';
import { onnx, type ModelProto, type OnnxTypes } from '../../src/onnx/proto.js';
import {
  activationQuant,
  fakeQuantize,
  parseFormat,
  QUANTIZE_METADATA_KEY,
  quantChain,
  quantizeModel,
  weightQuant,
  type TensorQuant,
} from '../../src/strategy/quantize/index.js';
import { seededInput } from '../helpers/models.js';

function vi(name: string, dims: number[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function model(
  nodes: OnnxTypes.INodeProto[],
  inits: OnnxTypes.ITensorProto[],
  input: [string, number[]],
  output: [string, number[]],
): ModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: nodes,
      initializer: inits,
      input: [vi(...input)],
      output: [vi(...output)],
    },
  });
}

async function run(m: ModelProto, x: Float32Array, dims: number[], input = 'x'): Promise<Float32Array> {
  const s = await onnxruntimeBackend.load(encodeModel(m));
  try {
    const out = await s.run({ [input]: float32Tensor(dims, x) });
    return out[s.outputNames[0]].data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('quantisation chains in onnxruntime', () => {
  const dims = [4, 3, 5, 5];
  const x = Float32Array.from(seededInput(300, 3), (v, i) => (v * 2 - 1) * (i % 7 === 0 ? 9 : 2.3));
  const cases: [string, TensorQuant][] = [
    ['q1.8 (Round path, 10 bits)', weightQuant(parseFormat('q1.8'), x, dims, 0)!],
    ['q3.4', weightQuant(parseFormat('q3.4'), x, dims, 0)!],
    ['int8 per channel (QDQ, axis 1)', weightQuant(parseFormat('int8'), x, dims, 1)!],
    ['int8 per tensor (QDQ)', weightQuant(parseFormat('int8-tensor'), x, dims, 0)!],
    ['dfp10 per channel (Round path)', weightQuant(parseFormat('dfp10'), x, dims, 0)!],
    [
      'int8 feature map (uint8 QDQ with zero point)',
      activationQuant(parseFormat('int8'), { min: -1.3, max: 4.1 })!,
    ],
    [
      'int16 feature map (Round path with zero point)',
      activationQuant(parseFormat('int16'), { min: -1.3, max: 4.1 })!,
    ],
    ['int4 feature map', activationQuant(parseFormat('int4'), { min: 0, max: 2 })!],
    ['dfp8 feature map, unsigned', activationQuant(parseFormat('dfp8'), { min: 0, max: 2 })!],
    ['fp16', { kind: 'fp16' }],
  ];
  for (const [label, q] of cases) {
    it(`${label} matches the TypeScript reference exactly`, async () => {
      const chain = quantChain('x', 'y', q, dims.length);
      const y = await run(model(chain.nodes, chain.initializers, ['x', dims], ['y', dims]), x, dims);
      const ref = fakeQuantize(x, dims, q);
      // equal as numbers (+0 and -0 are the same value; Round keeps the sign of a zero)
      expect(Array.from(y, (v) => v + 0)).toEqual(Array.from(ref, (v) => v + 0));
      // the reference really quantises: some values moved
      expect(ref.some((v, i) => v !== x[i])).toBe(true);
    });
  }
});

describe('quantizeModel', () => {
  // y = x W^T + b, with grid-valued products small enough that float32 sums are exact in any order
  const w = Float32Array.from(seededInput(12, 5), (v) => (v * 2 - 1) * 1.5);
  const b = Float32Array.from([0.25, -0.5, 1]);
  const gemm = model(
    [
      {
        opType: 'Gemm',
        input: ['x', 'w', 'b'],
        output: ['y'],
        name: 'fc',
        attribute: [{ name: 'transB', type: 2, i: 1 }],
      },
    ],
    [
      { name: 'w', dataType: 1, dims: [3, 4], floatData: Array.from(w) },
      { name: 'b', dataType: 1, dims: [3], floatData: Array.from(b) },
    ],
    ['x', [2, 4]],
    ['y', [2, 3]],
  );
  const x = Float32Array.from(seededInput(8, 9), (v) => v * 3);

  it('Q1.8 weights and dfp8 feature maps: onnxruntime equals the reference arithmetic', async () => {
    const calib = { backend: onnxruntimeBackend, batches: [float32Tensor([2, 4], x)] };
    const q = await quantizeModel(gemm, {
      weights: parseFormat('q1.8'),
      activations: parseFormat('dfp8'),
      calibration: calib,
    });
    const y = await run(q.model, x, [2, 4]);
    const wq = fakeQuantize(w, [3, 4], weightQuant(parseFormat('q1.8'), w, [3, 4], 0)!);
    const xq = fakeQuantize(
      x,
      [2, 4],
      activationQuant(parseFormat('dfp8'), { min: Math.min(...x), max: Math.max(...x) })!,
    );
    const ref = new Float32Array(6);
    for (let r = 0; r < 2; r++)
      for (let o = 0; o < 3; o++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += xq[r * 4 + k] * wq[o * 4 + k];
        ref[r * 3 + o] = Math.fround(s + b[o]);
      }
    expect(Array.from(y)).toEqual(Array.from(ref));
    expect(Array.from(y)).not.toEqual(Array.from(await run(gemm, x, [2, 4])));
    const meta = JSON.parse(q.model.metadataProps.find((m) => m.key === QUANTIZE_METADATA_KEY)!.value!);
    expect(meta.weights).toBe('q1.8');
    const fm = meta.tensors.find((t: { role: string }) => t.role === 'feature-map');
    // inputs in [0, 3): unsigned, 2 integer bits, 6 fractional bits
    expect(fm.quant.fracBits).toEqual([6]);
  });

  it('needs calibration for integer feature maps and says how to give it', async () => {
    await expect(
      quantizeModel(gemm, { weights: parseFormat('fp32'), activations: parseFormat('int8') }),
    ).rejects.toThrow(/needs calibration images \(e.g. --calibrate fashion-mnist-calib\)/);
  });
});
