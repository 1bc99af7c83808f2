import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/graph/builder/builder.js';
import { runCliInProcess as runCli } from '../helpers/cli-in-process.js';
import { writeTempModel } from '../helpers/models.js';

interface Row {
  arrangement: string;
  input: number[];
  energyJ: number;
  powerW: number;
  latencyS: number;
  printed: { latencyMs: string };
}
const table = JSON.parse(
  readFileSync(new URL('../../src/cost/data/distnn-table-iv.json', import.meta.url), 'utf8'),
) as {
  rows: Row[];
};

/** The node layers of DistNN AE1 as Table IV lists them (pools between them give the next layer's input). */
function tableIvModel(): string {
  const b = new ModelBuilder({ name: 'table-iv', seed: 3 });
  let x = b.input('input', [1, 3, 128, 128]);
  x = b.conv(x, { out: 128, kernel: 5, stride: 2, pad: 2 });
  x = b.maxPool(x, { kernel: 2, stride: 2 });
  x = b.conv(x, { out: 64, kernel: 3, stride: 2, pad: 1 });
  x = b.maxPool(x, { kernel: 2, stride: 2 });
  x = b.conv(x, { out: 32, kernel: 3, stride: 2, pad: 1 });
  b.output(x);
  return writeTempModel(b.build());
}

/** Within 5% of the printed value plus half a unit of its last printed digit (0.01 ms prints 5.12 us). */
function close(got: number, want: number, printed?: string): void {
  const digits = printed?.includes('.') ? printed.split('.')[1].length : 0;
  const halfUnit = printed ? 0.5 * 10 ** -digits * 1e-3 : 0;
  expect(Math.abs(got - want)).toBeLessThanOrEqual(0.05 * want + halfUnit);
}

describe('split on the DistNN ASIC uses the hardware MAC model (Table IV through split)', () => {
  const model = tableIvModel();
  for (const arrangement of ['kxk-parallel', 'k-parallel']) {
    it(`reproduces Table IV's ${arrangement} rows per layer within 5%`, async () => {
      const r = await runCli([
        'split',
        model,
        '--node',
        'distnn-asic-65nm',
        '--hub',
        'phone',
        '--link',
        'ble',
        '--memory-overhead',
        '0',
        '--mac-arrangement',
        arrangement,
        '--all',
        '--json',
      ]);
      expect(r.exitCode, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      const all = doc.baselines.allOnNode;
      expect(all.macUnit.arrangement).toBe(arrangement);
      const convs = all.nodeLayers.filter((l: { op: string }) => l.op === 'Conv');
      const rows = table.rows.filter((x) => x.arrangement === arrangement);
      expect(convs).toHaveLength(3);
      convs.forEach((l: { energyJ: number; powerW: number; latencyS: number }, i: number) => {
        close(l.energyJ, rows[i].energyJ);
        close(l.powerW, rows[i].powerW);
        close(l.latencyS, rows[i].latencyS, rows[i].printed.latencyMs);
      });
    });
  }

  it('the default 0.8 memory overhead is 1.8x the table, and wider operands cost more', async () => {
    const base = ['split', model, '--node', 'distnn-asic-65nm', '--hub', 'phone', '--link', 'ble', '--json'];
    const at = async (...extra: string[]) =>
      JSON.parse((await runCli([...base, ...extra])).stdout).baselines.allOnNode.nodeLayers[0]
        .energyJ as number;
    const plain = await at('--memory-overhead', '0');
    expect((await at()) / plain).toBeCloseTo(1.8, 6);
    // product law: 16-bit feature maps with 10-bit weights cost 2x the 8-bit reference
    expect((await at('--memory-overhead', '0', '--bits', '16')) / plain).toBeCloseTo(2, 6);
  });
});
