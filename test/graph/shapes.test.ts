import { describe, expect, it } from 'vitest';
import { EdgesplitError } from '../../src/core/errors.js';
import { buildGraph } from '../../src/graph/build.js';
import { f32, i64, int, ints, model, node, vi } from '../helpers/onnx-graph.js';

describe('shape inference', () => {
  it("follows torch's Shape/Gather/Unsqueeze/Concat/Reshape flatten with a dynamic batch", () => {
    const m = model(
      [
        node(
          'Conv',
          ['x', 'w'],
          ['c'],
          [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])],
        ),
        node('Shape', ['c'], ['s']),
        node(
          'Constant',
          [],
          ['zero'],
          [{ name: 'value', type: 4, t: { dims: [], dataType: 7, int64Data: [0] } }],
        ),
        node('Gather', ['s', 'zero'], ['n'], [int('axis', 0)]),
        node('Unsqueeze', ['n', 'ax'], ['n1']),
        node('Concat', ['n1', 'minus1'], ['target'], [int('axis', 0)]),
        node('Reshape', ['c', 'target'], ['flat']),
        node('MatMul', ['flat', 'fc'], ['y']),
      ],
      [vi('x', ['batch', 3, 32, 32])],
      [vi('y', ['batch', 10])],
      [f32('w', [8, 3, 3, 3]), i64('ax', [0]), i64('minus1', [-1]), f32('fc', [8 * 16 * 16, 10])],
    );
    const g = buildGraph(m, 'torch-like');
    expect(g.values.get('c')!.shape).toEqual(['batch', 8, 16, 16]);
    expect(g.constants.get('target')).toEqual(['batch', -1]);
    expect(g.values.get('flat')!.shape).toEqual(['batch', 2048]);
    expect(g.values.get('y')!.shape).toEqual(['batch', 10]);
    // the shape chain depends on the input, so it is not static
    expect(g.staticTensors.has('target')).toBe(false);
    expect(g.staticTensors.has('ax')).toBe(true);
  });

  it('handles pooling with ceil mode, ConvTranspose, Split, Slice, Pad, Resize, Transpose, Squeeze', () => {
    const m = model(
      [
        node(
          'MaxPool',
          ['x'],
          ['p'],
          [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('ceil_mode', 1)],
        ),
        node(
          'ConvTranspose',
          ['p', 'wt'],
          ['u'],
          [ints('kernel_shape', [4, 4]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])],
        ),
        node('Split', ['u', 'sizes'], ['a', 'b'], [int('axis', 1)]),
        node('Slice', ['a', 'st', 'en', 'axs'], ['sl']),
        node('Pad', ['sl', 'pads'], ['pd']),
        node('Resize', ['pd', '', 'scales'], ['rs']),
        node('Transpose', ['rs'], ['tr'], [ints('perm', [0, 2, 3, 1])]),
        node('GlobalAveragePool', ['b'], ['gp']),
        node('Squeeze', ['gp', 'sq'], ['sqz']),
      ],
      [vi('x', [1, 4, 15, 15])],
      [vi('tr', [1, 28, 32, 2]), vi('sqz', [1, 6])],
      [
        f32('wt', [4, 8, 4, 4]),
        i64('sizes', [2, 6]),
        i64('st', [1]),
        i64('en', [-1]),
        i64('axs', [2]),
        i64('pads', [0, 0, 1, 1, 0, 0, 1, 1]),
        { name: 'scales', dims: [4], dataType: 1, floatData: [1, 1, 2, 2] },
        i64('sq', [2, 3]),
      ],
    );
    const g = buildGraph(m);
    expect(g.values.get('p')!.shape).toEqual([1, 4, 7, 7]);
    expect(g.values.get('u')!.shape).toEqual([1, 8, 14, 14]);
    expect(g.values.get('a')!.shape).toEqual([1, 2, 14, 14]);
    expect(g.values.get('b')!.shape).toEqual([1, 6, 14, 14]);
    expect(g.values.get('sl')!.shape).toEqual([1, 2, 12, 14]);
    expect(g.values.get('pd')!.shape).toEqual([1, 2, 14, 16]);
    expect(g.values.get('rs')!.shape).toEqual([1, 2, 28, 32]);
    expect(g.values.get('tr')!.shape).toEqual([1, 28, 32, 2]);
    expect(g.values.get('sqz')!.shape).toEqual([1, 6]);
  });

  it('names op, node and model for an op it cannot infer, and uses value_info when present', () => {
    const nodes = [node('Relu', ['x'], ['r']), { ...node('FancyOp', ['r'], ['y']), domain: 'com.example' }];
    const without = model(nodes, [vi('x', [1, 8])], [{ name: 'y' }]);
    expect(() => buildGraph(without, 'fancy.onnx')).toThrow(EdgesplitError);
    expect(() => buildGraph(without, 'fancy.onnx')).toThrow(
      /model 'fancy\.onnx', node 'y' \(FancyOp\): op com\.example\.FancyOp is not supported/,
    );
    const withInfo = model(nodes, [vi('x', [1, 8])], [vi('y', [1, 4])]);
    expect(buildGraph(withInfo).values.get('y')!.shape).toEqual([1, 4]);
  });

  it('reports a shape mismatch with the node', () => {
    const m = model([node('Add', ['x', 'z'], ['y'])], [vi('x', [1, 3]), vi('z', [1, 4])], [vi('y', [1, 3])]);
    expect(() => buildGraph(m, 'bad.onnx')).toThrow(/node 'y' \(Add\).*do not broadcast/);
  });

  it('sorts nodes topologically and reports dangling inputs and cycles', () => {
    const unordered = model(
      [node('Relu', ['r'], ['y']), node('Relu', ['x'], ['r'])],
      [vi('x', [2])],
      [vi('y', [2])],
    );
    expect(buildGraph(unordered).nodes.map((n) => n.name)).toEqual(['r', 'y']);
    const dangling = model([node('Relu', ['missing'], ['y'])], [vi('x', [2])], [vi('y', [2])]);
    expect(() => buildGraph(dangling, 'd.onnx')).toThrow(/d\.onnx: node 'y' \(Relu\) reads 'missing'/);
    const cycle = model(
      [node('Relu', ['b'], ['a']), node('Relu', ['a'], ['b'])],
      [vi('x', [2])],
      [vi('a', [2])],
    );
    expect(() => buildGraph(cycle, 'c.onnx')).toThrow(/cycle/);
  });
});
