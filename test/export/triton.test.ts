import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { loadDeviceCatalog } from '../../src/catalog/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import { exportTriton } from '../../src/export/index.js';
import { lenet5, resnet } from '../../src/graph/builder/architectures.js';
import { encodeModel } from '../../src/onnx/io.js';
import { planModelFile } from '../../src/plan/index.js';
import { readPipelinePlan } from '../plan/helpers.js';
import { runCli } from '../helpers/cli.js';
import { seededInput } from '../helpers/models.js';
import { one, parsePbtxt, textMap, type TextMessage, type TextValue } from './pbtxt-reader.js';

const work = mkdtempSync(join(tmpdir(), 'edgesplit-triton-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface FieldSet {
  oneofs: Record<string, string[][]>;
  messages: Record<string, Record<string, string>>;
  enums: Record<string, string[]>;
}
const SCHEMA = JSON.parse(
  readFileSync(new URL('../fixtures/triton/model-config-fields.json', import.meta.url), 'utf8'),
) as FieldSet;
const devices = loadDeviceCatalog();

/** Checks every field of `msg` against Triton's field set for message `type`, recursively. */
function checkAgainstSchema(msg: TextMessage, type: string, path = type): void {
  const fields = SCHEMA.messages[type];
  expect(fields, `${path}: message type ${type} is in the fixture`).toBeDefined();
  for (const [field, values] of Object.entries(msg)) {
    const ft = fields[field];
    expect(ft, `${path}.${field} is a field of ${type}`).toBeDefined();
    for (const v of values) checkValue(v, ft, `${path}.${field}`);
  }
  for (const group of SCHEMA.oneofs[type] ?? [])
    expect(
      group.filter((f) => f in msg).length,
      `${path}: at most one of ${group.join('|')}`,
    ).toBeLessThanOrEqual(1);
}

function checkValue(v: TextValue, ft: string, path: string): void {
  if (ft.startsWith('enum ')) {
    expect(SCHEMA.enums[ft.slice(5)], path).toContain((v as { enum: string }).enum);
  } else if (ft === 'string') {
    expect(typeof v, path).toBe('string');
  } else if (/^u?int(32|64)$/.test(ft)) {
    expect(Number.isInteger(v), path).toBe(true);
    if (ft.startsWith('u')) expect(v as number, path).toBeGreaterThanOrEqual(0);
  } else if (ft === 'bool') {
    expect(['true', 'false'], path).toContain((v as { enum: string }).enum);
  } else if (ft === 'map<string,string>') {
    const entry = v as TextMessage;
    expect(Object.keys(entry).sort(), path).toEqual(['key', 'value']);
    expect(typeof one(entry, 'key')).toBe('string');
    expect(typeof one(entry, 'value')).toBe('string');
  } else {
    checkAgainstSchema(v as TextMessage, ft, path);
  }
}

const config = (repo: string, model: string) =>
  parsePbtxt(readFileSync(join(repo, model, 'config.pbtxt'), 'utf8'));
const names = (msg: TextMessage, field: string) =>
  (msg[field] ?? []).map((t) => one(t as TextMessage, 'name'));
const dimsOf = (msg: TextMessage, field: string) =>
  Object.fromEntries(
    (msg[field] ?? []).map((t) => [one(t as TextMessage, 'name'), (t as TextMessage).dims ?? []]),
  );

describe('export triton: one ONNX model', () => {
  it('writes config.pbtxt within Triton’s schema, model.onnx that runs at any batch, and a KServe manifest', async () => {
    const path = join(work, 'lenet.onnx');
    writeFileSync(path, encodeModel(lenet5()));
    const repo = join(work, 'repo-lenet');
    const r = await exportTriton(path, { out: repo, deviceCatalog: devices, instances: 2 });
    expect(r.entry).toBe('lenet');
    const c = config(repo, 'lenet');
    checkAgainstSchema(c, 'ModelConfig');
    expect(c).toMatchObject({
      name: ['lenet'],
      platform: ['onnxruntime_onnx'],
      backend: ['onnxruntime'],
      max_batch_size: [64],
      dynamic_batching: [{ max_queue_delay_microseconds: [2000] }],
      instance_group: [{ count: [2], kind: [{ enum: 'KIND_CPU' }] }],
    });
    expect(c.input).toEqual([{ name: ['input'], data_type: [{ enum: 'TYPE_FP32' }], dims: [1, 32, 32] }]);
    expect(names(c, 'output')).toHaveLength(1);

    // Triton feeds [batch, ...dims]: the exported file must accept that and give [batch, ...output dims]
    const session = await onnxruntimeBackend.load(join(repo, 'lenet', '1', 'model.onnx'));
    const out = await session.run({
      input: { dtype: 'float32', dims: [3, 1, 32, 32], data: seededInput(3 * 32 * 32) },
    });
    await session.release();
    const outName = names(c, 'output')[0] as string;
    expect(out[outName].dims).toEqual([3, ...(dimsOf(c, 'output')[outName] as number[])]);

    const manifest = readFileSync(`${repo}.inferenceservice.yaml`, 'utf8');
    expect(manifest).toMatch(/^apiVersion: serving\.kserve\.io\/v1beta1\nkind: InferenceService\n/);
    expect(manifest).toMatch(
      /modelFormat:\n\s+name: triton\n\s+protocolVersion: v2\n\s+storageUri: "pvc:\/\/edgesplit-models\/repo-lenet"/,
    );
  });

  it('a model without a symbolic batch dim gets max_batch_size 0, full dims, no dynamic batcher', async () => {
    const m = lenet5();
    m.graph!.input![0].type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    m.graph!.output![0].type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    const path = join(work, 'fixed.onnx');
    writeFileSync(path, encodeModel(m));
    const repo = join(work, 'repo-fixed');
    await exportTriton(path, { out: repo, deviceCatalog: devices, storageUri: 'gs://bucket/fixed' });
    const c = config(repo, 'fixed');
    checkAgainstSchema(c, 'ModelConfig');
    expect(c.max_batch_size).toEqual([0]);
    expect(c.dynamic_batching).toBeUndefined();
    expect(dimsOf(c, 'input')).toEqual({ input: [1, 1, 32, 32] });
    expect(readFileSync(`${repo}.inferenceservice.yaml`, 'utf8')).toMatch(
      /storageUri: "gs:\/\/bucket\/fixed"/,
    );
  });
});

describe('export triton: a plan directory', () => {
  const model = join(work, 'resnet8.onnx');
  const planDir = join(work, 'resnet8-plan');
  const tiny = join(work, 'tiny.json');

  async function plan(): Promise<void> {
    if (existsSync(join(planDir, 'plan.json'))) return;
    writeFileSync(model, encodeModel(resnet({ seed: 6 })));
    writeFileSync(
      tiny,
      JSON.stringify({
        devices: [
          {
            id: 'tiny',
            name: 'tiny',
            kind: 'mcu',
            flashBytes: 150_000,
            sramBytes: 400_000,
            runtimeOverheadBytes: 1000,
            clockHz: 1e8,
            macsPerS: 1e7,
            activePowerW: 0.1,
            idlePowerW: 0.001,
            sources: { all: 'test' },
          },
        ],
      }),
    );
    await planModelFile(model, {
      devices: 'tinyx40',
      link: 'loopback',
      objective: 'throughput',
      activationBits: 32,
      weightBits: 32,
      replicas: 'none',
      out: planDir,
      deviceCatalog: loadDeviceCatalog([tiny]),
    });
    // the stages from 2 on move to a laptop (a hub kind): the exporter must pick exactly those
    const path = join(planDir, 'plan.json');
    const file = JSON.parse(readFileSync(path, 'utf8')) as { stages: { type: string }[] };
    file.stages.forEach((s, i) => {
      if (i >= 2) s.type = 'laptop';
    });
    writeFileSync(path, JSON.stringify(file));
  }

  it('exports the hub-side stages plus an ensemble whose steps map tensors consistently, and it computes the model', async () => {
    await plan();
    const { plan: p, stageModels } = readPipelinePlan(planDir);
    expect(p.stages.length).toBeGreaterThan(4);
    const repo = join(work, 'repo-plan');
    const catalog = loadDeviceCatalog([tiny]);
    const r = await exportTriton(planDir, { out: repo, deviceCatalog: catalog, name: 'resnet8' });
    const hub = p.stages.slice(2);
    expect(r.models.map((m) => m.name)).toEqual([...hub.map((s) => `resnet8-stage-${s.id}`), 'resnet8']);

    const ens = config(repo, 'resnet8');
    checkAgainstSchema(ens, 'ModelConfig');
    expect(one(ens, 'platform')).toBe('ensemble');
    const steps = (one(ens, 'ensemble_scheduling') as TextMessage).step as TextMessage[];
    expect(steps.map((s) => one(s, 'model_name'))).toEqual(hub.map((s) => `resnet8-stage-${s.id}`));

    const available = new Set(names(ens, 'input') as string[]);
    const ensDims = { ...dimsOf(ens, 'input') };
    for (const step of steps) {
      const stage = config(repo, one(step, 'model_name') as string);
      checkAgainstSchema(stage, 'ModelConfig');
      expect(one(stage, 'max_batch_size')).toBe(one(ens, 'max_batch_size'));
      const inMap = textMap(step, 'input_map');
      const outMap = textMap(step, 'output_map');
      // every model input mapped once, from an ensemble input or an earlier step's output, same dims
      expect(Object.keys(inMap).sort()).toEqual((names(stage, 'input') as string[]).sort());
      for (const [modelInput, tensor] of Object.entries(inMap)) {
        expect(available.has(tensor), `${tensor} is available before ${one(step, 'model_name')}`).toBe(true);
        expect(ensDims[tensor]).toEqual(dimsOf(stage, 'input')[modelInput]);
      }
      expect(Object.keys(outMap).sort()).toEqual((names(stage, 'output') as string[]).sort());
      for (const [modelOutput, tensor] of Object.entries(outMap)) {
        expect(available.has(tensor), `${tensor} is produced once`).toBe(false);
        available.add(tensor);
        ensDims[tensor] = dimsOf(stage, 'output')[modelOutput];
      }
    }
    for (const o of names(ens, 'output') as string[]) {
      expect(available.has(o)).toBe(true);
      expect(ensDims[o]).toEqual(dimsOf(ens, 'output')[o]);
    }

    // run it as Triton would: device stages 0..1 here, then the ensemble's steps by their maps
    const x: Tensor = { dtype: 'float32', dims: [2, 1, 28, 28], data: seededInput(2 * 784) };
    const run = async (file: string, feeds: Record<string, Tensor>) => {
      const s = await onnxruntimeBackend.load(file);
      const out = await s.run(feeds);
      await s.release();
      return out;
    };
    let env: Record<string, Tensor> = { [p.inputs[0].name]: x };
    for (const [k, s] of p.stages.slice(0, 2).entries()) {
      const out = await run(stageModels[k], Object.fromEntries(s.inputs.map((t) => [t.name, env[t.name]])));
      env = Object.fromEntries(s.sends.map((n) => [n, { ...env, ...out }[n]]));
    }
    for (const step of steps) {
      const inMap = textMap(step, 'input_map');
      const feeds = Object.fromEntries(Object.entries(inMap).map(([k, t]) => [k, env[t]]));
      const out = await run(join(repo, one(step, 'model_name') as string, '1', 'model.onnx'), feeds);
      for (const [k, t] of Object.entries(textMap(step, 'output_map'))) env[t] = out[k];
    }
    const whole = await run(model, { [p.inputs[0].name]: x });
    for (const o of names(ens, 'output') as string[]) {
      const a = env[o].data as Float32Array;
      const b = whole[o].data as Float32Array;
      expect(env[o].dims).toEqual(whole[o].dims);
      const scale = Math.max(1, ...Array.from(b, Math.abs));
      expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) / scale).toBeLessThan(1e-5);
    }
  });

  it('refuses a plan without hub stages, non-contiguous --stages, and names the fix', async () => {
    await plan();
    const catalog = loadDeviceCatalog([tiny]);
    const out = join(work, 'repo-bad');
    const file = JSON.parse(readFileSync(join(planDir, 'plan.json'), 'utf8')) as {
      stages: { type: string }[];
    };
    const mcuOnly = join(work, 'mcu-plan');
    rmSync(mcuOnly, { recursive: true, force: true });
    const { cpSync } = await import('node:fs');
    cpSync(planDir, mcuOnly, { recursive: true });
    file.stages.forEach((s) => (s.type = 'tiny'));
    writeFileSync(join(mcuOnly, 'plan.json'), JSON.stringify(file));
    await expect(exportTriton(mcuOnly, { out, deviceCatalog: catalog })).rejects.toThrow(
      /no stage runs on a hub device \(kinds sbc, accelerator, laptop, server; .*\); choose them with --stages/,
    );
    await expect(exportTriton(mcuOnly, { out, deviceCatalog: catalog, stages: [1, 3] })).rejects.toThrow(
      'stages 1,3 are not contiguous, so no ensemble chains them',
    );
    const ok = await exportTriton(mcuOnly, { out, deviceCatalog: catalog, stages: [0, 1, 2] });
    expect(ok.models.map((m) => m.kind)).toEqual(['onnx', 'onnx', 'onnx', 'ensemble']);
  });

  it('CLI: prints the models, the tritonserver command and the manifest path; usage errors are one line', async () => {
    await plan();
    const repo = join(work, 'repo-cli');
    const r = runCli([
      'export',
      'triton',
      planDir,
      '--out',
      repo,
      '--device-catalog',
      tiny,
      '--stages',
      '3,4',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resnet8-plan-stage-3\s+onnx\s+3/);
    expect(r.stdout).toMatch(/resnet8-plan\s+ensemble/);
    expect(r.stdout).toContain(`tritonserver --model-repository=${repo}`);
    const bad = runCli(['export', 'triton', planDir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      "edgesplit: E_USAGE: required option '--out <repo>' not specified\n(see 'edgesplit export triton --help')\n",
    );
  });
});
