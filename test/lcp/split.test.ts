import { beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { parseDeviceEntries } from '../../src/catalog/catalog.js';
import { EdgesplitError } from '../../src/core/errors.js';
import { float32Tensor } from '../../src/core/tensor.js';
import { loadDataset } from '../../src/data/datasets.js';
import { buildGraph } from '../../src/graph/build.js';
import type { Graph } from '../../src/graph/types.js';
import { lenet5, mobilenetV2, resnet } from '../../src/graph/builder/architectures.js';
import { ModelBuilder } from '../../src/graph/builder/builder.js';
import { encodeModel, loadModelFile } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { profileModelFile } from '../../src/profile/index.js';
import { branchWidth, lcpSplit, roundHalfEven } from '../../src/strategy/lcp/index.js';
import { zooModelPath } from '../../src/zoo/manifest.js';

let original: ModelProto;
let originalGraph: Graph;
beforeAll(async () => {
  original = await loadModelFile(zooModelPath('lcp-original'));
  originalGraph = buildGraph(original, 'lcp-original');
});

function errorOf(f: () => unknown): EdgesplitError {
  try {
    f();
  } catch (err) {
    if (err instanceof EdgesplitError) return err;
    throw err;
  }
  throw new Error('expected an EdgesplitError');
}

describe('widths follow the zoo recipe (training/zoo/lcp.py)', () => {
  it("rounds halves to even like Python's round", () => {
    expect([0.5, 1.5, 2.5, 10.5, 2.4999, 5.6].map(roundHalfEven)).toEqual([0, 2, 2, 10, 2, 6]);
  });
  it('gives the zoo branch widths of split8-f20 and split8-f40', () => {
    const widths = [32, 64, 64, 128, 64];
    expect(widths.map((w) => branchWidth(w, 8, 20))).toEqual([5, 10, 10, 19, 10]);
    expect(widths.map((w) => branchWidth(w, 8, 40))).toEqual([6, 11, 11, 22, 11]);
    expect(branchWidth(3, 8)).toBe(1);
  });
});

describe('lcp split of lcp-original reproduces the committed zoo models exactly', () => {
  const variants = [
    ['lcp-split2', 2, 0],
    ['lcp-split4', 4, 0],
    ['lcp-split8', 8, 0],
    ['lcp-split8-f20', 8, 20],
    ['lcp-split8-f40', 8, 40],
  ] as const;
  for (const [name, branches, fatten] of variants) {
    it(`${name}: params, MACs and every branch equal the committed model's`, async () => {
      const r = lcpSplit(original, originalGraph, { branches, fattenPercent: fatten });
      const zoo = (await profileModelFile(zooModelPath(name))).profile.totals;
      expect(r.profile.totals.params).toBe(zoo.params);
      expect(r.profile.totals.macs).toBe(zoo.macs);
      expect(r.structure.branches).toHaveLength(branches);
      const piece = (await profileModelFile(zooModelPath(`${name}-branch0`))).profile.totals;
      for (const b of r.structure.branches) {
        expect(b.params).toBe(piece.params);
        expect(b.macs).toBe(piece.macs);
      }
      const cls = (await profileModelFile(zooModelPath(`${name}-classifier`))).profile.totals;
      expect(r.structure.classifier.params).toBe(cls.params);
    });
  }
});

describe('the written LCP model runs in onnxruntime-node', () => {
  it('lcp-original split in 4 gives [N,10] logits on real test images; the seed decides the weights', async () => {
    const ds = loadDataset('fashion-mnist-test', { limit: 16 });
    const input = float32Tensor([16, 1, 28, 28], ds.images);
    const run = async (seed: number) => {
      const r = lcpSplit(original, originalGraph, { branches: 4, seed });
      const s = await onnxruntimeBackend.load(encodeModel(r.model));
      const out = (await s.run({ input })).logits;
      await s.release();
      return { bytes: encodeModel(r.model), out };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a.out.dims).toEqual([16, 10]);
    const data = a.out.data as Float32Array;
    expect(data.every(Number.isFinite)).toBe(true);
    expect(new Set(Array.from(data.slice(0, 10)).map((v) => v.toFixed(5))).size).toBeGreaterThan(1);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(Array.from(c.out.data as Float32Array)).not.toEqual(Array.from(data));
  });

  it('a residual CNN: skips stay inside their branch, the 1x1 projection shortcut is divided, it runs', async () => {
    const m = resnet();
    const g = buildGraph(m, 'resnet8');
    const r = lcpSplit(m, g, { branches: 2 });
    expect(r.structure.branches).toHaveLength(2);
    const adds = r.graph.nodes.filter((n) => n.opType === 'Add');
    expect(adds).toHaveLength(6);
    for (const a of adds) {
      const branch = /^branch(\d+)\//.exec(a.outputs[0])![1];
      for (const i of a.inputs) expect(i.startsWith(`branch${branch}/`)).toBe(true);
    }
    const projections = (gr: Graph) =>
      gr.nodes
        .filter((n) => n.opType === 'Conv' && gr.initializers.get(n.inputs[1])!.dims[2] === 1)
        .map((n) => gr.initializers.get(n.inputs[1])!.dims);
    expect(projections(g)).toEqual([
      [32, 16, 1, 1],
      [64, 32, 1, 1],
    ]);
    expect(projections(r.graph).slice(0, 2)).toEqual([
      [16, 8, 1, 1],
      [32, 16, 1, 1],
    ]);
    const s = await onnxruntimeBackend.load(encodeModel(r.model));
    const out = await s.run({ input: float32Tensor([2, 1, 28, 28], new Float32Array(2 * 784).fill(0.5)) });
    await s.release();
    expect(out.logits.dims).toEqual([2, 10]);
  });
});

describe('depthwise convolutions follow their input width', () => {
  it('MobileNetV2 (32x32): every depthwise conv of a branch has group = its input channels', async () => {
    const m = mobilenetV2({ size: 32, classes: 10 });
    const r = lcpSplit(m, buildGraph(m, 'mobilenetv2'), { branches: 2 });
    const depthwise = r.graph.nodes.filter((n) => n.opType === 'Conv' && (n.attributes.group as number) > 1);
    expect(depthwise.length).toBe(2 * 17);
    for (const n of depthwise) {
      const cin = r.graph.values.get(n.inputs[0])!.shape[1];
      expect(n.attributes.group).toBe(cin);
      expect(r.graph.initializers.get(n.inputs[1])!.dims.slice(0, 2)).toEqual([cin, 1]);
    }
    const s = await onnxruntimeBackend.load(encodeModel(r.model));
    const out = await s.run({ input: float32Tensor([1, 3, 32, 32], new Float32Array(3 * 1024).fill(0.5)) });
    await s.release();
    expect(out.logits.dims).toEqual([1, 10]);
  });
});

describe('seed Table II: LeNet split into 2/4/8 branches', () => {
  const seedParams = [61.7e3, 31.5e3, 16.1e3, 8.8e3];
  const seedMacs = [61.5e3, 30.5e3, 16.0e3, 8.5e3];
  const m = lenet5();
  const g = buildGraph(m, 'lenet5');
  const rows = [1, 2, 4, 8].map((k) => lcpSplit(m, g, { branches: k }));
  it('params follow the seed rows within 5% (61,706 -> 31,466 -> 16,598 -> 8,834)', () => {
    expect(rows.map((r) => r.profile.totals.params)).toEqual([61706, 31466, 16598, 8834]);
    rows.forEach((r, i) => expect(Math.abs(r.profile.totals.params / seedParams[i] - 1)).toBeLessThan(0.05));
  });
  it("MACs do not: the first conv's MACs never shrink; the seed's MAC column is the weight count (docs/lcp.md)", () => {
    expect(rows.map((r) => r.profile.totals.macs)).toEqual([416520, 267480, 252160, 204800]);
    const weights = rows.map((r) =>
      r.graph.nodes
        .filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')
        .reduce((s, n) => s + r.graph.initializers.get(n.inputs[1])!.elements, 0),
    );
    expect(weights).toEqual([61470, 31230, 16360, 8600]);
    weights.forEach((w, i) => expect(Math.abs(w / seedMacs[i] - 1)).toBeLessThan(0.05));
    expect(Math.abs(rows[1].profile.totals.macs / seedMacs[1] / (416520 / seedMacs[0]) - 1)).toBeGreaterThan(
      0.05,
    );
  });
});

describe('splitting for a device (Procedure 1 loop)', () => {
  const [device] = parseDeviceEntries(
    {
      devices: [
        {
          id: 'tiny',
          name: 'tiny',
          kind: 'mcu',
          flashBytes: 1_000_000,
          sramBytes: 60_000,
          runtimeOverheadBytes: 0,
          clockHz: 1e8,
          macsPerS: 1e8,
          activePowerW: 0.1,
          idlePowerW: 0.01,
          sources: { all: 'test' },
        },
      ],
    },
    'test',
  );
  it('divides by the factor until one branch fits activations and the deadline', () => {
    const r = lcpSplit(original, originalGraph, { device });
    expect(r.fit!.steps.map((s) => [s.branches, s.fits])).toEqual([
      [1, false],
      [2, false],
      [4, true],
    ]);
    expect(r.branches).toBe(4);
    const slow = lcpSplit(original, originalGraph, { device, deadlineS: 1.5e-3 });
    expect(slow.branches).toBe(8);
    expect(slow.fit!.steps[2].computeS).toBeGreaterThan(1.5e-3);
  });
  it('says what does not fit when more branches stop helping', () => {
    const b = new ModelBuilder();
    const x = b.relu(b.conv(b.input('input', ['N', 1, 28, 28]), { out: 4, kernel: 3 }));
    b.output(b.gemm(b.flatten(x), { out: 10 }), 'logits');
    const m = b.build();
    const e = errorOf(() => lcpSplit(m, buildGraph(m, 'tiny-cnn'), { device, deadlineS: 1e-9 }));
    expect(e.code).toBe('E_INFEASIBLE');
    expect(e.message).toMatch(/no branch fits tiny \(branches stopped shrinking\); at 8 .*deadline 0\.00 ms/);
  });
});

describe('structures the splitter refuses name the node', () => {
  it('a side output (early exit) outside the feature extractor', async () => {
    const m = await loadModelFile(zooModelPath('ee-full'));
    const e = errorOf(() => lcpSplit(m, buildGraph(m, 'ee-full'), { branches: 2 }));
    expect(e.code).toBe('E_GRAPH');
    expect(e.message).toContain("node '/head1/head1.0/Conv' (Conv)");
  });
  it('a grouped convolution, a fixed Reshape, two inputs', () => {
    const grouped = new ModelBuilder();
    let x = grouped.conv(grouped.input('input', ['N', 1, 8, 8]), { out: 4, kernel: 3 });
    x = grouped.conv(x, { out: 4, kernel: 3, groups: 2 });
    grouped.output(grouped.gemm(grouped.flatten(x), { out: 10 }), 'logits');
    const gm = grouped.build();
    expect(errorOf(() => lcpSplit(gm, buildGraph(gm, 'g'), { branches: 2 })).message).toMatch(
      /node 'conv_2' \(Conv\): grouped convolution with 2 groups/,
    );
    const fixed = new ModelBuilder();
    x = fixed.conv(fixed.input('input', ['N', 1, 8, 8]), { out: 4, kernel: 3 });
    fixed.output(fixed.gemm(fixed.reshape(x, [-1, 256]), { out: 10 }), 'logits');
    const fm = fixed.build();
    expect(errorOf(() => lcpSplit(fm, buildGraph(fm, 'f'), { branches: 2 })).message).toMatch(
      /node 'reshape_1' \(Reshape\): it reshapes to the fixed shape \[-1,256\]/,
    );
    const two = new ModelBuilder();
    const a = two.conv(two.input('a', ['N', 1, 8, 8]), { out: 4, kernel: 3 });
    const b = two.conv(two.input('b', ['N', 1, 8, 8]), { out: 4, kernel: 3 });
    two.output(two.gemm(two.flatten(two.add(a, b)), { out: 10 }), 'logits');
    const tm = two.build();
    expect(errorOf(() => lcpSplit(tm, buildGraph(tm, 't'), { branches: 2 })).message).toMatch(
      /share one input/,
    );
  });
  it('rejects bad options', () => {
    expect(errorOf(() => lcpSplit(original, originalGraph, { branches: 0 })).code).toBe('E_USAGE');
    expect(errorOf(() => lcpSplit(original, originalGraph, { branches: 2, fattenPercent: 101 })).code).toBe(
      'E_USAGE',
    );
    expect(errorOf(() => lcpSplit(original, originalGraph, {})).message).toMatch(/exactly one/);
  });
});
