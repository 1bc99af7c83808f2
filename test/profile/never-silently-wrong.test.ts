import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/core/errors.js';
import { buildGraph } from '../../src/graph/build.js';
import { lenet5 } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import { profileGraph, requireKnownCosts } from '../../src/profile/index.js';
import { runCli } from '../helpers/cli.js';
import { customOpModel, dynamicLenet, EXAMPLE_MODELS } from '../helpers/example-models.js';
import { writeTempModel } from '../helpers/models.js';
import { f32, int, model, node, str, vi } from '../helpers/onnx-graph.js';

describe('dynamic input dims', () => {
  it('are refused with the input named and the fix given, unless --input-shape fixes them', () => {
    const m = dynamicLenet();
    expect(() => profileGraph(buildGraph(m, 'lenet.onnx'))).toThrow(
      "lenet.onnx: input 'input' [N,1,H,W] has dynamic dims H, W, so its costs are unknown; give its shape with --input-shape input=1x1x<H>x<W>",
    );
    // counting H and W as 1 gave 13,590 MACs; the real LeNet-5 on 32x32 has 416,520
    const fixed = profileGraph(buildGraph(m, 'lenet.onnx', { inputShapes: { input: [1, 1, 32, 32] } }));
    expect(fixed.totals.macs).toBe(416_520);
    const bare = profileGraph(buildGraph(m, 'lenet.onnx', { inputShapes: { '': [1, 1, 32, 32] } }));
    expect(bare.totals.macs).toBe(416_520);
  });

  it('a symbolic batch alone is fine (costs are per sample)', () => {
    expect(profileGraph(buildGraph(lenet5())).totals.macs).toBe(416_520);
  });

  it('--input-shape that contradicts the model, or names no input, is an error', () => {
    const m = dynamicLenet();
    const shape = (s: Record<string, number[]>) => () => buildGraph(m, 'l.onnx', { inputShapes: s });
    expect(shape({ input: [1, 3, 32, 32] })).toThrow(
      "l.onnx: --input-shape input=1x3x32x32 does not match the model's input [N,1,H,W]",
    );
    expect(shape({ input: [1, 32, 32] })).toThrow(/does not match/);
    expect(shape({ image: [1, 1, 32, 32] })).toThrow(
      "l.onnx: --input-shape names 'image', which is not a graph input (inputs: input)",
    );
  });

  it('CLI: profile refuses, then profiles with --input-shape; a bad spec is a usage error', () => {
    const path = writeTempModel(dynamicLenet());
    const refused = runCli(['profile', path]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^edgesplit: E_SHAPE: .*input 'input' \[N,1,H,W\] has dynamic dims H, W/);
    const ok = runCli(['profile', path, '--input-shape', 'input=1x1x32x32', '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).totals.macs).toBe(416_520);
    const split = ['split', path, '--node', 'esp32s3', '--hub', 'phone', '--link', 'ble', '--json'];
    expect(runCli(split).stderr).toMatch(/E_SHAPE: .*--input-shape input=1x1x<H>x<W>/);
    const fixed = runCli([...split, '--input-shape', '1x1x32x32']);
    expect(fixed.status, fixed.stderr).toBe(0);
    const cc = (JSON.parse(fixed.stdout) as { candidates: { ccMacs: number }[] }).candidates.map(
      (c) => c.ccMacs,
    );
    expect(Math.max(...cc)).toBe(416_520);
    const bad = runCli(['profile', path, '--input-shape', 'input=1x1x32xW']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--input-shape must look like name=1x3x224x224/);
  });
});

describe('shape mismatches against initializers', () => {
  it('a Gemm whose K differs from its weight is an error naming the node', () => {
    const m = model(
      [node('Gemm', ['x', 'w'], ['y'], [int('transB', 1)], 'fc')],
      [vi('x', ['N', 400])],
      [vi('y', ['N', 120])],
      [f32('w', [120, 300])],
    );
    expect(() => buildGraph(m, 'fc.onnx')).toThrow(
      "model 'fc.onnx', node 'fc' (Gemm): Gemm inner dims differ: 400 vs 300",
    );
  });

  it("a value_info that contradicts what the node's inputs give is an error", () => {
    const m = model(
      [node('Gemm', ['x', 'w'], ['y'], [int('transB', 1)], 'fc')],
      [vi('x', ['N', 400])],
      [vi('y', ['N', 84])],
      [f32('w', [120, 400])],
    );
    expect(() => buildGraph(m, 'fc.onnx')).toThrow(ShapeError);
    expect(() => buildGraph(m, 'fc.onnx')).toThrow(
      "the model declares 'y' as [N,84] but its inputs make it [N,120]",
    );
  });

  it('an LSTM whose W does not match hidden_size is an error', () => {
    const m = model(
      [node('LSTM', ['x', 'W', 'R'], ['y'], [int('hidden_size', 6), str('direction', 'forward')], 'lstm')],
      [vi('x', [3, 1, 4])],
      [vi('y', [3, 1, 1, 6])],
      [f32('W', [1, 20, 4]), f32('R', [1, 20, 5])],
    );
    expect(() => buildGraph(m, 'r.onnx')).toThrow(/LSTM weight W is \[1,20,4\] but hidden_size 6/);
  });
});

describe('ops whose cost is unknown', () => {
  it('are listed by name and count; the LSTM next to them now has its MACs', () => {
    const p = profileGraph(buildGraph(customOpModel(), 'custom.onnx'));
    expect(p.unknownOps).toEqual([{ op: 'com.acme.Mystery', count: 1, nodes: ['mystery'] }]);
    // LSTM: 3 steps x 4 gates x hidden 5 x (input 4 + hidden 5); before, 0 MACs
    expect(p.totals.macs).toBe(3 * 4 * 5 * (4 + 5));
    expect(() => requireKnownCosts(p, 'split')).toThrow(
      'custom.onnx: 1 node(s) have cost unknown (com.acme.Mystery x1), so split would count them as 0 MACs; pass --allow-unknown-ops to accept that',
    );
  });

  it('CLI: profile lists them (text and --json, exit 0); split and plan refuse unless --allow-unknown-ops', () => {
    const path = writeTempModel(customOpModel());
    const text = runCli(['profile', path]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/mystery\s+Mystery\s+\[3x4\]\s+\?/);
    expect(text.stdout).toMatch(
      /cost unknown: 1 node\(s\) \(com\.acme\.Mystery x1\) counted as 0 MACs and 0 ops, so the totals are lower bounds/,
    );
    const json = JSON.parse(runCli(['profile', path, '--json']).stdout);
    expect(json.unknownOps).toEqual([{ op: 'com.acme.Mystery', count: 1, nodes: ['mystery'] }]);
    expect(json.layers[0]).toMatchObject({ name: 'mystery', costKnown: false, macs: 0 });
    expect(json.layers[2]).toMatchObject({ name: 'lstm', costKnown: true, macs: 540 });

    const split = ['split', path, '--node', 'esp32s3', '--hub', 'phone', '--link', 'ble'];
    const refused = runCli(split);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /^edgesplit: E_UNSUPPORTED_OP: .*com\.acme\.Mystery x1.*--allow-unknown-ops/,
    );
    expect(runCli([...split, '--allow-unknown-ops', '--json']).status).toBe(0);

    const out = join(mkdtempSync(join(tmpdir(), 'edgesplit-plan-')), 'plan');
    const plan = ['plan', path, '--devices', 'esp32s3x2', '--link', 'ble-esp32s3', '--out', out];
    const planRefused = runCli(plan);
    expect(planRefused.status).toBe(1);
    expect(planRefused.stderr).toMatch(/E_UNSUPPORTED_OP: .*so plan would count them as 0 MACs/);
  });
});

describe("the README's examples in docs/examples", () => {
  it('are the bytes the builders make (scripts/write-example-models.ts), and profile as the README shows', () => {
    for (const [file, build] of Object.entries(EXAMPLE_MODELS))
      expect({ file, same: readFileSync(`docs/examples/${file}`).equals(encodeModel(build())) }).toEqual({
        file,
        same: true,
      });
    const custom = runCli(['profile', 'docs/examples/custom-lstm.onnx']);
    expect(custom.status).toBe(0);
    expect(custom.stdout).toMatch(/^total: 540 MACs, 195 other ops, 180 params/m);
    const dyn = runCli(['profile', 'docs/examples/lenet-dyn.onnx']);
    expect(dyn.status).toBe(1);
    expect(dyn.stderr).toMatch(/E_SHAPE: .*lenet-dyn\.onnx: input 'input' \[N,1,H,W\] has dynamic dims H, W/);
    const fixed = runCli(['profile', 'docs/examples/lenet-dyn.onnx', '--input-shape', 'input=1x1x32x32']);
    expect(fixed.stdout).toMatch(/^total: 416,520 MACs, 12,812 other ops, 61,706 params/m);
  });
});
