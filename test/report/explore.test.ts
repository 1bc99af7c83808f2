import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getDevice, getLink } from '../../src/catalog/index.js';
import {
  layerChartSpec,
  paretoChartSpec,
  pointsCsv,
  renderSvg,
  writeExploreReport,
} from '../../src/report/index.js';
import { exploreSplits, paretoFront } from '../../src/strategy/split/index.js';
import { chainProfile } from '../cost/chain-profile.js';

const profile = chainProfile('toy', 1000, [
  { name: 'enc', macs: 1e6, outElements: 400, params: 100 },
  { name: 'latent, "q"', macs: 1e4, outElements: 10, params: 50 },
  { name: 'dec', macs: 1e7, outElements: 1000, params: 500 },
]);
const nodes = [getDevice('distnn-asic-65nm'), getDevice('esp32s3')];
const links = [getLink('hbc'), getLink('ble'), getLink('lora')];
const hub = getDevice('phone');

describe('paretoFront', () => {
  it('keeps exactly the non-dominated points', () => {
    const pts = [
      { x: 1, y: 5 },
      { x: 2, y: 3 },
      { x: 3, y: 4 },
      { x: 4, y: 1 },
      { x: 2, y: 3 },
      { x: 5, y: 1 },
    ];
    expect(paretoFront(pts)).toEqual([0, 1, 3]);
  });
});

describe('exploreSplits', () => {
  const progress: number[] = [];
  const r = exploreSplits(profile, {
    nodes,
    links,
    bits: [8, 16],
    hub,
    weightBits: 8,
    onProgress: (d) => progress.push(d),
  });

  it('has one point per cut and configuration, one chosen per configuration', () => {
    expect(r.configs).toHaveLength(12);
    expect(r.points).toHaveLength(12 * 4);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const c of r.configs) {
      const chosen = r.points.filter(
        (p) => p.node === c.node && p.link === c.link && p.bits === c.bits && p.chosen,
      );
      expect(chosen).toHaveLength(1);
      expect(chosen[0].cut).toBe(c.best.cut);
    }
  });

  it('marks as Pareto exactly the feasible points no other feasible point dominates', () => {
    const feasible = r.points.filter((p) => p.fits);
    for (const p of feasible) {
      const dominated = feasible.some(
        (q) =>
          q !== p &&
          q.latencyS <= p.latencyS &&
          q.nodeEnergyJ <= p.nodeEnergyJ &&
          (q.latencyS < p.latencyS || q.nodeEnergyJ < p.nodeEnergyJ),
      );
      if (p.pareto) expect(dominated).toBe(false);
      else if (!dominated)
        expect(
          feasible.some((q) => q.pareto && q.latencyS === p.latencyS && q.nodeEnergyJ === p.nodeEnergyJ),
        ).toBe(true);
    }
    expect(r.points.some((p) => p.pareto)).toBe(true);
  });

  it('rejects empty sweeps', () => {
    expect(() => exploreSplits(profile, { nodes: [], links, bits: [8], hub })).toThrow(/at least one node/);
  });

  it('writes CSV with a header, one row per point and quoted names', () => {
    const csv = pointsCsv(r.points);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^node,link,bits,cut,after,/);
    expect(lines).toHaveLength(r.points.length + 1);
    expect(csv).toContain('"latent, ""q"""');
  });

  it('renders charts to SVG in Node and marks the chosen cut', async () => {
    const bleConfig = r.configs[2];
    expect([bleConfig.node, bleConfig.link, bleConfig.bits, bleConfig.best.cut]).toEqual([
      'distnn-asic-65nm',
      'ble',
      8,
      2,
    ]);
    const spec = layerChartSpec(profile, bleConfig);
    const values = (spec as unknown as { data: { values: { side: string; layer: string }[] } }).data.values;
    expect(values.filter((v) => v.side.startsWith('chosen'))).toEqual([
      expect.objectContaining({ layer: `1 latent, "q"` }),
    ]);
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('CC (MACs)');
    expect(paretoChartSpec(r).sampled).toBe(false);
  });

  it('writes a self-contained HTML report with CSV and JSON next to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesplit-report-'));
    const files = await writeExploreReport({
      htmlPath: join(dir, 'r.html'),
      modelPath: 'toy.onnx',
      profile,
      result: r,
      nodes,
      links,
      hub,
      generatedAt: 'test',
    });
    expect(files.csv).toBe(join(dir, 'r.csv'));
    const html = readFileSync(files.html, 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(3);
    expect(html).not.toMatch(/<script|<link |src=|@import|url\(http/i);
    expect(html).toContain('href="r.csv"');
    expect(html).toContain('DistNN seed Table III');
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as {
      points: unknown[];
      chosen: { cut: string | null }[];
    };
    expect(json.points).toHaveLength(r.points.length);
    expect(json.chosen[0].cut).toBeNull();
    expect(json.chosen[2].cut).toBe('latent, "q"');
    expect(readFileSync(files.csv, 'utf8').trimEnd().split('\n')).toHaveLength(r.points.length + 1);
  });
});
