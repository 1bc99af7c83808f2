import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lenet5, resnet } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import { onnx } from '../../src/onnx/proto.js';
import { runCli } from '../helpers/cli.js';
import { writeTempModel } from '../helpers/models.js';

describe('edgesplit profile', () => {
  it('--json has totals and per-layer fields', () => {
    const path = writeTempModel(lenet5());
    const r = runCli(['profile', path, '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.totals.params).toBe(61706);
    expect(out.totals.macs).toBe(416520);
    expect(Number.isInteger(out.totals.weightBytes)).toBe(true);
    expect(out.layers[0]).toMatchObject({
      name: 'conv_1',
      op: 'Conv',
      outputShape: [1, 6, 28, 28],
      macs: 117600,
      params: 156,
      outputBytes: 6 * 28 * 28 * 4,
    });
  });

  it('prints a readable table with totals and honours --bits', () => {
    const path = writeTempModel(resnet());
    const r = runCli(['profile', path, '--bits', '8', '--cuts']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/DV bytes@8b/);
    expect(r.stdout).toMatch(/total: [\d,]+ MACs/);
    expect(r.stdout).toMatch(/live tensors/);
  });

  it('fails with one clear line for a missing file, non-ONNX bytes, truncation and an unsupported op', () => {
    const dir = dirname(writeTempModel(lenet5()));
    const notOnnx = join(dir, 'text.onnx');
    writeFileSync(notOnnx, 'hello, this is not a model');
    const truncated = join(dir, 'trunc.onnx');
    const bytes = encodeModel(lenet5());
    writeFileSync(truncated, bytes.slice(0, bytes.length - 1000));
    const unsupported = join(dir, 'unsup.onnx');
    writeFileSync(
      unsupported,
      encodeModel(
        onnx.ModelProto.create({
          irVersion: 8,
          opsetImport: [{ domain: '', version: 13 }],
          graph: {
            name: 'g',
            node: [{ opType: 'Mystery', name: 'm1', input: ['x'], output: ['y'] }],
            input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
            output: [{ name: 'y' }],
          },
        }),
      ),
    );
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.onnx'), /missing\.onnx: cannot read model file/],
      [notOnnx, /text\.onnx: not a valid ONNX model/],
      [truncated, /trunc\.onnx: not a valid ONNX model/],
      [unsupported, /node 'm1' \(Mystery\): op Mystery is not supported/],
    ];
    for (const [file, pattern] of cases) {
      const r = runCli(['profile', file]);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
  });

  it('rejects a bad --bits value as a usage error', () => {
    const r = runCli(['profile', writeTempModel(lenet5()), '--bits', 'eight']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--bits must be a positive integer/);
  });
});
