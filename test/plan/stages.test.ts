import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { loadDeviceCatalog } from '../../src/catalog/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import { loadDataset } from '../../src/data/datasets.js';
import { resnet, resnet18, vggSmall } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { planModelFile, readPlan } from '../../src/plan/index.js';
import { expectStageModelsFit, readPipelinePlan, type LoadedPipelinePlan } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'edgesplit-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const LOCAL_MODEL = new URL('../../models/local.onnx', import.meta.url).pathname;

/** A catalog file with one small MCU type sized by the caller. */
function tinyCatalog(flash: number, sram: number): string {
  const file = join(work, `tiny-${flash}-${sram}.json`);
  const d = {
    id: 'tiny',
    name: 'tiny',
    kind: 'mcu',
    flashBytes: flash,
    sramBytes: sram,
    runtimeOverheadBytes: 1000,
    clockHz: 1e8,
    macsPerS: 1e7,
    activePowerW: 0.1,
    idlePowerW: 0.001,
    sources: { all: 'test' },
  };
  writeFileSync(file, JSON.stringify({ devices: [d] }));
  return file;
}

function saveModel(model: ModelProto, name: string): string {
  const path = join(work, name);
  writeFileSync(path, encodeModel(model));
  return path;
}

/** Real Fashion-MNIST test images, as [B,1,28,28] or resized (nearest) and repeated to [B,3,size,size]. */
function images(count: number, channels = 1, size = 28): Tensor {
  const ds = loadDataset('fashion-mnist-test', { limit: count });
  const out = new Float32Array(count * channels * size * size);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const sy = Math.floor((y * 28) / size);
          const sx = Math.floor((x * 28) / size);
          out[((i * channels + c) * size + y) * size + x] = ds.images[i * 784 + sy * 28 + sx];
        }
      }
    }
  }
  return { dtype: 'float32', dims: [count, channels, size, size], data: out };
}

/** Runs the plan's stage models in order, passing on only what each stage `sends`, as the runtime does. */
async function runPlan(loaded: LoadedPipelinePlan, input: Tensor): Promise<Record<string, Tensor>> {
  let env: Record<string, Tensor> = { [loaded.plan.inputs[0].name]: input };
  for (const [i, stage] of loaded.plan.stages.entries()) {
    expect(Object.keys(env).sort()).toEqual([...stage.receives].sort());
    const session = await onnxruntimeBackend.load(loaded.stageModels[i]);
    const feeds = Object.fromEntries(stage.inputs.map((t) => [t.name, env[t.name]]));
    const produced = await session.run(feeds);
    await session.release();
    const all = { ...env, ...produced };
    env = Object.fromEntries(stage.sends.map((name) => [name, all[name]]));
    expect(Object.values(env).every((t) => t !== undefined)).toBe(true);
  }
  return env;
}

async function runWhole(path: string, input: Tensor): Promise<Record<string, Tensor>> {
  const s = await onnxruntimeBackend.load(path);
  const out = await s.run({ [s.inputNames[0]]: input });
  await s.release();
  return out;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.dims).toEqual(b.dims);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

/** Max abs difference within 1e-5, relative to the output's scale when it exceeds 1 (float32 sums reorder across stages). */
async function expectEquivalent(
  modelPath: string,
  loaded: LoadedPipelinePlan,
  input: Tensor,
): Promise<number> {
  const ref = await runWhole(modelPath, input);
  const staged = await runPlan(loaded, input);
  let worst = 0;
  for (const o of loaded.plan.outputs) {
    const scale = Math.max(1, ...Array.from(ref[o.name].data as Float32Array, Math.abs));
    const d = maxAbsDiff(staged[o.name], ref[o.name]) / scale;
    expect(d).toBeLessThan(1e-5);
    worst = Math.max(worst, d);
  }
  return worst;
}

describe('plan directory: stage models reproduce the whole model on real test images', () => {
  it('chain model (VGG-style, 28x28): plan.json + stages, run in sequence, within 1e-5', async () => {
    const path = saveModel(vggSmall({ seed: 4 }), 'vgg.onnx');
    const out = join(work, 'vgg-plan');
    const { file } = await planModelFile(path, {
      devices: 'tinyx6',
      link: 'ble-esp32s3',
      objective: 'bytes',
      activationBits: 32,
      weightBits: 32,
      out,
      deviceCatalog: loadDeviceCatalog([tinyCatalog(160_000, 200_000)]),
    });
    const loaded = readPipelinePlan(out);
    expectStageModelsFit(loaded);
    expect(loaded.plan).toEqual(file);
    expect(loaded.plan.stages.length).toBeGreaterThanOrEqual(2);
    expect(loaded.plan.stages.every((s) => s.memory.weightBytes + 1000 <= 160_000)).toBe(true);
    await expectEquivalent(path, loaded, images(16));
  });

  it('residual ResNet-8 cut into many small stages: skip tensors are forwarded across stages, within 1e-5', async () => {
    const path = saveModel(resnet({ seed: 6 }), 'resnet8.onnx');
    const out = join(work, 'resnet8-plan');
    await planModelFile(path, {
      devices: 'tinyx40',
      link: 'loopback',
      objective: 'throughput',
      activationBits: 32,
      weightBits: 32,
      replicas: 'none',
      out,
      deviceCatalog: loadDeviceCatalog([tinyCatalog(150_000, 400_000)]),
    });
    const loaded = readPipelinePlan(out);
    expectStageModelsFit(loaded);
    expect(loaded.plan.stages.length).toBeGreaterThan(4);
    expect(loaded.plan.stages.some((s) => s.forwards.length > 0 || s.sends.length > 1)).toBe(true);
    await expectEquivalent(path, loaded, images(8));
  });

  it('the zoo residual model (models/local.onnx), when present', async (ctx) => {
    if (!existsSync(LOCAL_MODEL)) {
      ctx.skip(`models/local.onnx is missing (zoo not trained yet)`);
      return;
    }
    const out = join(work, 'local-plan');
    await planModelFile(LOCAL_MODEL, {
      devices: 'esp32s3x3,nano33blex4',
      link: 'ble',
      objective: 'throughput',
      activationBits: 32,
      weightBits: 32,
      out,
    });
    const loaded = readPipelinePlan(out);
    expectStageModelsFit(loaded);
    await expectEquivalent(LOCAL_MODEL, loaded, images(16));
  });

  it('ResNet-18 at 64x64 with random weights over ESP32-S3s, within 1e-5', async () => {
    const path = saveModel(resnet18({ seed: 9, size: 64 }), 'resnet18.onnx');
    const out = join(work, 'resnet18-plan');
    const { file } = await planModelFile(path, {
      devices: 'esp32s3x8',
      link: 'ble-esp32s3',
      objective: 'throughput',
      activationBits: 16,
      weightBits: 8,
      replicas: 'none',
      out,
    });
    expect(file!.stages.length).toBeGreaterThanOrEqual(3);
    const loaded = readPipelinePlan(out);
    expectStageModelsFit(loaded);
    await expectEquivalent(path, loaded, images(4, 3, 64));
  }, 60_000);

  it('a model with external weight data yields self-contained stages; a missing data file is named', async () => {
    const model = vggSmall({ seed: 8 });
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const t of model.graph!.initializer!) {
      if (t.dataType !== 1 || !t.rawData || t.rawData.length <= 64) continue;
      chunks.push(t.rawData);
      t.externalData = [
        { key: 'location', value: 'weights.bin' },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.rawData.length) },
      ];
      offset += t.rawData.length;
      t.dataLocation = 1;
      t.rawData = new Uint8Array(0);
    }
    writeFileSync(join(work, 'weights.bin'), Buffer.concat(chunks));
    const path = saveModel(model, 'vgg-ext.onnx');
    const reference = saveModel(vggSmall({ seed: 8 }), 'vgg-inline.onnx');
    const out = join(work, 'vgg-ext-plan');
    const opts = {
      devices: 'tinyx6',
      link: 'ble',
      objective: 'devices' as const,
      activationBits: 32,
      weightBits: 32,
      out,
      deviceCatalog: loadDeviceCatalog([tinyCatalog(160_000, 200_000)]),
    };
    await planModelFile(path, opts);
    const loaded = readPipelinePlan(out);
    expectStageModelsFit(loaded);
    for (const p of loaded.stageModels)
      expect(readFileSync(p).includes(Buffer.from('weights.bin'))).toBe(false);
    await expectEquivalent(reference, loaded, images(8));
    rmSync(join(work, 'weights.bin'));
    await expect(planModelFile(path, { ...opts, out: join(work, 'never') })).rejects.toThrow(
      /initializer 'w\d+' keeps its weights in external file 'weights\.bin', which cannot be read/,
    );
  });

  it('readPlan names the bad field and missing stage files', async () => {
    const path = saveModel(vggSmall({ seed: 2 }), 'vgg2.onnx');
    const out = join(work, 'vgg2-plan');
    await planModelFile(path, { devices: 'esp32s3x2', link: 'ble', objective: 'devices', out });
    const planPath = join(out, 'plan.json');
    const good = JSON.parse(readFileSync(planPath, 'utf8')) as { stages: { sendBytes: unknown }[] };
    good.stages[0].sendBytes = 'lots';
    writeFileSync(planPath, JSON.stringify(good));
    expect(() => readPlan(out)).toThrow(/plan\.json: stages\[0\]\.sendBytes: /);
    await planModelFile(path, { devices: 'esp32s3x2', link: 'ble', objective: 'devices', out });
    rmSync(join(out, 'stage-0.onnx'));
    expect(() => readPlan(out)).toThrow(/plan\.json: stages\[0\]\.model: 'stage-0\.onnx' does not exist/);
  });
});
