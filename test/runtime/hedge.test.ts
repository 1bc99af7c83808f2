import { describe, expect, it } from 'vitest';
import { firstSuccess, hedgeTargets } from '../../src/runtime/hedge.js';

describe('hedged sends (pure)', () => {
  it('skips a replica with more than the window of sends waiting, unless every replica has', () => {
    const pending = new Map([
      ['a', 3],
      ['b', 9],
      ['c', 8],
    ]);
    expect(hedgeTargets(['a', 'b', 'c'], (r) => pending.get(r)!, 8)).toEqual(['a', 'c']);
    expect(hedgeTargets(['b'], (r) => pending.get(r)!, 8)).toEqual(['b']);
  });

  it('resolves at the first success, and false only when every send failed', async () => {
    // a stopped replica's send never settles: the first success must not wait for it
    const never = new Promise<boolean>(() => undefined);
    expect(await firstSuccess([Promise.resolve(false), Promise.resolve(true), never])).toBe(true);
    expect(await firstSuccess([Promise.resolve(false), Promise.reject(new Error('x'))])).toBe(false);
    expect(await firstSuccess([])).toBe(false);
  });
});
