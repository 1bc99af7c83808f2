import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { identityAutoencoder, tempModelDir, writeTinyModel } from './tiny-models.js';

const dir = tempModelDir();

const runCli = runCliInProcess;

afterEach(() => {
  process.exitCode = 0;
});

describe('edgesplit eval', () => {
  it('--json prints samples, ssim and throughput, and no progress bar', async () => {
    const r = await runCli(['eval', identityAutoencoder(dir), '--limit', '300', '--batch', '128', '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      samples: 300,
      task: 'reconstruction',
      dataset: 'fashion-mnist-test',
      batchSize: 128,
    });
    expect(json.ssim).toBeCloseTo(1, 10);
    expect(json.throughputPerS).toBeGreaterThan(0);
  });

  it('prints a readable table', async () => {
    const r = await runCli(['eval', identityAutoencoder(dir), '--limit', '50']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^quantity\s+value\n/);
    expect(r.stdout).toMatch(/ssim \(recon\)\s+1\.0000/);
    expect(r.stdout).toMatch(/samples\s+50\n/);
  });

  it('fails with one clear line for a wrong input shape, a bad option or a missing file', async () => {
    const feat = writeTinyModel(dir, 'feat3.onnx', {
      inputs: [['x', ['N', 3, 28, 28]]],
      outputs: [['y', ['N', 3, 28, 28]]],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    const bad = await runCli(['eval', feat]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(
      /^edgesplit: E_USAGE: .*feat3\.onnx: input 'x' has shape \[N,3,28,28\]; eval feeds fashion-mnist-test images of shape \[N,1,28,28\]\n$/,
    );
    const limit = await runCli(['eval', feat, '--limit', '-3']);
    expect(limit.stderr).toMatch(/--limit must be an integer/);
    const data = await runCli(['eval', feat, '--data', 'cifar10']);
    expect(data.stderr).toMatch(
      /unknown dataset 'cifar10'; known datasets: fashion-mnist-test, fashion-mnist-calib, fashion-mnist-train/,
    );
    const missing = await runCli(['eval', `${dir}/none.onnx`]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/E_IO: .*none\.onnx: no such model file/);
  });
});
