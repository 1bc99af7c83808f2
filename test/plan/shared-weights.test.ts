/**
 * Issue 12 row 2: a weight read by nodes in two stages is held (and charged) by both, so the plan
 * fits the devices the written stage models actually need.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/onnx/io.js';
import { onnx, type ModelProto } from '../../src/onnx/proto.js';
import { planModelFile } from '../../src/plan/index.js';
import { expectStageModelsFit, readPipelinePlan } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'edgesplit-shared-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** x -> Gemm(W1) -> Relu -> Gemm(W2) -> Relu -> Gemm(W1 again, through an Identity alias) -> Relu. */
function tiedModel(): ModelProto {
  const k = 192;
  const weight = (name: string, seed: number) => {
    const raw = new Float32Array(k * k).map((_, i) => Math.sin(i * seed) * 0.05);
    return { name, dims: [k, k], dataType: 1, rawData: new Uint8Array(raw.buffer) };
  };
  const io = (name: string) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: k }] } } },
  });
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tied',
      input: [io('x')],
      output: [io('y')],
      initializer: [weight('W1', 1), weight('W2', 2)],
      node: [
        { name: 'g1', opType: 'Gemm', input: ['x', 'W1'], output: ['a1'] },
        { name: 'r1', opType: 'Relu', input: ['a1'], output: ['b1'] },
        { name: 'g2', opType: 'Gemm', input: ['b1', 'W2'], output: ['a2'] },
        { name: 'r2', opType: 'Relu', input: ['a2'], output: ['b2'] },
        { name: 'alias', opType: 'Identity', input: ['W1'], output: ['W1b'] },
        { name: 'g3', opType: 'Gemm', input: ['b2', 'W1b'], output: ['a3'] },
        { name: 'r3', opType: 'Relu', input: ['a3'], output: ['y'] },
      ],
    },
  });
}

describe('shared and aliased weights are charged to every stage holding a copy (row 2)', () => {
  it('on 40,000 B flash devices the tied model needs 3 devices, and every written stage fits', async () => {
    const model = join(work, 'tied.onnx');
    writeFileSync(model, encodeModel(tiedModel()));
    const catalog = join(work, 'tiny.json');
    writeFileSync(
      catalog,
      JSON.stringify({
        devices: [
          {
            id: 'tiny40k',
            name: 'tiny',
            kind: 'mcu',
            flashBytes: 40_000,
            sramBytes: 100_000,
            runtimeOverheadBytes: 1_000,
            clockHz: 1e8,
            macsPerS: 1e7,
            activePowerW: 0.1,
            idlePowerW: 0.001,
            sources: { all: 'test fixture' },
          },
        ],
      }),
    );
    const { loadDeviceCatalog } = await import('../../src/catalog/index.js');
    const out = join(work, 'plan');
    const { result } = await planModelFile(model, {
      devices: 'tiny40kx4',
      link: 'ble',
      objective: 'devices',
      weightBits: 8,
      deviceCatalog: loadDeviceCatalog([catalog]),
      out,
    });
    expect(result.plan.metrics.devices).toBe(3);
    expectStageModelsFit(readPipelinePlan(out));
  });
});
