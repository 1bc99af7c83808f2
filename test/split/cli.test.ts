import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { buildGraph } from '../../src/graph/build.js';
import { convAutoencoder } from '../../src/graph/builder/architectures.js';
import { saveModelFile } from '../../src/onnx/io.js';
import { profileGraph } from '../../src/profile/index.js';

const dir = mkdtempSync(join(tmpdir(), 'edgesplit-split-cli-'));
const aePath = join(dir, 'ae.onnx');

const run = runCliInProcess;

beforeAll(async () => {
  await saveModelFile(aePath, convAutoencoder());
});

describe('edgesplit split', () => {
  it('prints the latent dense layer as best.cut for BLE in --json', async () => {
    const r = await run([
      'split',
      aePath,
      '--node',
      'distnn-asic-65nm',
      '--hub',
      'phone',
      '--link',
      'ble',
      '--bits',
      '8',
      '--json',
    ]);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as {
      best: {
        cut: string;
        cutIndex: number;
        nodeEnergyJ: number;
        bits: number;
        payloadBytes: number;
        packets: number;
      };
      candidates: { cutIndex: number; energyRank: number }[];
      conditions: { id: string; verdict: string }[];
    };
    const profile = profileGraph(buildGraph(convAutoencoder()), { activationBits: 8 });
    const latent = profile.nodes
      .filter((n) => n.op === 'Gemm')
      .reduce((a, b) => (b.outputElements < a.outputElements ? b : a));
    expect(j.best.cut).toBe(latent.name);
    expect(j.best.cutIndex).toBe(latent.index + 1);
    expect(j.best.bits).toBe((j.best.payloadBytes + 3 * j.best.packets) * 8);
    expect(j.best.payloadBytes).toBe(latent.outputElements);
    expect(j.best.nodeEnergyJ).toBeGreaterThan(0);
    expect(j.candidates).toHaveLength(profile.cuts.length);
    expect(j.candidates[0].energyRank).toBe(1);
    expect(j.conditions.map((c) => c.id)).toEqual([
      'node-vs-hub',
      'split-vs-all-on-node',
      'comm-vs-saved-compute',
    ]);
  });

  it('prints a readable table with the chosen cut and verdicts', async () => {
    const r = await run(['split', aePath, '--node', 'distnn-asic-65nm', '--hub', 'phone', '--link', 'lora']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/chosen: cut \d+ after gemm/);
    expect(r.stdout).toMatch(/\[(holds|weak|fails)\] E_node << E_hub/);
  });

  it('names the known links for an unknown link and fails with exit code 1', async () => {
    const r = await run(['split', aePath, '--node', 'esp32s3', '--hub', 'phone', '--link', 'pigeon']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('E_CATALOG: unknown link "pigeon"; known links: backscatter, ble');
  });

  it('rejects a bad --bits value as a usage error', async () => {
    const r = await run([
      'split',
      aePath,
      '--node',
      'esp32s3',
      '--hub',
      'phone',
      '--link',
      'ble',
      '--bits',
      '0',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--bits');
  });
});

describe('edgesplit explore', () => {
  it('writes the report, CSV and JSON and prints the Pareto front', async () => {
    const out = join(dir, 'report.html');
    const r = await run([
      'explore',
      aePath,
      '--nodes',
      'distnn-asic-65nm,esp32s3',
      '--links',
      'hbc,ble',
      '--bits',
      '8,16',
      '--out',
      out,
      '--json',
    ]);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as {
      configurations: number;
      points: number;
      pareto: unknown[];
      files: { csv: string; json: string };
    };
    expect(j.configurations).toBe(8);
    expect(j.pareto.length).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(j.files.csv, 'utf8').trimEnd().split('\n')).toHaveLength(j.points + 1);
    expect(r.stderr).toContain('explore: 8 configurations');
  });
});
