import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFile } from '../../src/onnx/io.js';
import { LCP_METADATA_KEY } from '../../src/strategy/lcp/index.js';
import { evaluateModel } from '../../src/zoo/evaluate.js';
import { LCP_ZOO_VARIANTS } from '../../src/zoo/lcp-table.js';
import { loadManifest, zooModel, zooModelPath } from '../../src/zoo/manifest.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'edgesplit-lcp-'));

describe('edgesplit lcp', () => {
  it('split --json writes the model and reports the counts and communication', async () => {
    const out = join(dir, 'split8-f40.onnx');
    const r = await runCliInProcess([
      'lcp',
      'split',
      'models/lcp-original.onnx',
      '--branches',
      '8',
      '--fatten',
      '40',
      '--out',
      out,
      '--json',
    ]);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.lcp.params).toBe(34634);
    expect(j.lcp.macs).toBe(1717208);
    expect(j.perBranch).toHaveLength(8);
    expect(j.communication.lcp.totalBytes).toBe(8 * 3136 + 8 * 44);
    expect(j.communication.lcp.totalBytes).toBeLessThan(j.communication.pipeline.totalBytes);
    const written = await loadModelFile(out);
    const meta = JSON.parse(written.metadataProps.find((p) => p.key === LCP_METADATA_KEY)!.value!);
    expect(meta).toMatchObject({ branches: 8, fattenPercent: 40 });
  });

  it('split prints the table; --device runs the loop', async () => {
    const r = await runCliInProcess([
      'lcp',
      'split',
      'models/lcp-original.onnx',
      '--device',
      'esp32',
      '--out',
      join(dir, 'esp32.onnx'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/fitting one branch on esp32/);
    expect(r.stdout).toMatch(/intra-layer output split \(Fig\. 4\)/);
  });

  it('usage errors are one line with exit code 2', async () => {
    const both = await runCliInProcess([
      'lcp',
      'split',
      'models/lcp-original.onnx',
      '--branches',
      '2',
      '--device',
      'esp32',
      '--out',
      join(dir, 'x.onnx'),
    ]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toBe('edgesplit: E_USAGE: give exactly one of --branches <n> or --device <id>\n');
    const fat = await runCliInProcess([
      'lcp',
      'split',
      'models/lcp-original.onnx',
      '--branches',
      '2',
      '--fatten',
      '150',
      '--out',
      join(dir, 'x.onnx'),
    ]);
    expect(fat.stderr).toMatch(/--fatten must be a percentage in 0\.\.100/);
    const notLcp = await runCliInProcess([
      'lcp',
      'compare',
      'models/local.onnx',
      '--original',
      'models/local.onnx',
    ]);
    expect(notLcp.exitCode).toBe(1);
    expect(notLcp.stderr).toMatch(/^edgesplit: E_GRAPH: .*not an LCP model at node '.*' \(Gemm\)/);
  });

  it('compare --json is labelled modelled and has every distribution', async () => {
    const r = await runCliInProcess([
      'lcp',
      'compare',
      'models/lcp-split4.onnx',
      '--original',
      'models/lcp-original.onnx',
      '--json',
    ]);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.modelled).toBe(true);
    expect(j.link).toBe('wifi-rpi3bplus');
    expect(j.devices).toHaveLength(4);
    expect(j.rows.map((x: { distribution: string }) => x.distribution)).toContain('intra-layer');
  });

  it('table measures every zoo variant through onnxruntime-node (first 1,000 test images here)', async () => {
    const r = await runCliInProcess(['lcp', 'table', '--limit', '1000', '--json']);
    expect(r.exitCode).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.samples).toBe(1000);
    const manifest = loadManifest();
    expect(t.rows.map((x: { model: string }) => x.model)).toEqual([...LCP_ZOO_VARIANTS]);
    for (const row of t.rows) expect(row.params).toBe(zooModel(row.model, manifest).params);
    const split2 = await evaluateModel(zooModelPath('lcp-split2', manifest), { limit: 1000 });
    expect(t.rows[1].accuracy).toBe(split2.accuracy);
    expect(t.rows[0].accuracy).toBeGreaterThan(t.rows[3].accuracy);
    const f40 = t.rows[5];
    expect(f40.fewerParams).toBeCloseTo(138506 / 34634, 10);
    expect(f40.fewerMacs).toBeCloseTo(5727360 / 1717208, 10);
    expect(f40.accuracyDeltaPoints).toBeCloseTo((f40.accuracy - t.rows[0].accuracy) * 100, 10);
  }, 60_000);
});
