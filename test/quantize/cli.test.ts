import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/io.js';
import { QUANTIZE_METADATA_KEY } from '../../src/strategy/quantize/index.js';
import { runCliInProcess as runCli } from '../helpers/cli-in-process.js';

describe('edgesplit quantize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-quantize-'));

  it('quantises only the node side of a cut and records it; eval measures the result as its zoo model', async () => {
    const out = join(dir, 'ae-node.onnx');
    const r = await runCli([
      'quantize',
      'ae',
      '--weights',
      'q1.8',
      '--activations',
      'int8',
      '--calibrate',
      'fashion-mnist-calib',
      '--calibrate-limit',
      '200',
      '--node-cut',
      '6',
      '--out',
      out,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout);
    expect(rec.nodeCut).toBe(6);
    expect(rec.calibration).toMatchObject({ dataset: 'fashion-mnist-calib', images: 200, method: 'minmax' });
    // two encoder convolutions and the latent Gemm are node side; the decoder keeps float weights
    expect(rec.tensors.filter((t: { role: string }) => t.role === 'weight')).toHaveLength(3);
    const meta = decodeModel(readFileSync(out)).metadataProps.find((m) => m.key === QUANTIZE_METADATA_KEY);
    expect(JSON.parse(meta!.value!).weights).toBe('q1.8');
    const ev = await runCli(['eval', out, '--limit', '100', '--json']);
    expect(ev.exitCode, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout);
    expect(e.zooModel).toBe('ae');
    expect(e.ssim).toBeGreaterThan(0.7);
  }, 120_000);

  it('rejects an unknown format and a bad cut with one line naming them', async () => {
    const bad = await runCli(['quantize', 'ae', '--weights', 'q9.x', '--out', join(dir, 'x.onnx')]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/--weights: unknown number format 'q9.x'; known formats: fp32/);
    const cut = await runCli([
      'quantize',
      'ae',
      '--weights',
      'q1.8',
      '--activations',
      'fp32',
      '--node-cut',
      'nope',
      '--out',
      join(dir, 'y.onnx'),
    ]);
    expect(cut.exitCode).not.toBe(0);
    expect(cut.stderr).toMatch(/--node-cut 'nope' is neither a cut index 0..14 nor a node name/);
  });
});
