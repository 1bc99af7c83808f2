import { describe, expect, it } from 'vitest';
import { stageDag } from '../../src/plan/dag.js';
import { stageRoutes, entryStages, type RuntimePlan } from '../../src/runtime/routes.js';

const st = (id: string, inputs: string[], outputs: string[]) => ({ id, inputs, outputs });

describe('stageDag', () => {
  it('orders a scatter/gather DAG and groups its edges by (from, to)', () => {
    const dag = stageDag(
      [st('gather', ['a', 'b'], ['y']), st('A', ['x'], ['a']), st('B', ['x'], ['b'])],
      ['x'],
      ['y'],
      'p.json',
    );
    expect(dag.order.indexOf(0)).toBeGreaterThan(dag.order.indexOf(1));
    expect(dag.order.indexOf(0)).toBeGreaterThan(dag.order.indexOf(2));
    expect(dag.edges).toEqual(
      expect.arrayContaining([
        { from: 'coordinator', to: 1, tensors: ['x'] },
        { from: 'coordinator', to: 2, tensors: ['x'] },
        { from: 1, to: 0, tensors: ['a'] },
        { from: 2, to: 0, tensors: ['b'] },
        { from: 0, to: 'coordinator', tensors: ['y'] },
      ]),
    );
  });

  it('refuses a cycle, naming its stages', () => {
    expect(() =>
      stageDag(
        [st('A', ['x', 'c'], ['a']), st('B', ['a'], ['b']), st('C', ['b'], ['c', 'y'])],
        ['x'],
        ['y'],
        'p.json',
      ),
    ).toThrow(/p\.json: stages form a cycle: A -> B -> C -> A/);
  });

  it('refuses a dangling tensor, naming it and its reader', () => {
    expect(() => stageDag([st('A', ['x', 'ghost'], ['y'])], ['x'], ['y'], 'p.json')).toThrow(
      /dangling tensor 'ghost': stage A reads it/,
    );
    expect(() => stageDag([st('A', ['x'], ['a'])], ['x'], ['y'], 'p.json')).toThrow(
      /dangling tensor 'y': graph output produced by no stage/,
    );
  });

  it('refuses a tensor produced twice', () => {
    expect(() => stageDag([st('A', ['x'], ['a']), st('B', ['x'], ['a', 'y'])], ['x'], ['y'], 'p')).toThrow(
      /tensor 'a' is produced by both stage A and stage B/,
    );
  });
});

describe('stageRoutes on a DAG plan', () => {
  const t = (name: string) => ({ name, dtype: 'float32' as const, shape: ['N', 4], wire: 'fp32' as const });
  const dev = (name: string) => [{ name }];
  const plan: RuntimePlan = {
    dir: '/p',
    topology: 'dag',
    graphInputs: [t('x')],
    graphOutputs: ['y'],
    stages: [
      { id: 'A', modelPath: 'a', inputs: [t('x')], outputs: [t('a')], devices: dev('d0') },
      { id: 'B', modelPath: 'b', inputs: [t('x')], outputs: [t('b')], devices: dev('d1') },
      { id: 'G', modelPath: 'g', inputs: [t('a'), t('b')], outputs: [t('y')], devices: dev('d2') },
    ],
  };

  it('scatters the input to both branches and gathers both at G', () => {
    const r = stageRoutes(plan);
    expect(entryStages(r)).toEqual([0, 1]);
    expect(r[0].fanout).toEqual([{ to: 2, sends: [{ name: 'a', wire: 'fp32' }] }]);
    expect(r[2].expects).toEqual(['a', 'b']);
    expect(r[2].fanout).toEqual([{ to: 'coordinator', sends: [{ name: 'y', wire: 'fp32' }] }]);
  });

  it('the same stages as a chain forward everything through each stage instead', () => {
    const r = stageRoutes({ ...plan, topology: 'chain' });
    expect(entryStages(r)).toEqual([0]);
    expect(r[0].sends.map((s) => s.name).sort()).toEqual(['a', 'x']);
  });
});
