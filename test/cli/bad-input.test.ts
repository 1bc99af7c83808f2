import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('bad input on the command line', () => {
  it('a file system error no command wrapped is still one E_IO line naming the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesplit-bad-'));
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'not a directory');
    const r = runCli(['export', 'triton', 'models/local.onnx', '--out', join(plain, 'repo')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^edgesplit: E_IO: ENOTDIR: .*plain/);
  });

  it('time scales and timer lengths have explicit limits instead of silently wrong runs', () => {
    const slow = runCli(['node', '--listen', '127.0.0.1:0', '--time-scale', '1e-9']);
    expect(slow.status).toBe(2);
    expect(slow.stderr).toMatch(/E_USAGE: --time-scale must be a number from 0.001 to 1000000, got '1e-9'/);
    const typo = runCli(['node', '--listen', '127.0.0.1:0', '--time-scale', 'abc']);
    expect(typo.stderr).toMatch(/got 'abc'/);
    const delay = runCli(['serve', 'models/local.onnx', '--port', '0', '--max-delay-ms', '99999999999']);
    expect(delay.status).toBe(2);
    expect(delay.stderr).toMatch(/E_USAGE: --max-delay-ms must be at most 2147483647 ms/);
  });

  it('split --measured-model names a measurement the catalog has, or says which exist', () => {
    const args = ['split', 'models/remote.onnx', '--hub', 'phone', '--link', 'ble'];
    const none = runCli([...args, '--node', 'esp32', '--measured-model', 'nosuch']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(
      /E_USAGE: --measured-model nosuch: neither esp32 nor phone has a catalog measurement of that model \(measured: resnet8-cifar10\)/,
    );
    expect(runCli([...args, '--node', 'esp32', '--measured-model', 'resnet8-cifar10']).status).toBe(0);
  });
});
