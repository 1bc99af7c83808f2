import { describe, expect, it } from 'vitest';
import { hiAccuracyFromRates } from '../../src/strategy/hi/accounting.js';
import { checkEq2 } from '../../src/strategy/hi/plausibility.js';
import { runCli } from '../helpers/cli.js';

describe('Eq. (2) plausibility', () => {
  it("flags the docs example (0.9966 > the remote's 0.9877) and names --acc-remote with the break-even values", () => {
    const w = checkEq2(0.8691, 0.07, 0.9877, 0.2, true)!;
    expect(w.accuracy).toBeCloseTo(0.99664, 5);
    expect(w.implausible).toBe('acc-remote');
    // at the break-even values Eq. (2) equals the remote's accuracy exactly
    expect(hiAccuracyFromRates(0.8691, 0.07, w.maxRemoteOnOffloaded, 0.2)).toBeCloseTo(0.9877, 12);
    expect(hiAccuracyFromRates(0.8691, w.minFpFraction!, 0.9877, 0.2)).toBeCloseTo(0.9877, 12);
    expect(w.message).toMatch(/implausible input --acc-remote.*<= 0\.9430.*--fp-fraction >= 0\.0789/);
  });

  it('blames the defaulted --fp-fraction when it was not given, and stays silent when Eq. (2) is plausible', () => {
    expect(checkEq2(0.8691, 0, 0.9877, 0.125, false)!.implausible).toBe('fp-fraction');
    expect(checkEq2(0.8691, 0.07, 0.9877, 0.1, true)).toBeUndefined();
    expect(checkEq2(0.8691, 0, 0.9877, 0, true)).toBeUndefined();
  });

  it('`hi estimate` prints the warning under the table and lists it in --json', () => {
    const args = [
      'hi',
      'estimate',
      '--device',
      'jetson-orin-nano-15w',
      '--link',
      'wifi-jetson-orin-nano-15w',
    ];
    const rest = [
      '--model',
      'resnet8-cifar10',
      '--payload',
      'cifar10-offload-roundtrip',
      '--offload-fraction',
      '0.1,0.2',
    ];
    const rates = ['--acc-local', '0.8691', '--acc-remote', '0.9877', '--fp-fraction', '0.07'];
    const text = runCli([...args, ...rest, ...rates]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/warning: Eq\. \(2\) at offload 20\.0% predicts 0\.9966.*--acc-remote/);
    expect(text.stdout).not.toMatch(/offload 10\.0% predicts/);
    const json = runCli([...args, ...rest, ...rates, '--json']);
    const out = JSON.parse(json.stdout) as { warnings: { offloadFraction: number; implausible: string }[] };
    expect(out.warnings.map((w) => [w.offloadFraction, w.implausible])).toEqual([[0.2, 'acc-remote']]);
    expect(json.stderr).toMatch(/warning: Eq\. \(2\)/);
  });
});
