/**
 * The one plan.json schema and reader: every writer's output parses back unchanged, a version 1
 * file (the planner's, written by the previous release, and a hand-written one) migrates to the
 * current version, and bad files fail with one line naming the file and the field, cycle or tensor.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeviceCatalog, loadLinkCatalog } from '../../src/catalog/index.js';
import { PLAN_VERSION, type PlanFile } from '../../src/core/plan-file.js';
import { parsePlanFile } from '../../src/core/plan-parse.js';
import { lenet5 } from '../../src/graph/builder/architectures.js';
import { buildGraph } from '../../src/graph/build.js';
import { loadModelFile } from '../../src/onnx/io.js';
import { planLcpModel } from '../../src/plan/lcp-plan.js';
import { planModelFile, readPlan, writePlanFile } from '../../src/plan/index.js';
import { writeRangePlan } from '../../src/plan/range-plan.js';
import { parseDeviceSpec } from '../../src/strategy/plan/devices.js';
import { writePlanDir } from '../runtime/plan-fixture.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'edgesplit-planfile-'));
  dirs.push(d);
  return d;
};

const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanFile;
const writeJson = (dir: string, json: unknown) => writeFileSync(join(dir, 'plan.json'), JSON.stringify(json));

/** readPlan's error: exactly one line. */
function readError(dir: string): string {
  try {
    readPlan(dir);
  } catch (err) {
    const msg = (err as Error).message;
    expect(msg).not.toMatch(/\n/);
    expect(msg.startsWith(join(dir, 'plan.json'))).toBe(true);
    return msg;
  }
  throw new Error(`${dir}: readPlan accepted the plan`);
}

/** A hand-written two-stage chain (test fixture writer) of LeNet-5. */
function chainDir(): string {
  return writePlanDir(lenet5({ seed: 3 }), { cuts: [4] }).dir;
}

describe('plan.json: every writer round-trips through the one reader', () => {
  it('the pipeline planner, lcp plan and range plans write the current version, read back unchanged', async () => {
    const planner = tmp();
    const { file } = await planModelFile('models/remote.onnx', {
      devices: 'nano33blex4',
      link: 'ble-esp32s3',
      objective: 'throughput',
      weightBits: 32,
      out: planner,
    });
    expect(readPlan(planner).plan).toEqual(file);
    expect(readJson(planner)).toMatchObject({ version: PLAN_VERSION, topology: 'chain' });

    const lcp = tmp();
    const { plan } = await planLcpModel('models/lcp-split2.onnx', {
      devices: parseDeviceSpec('rpi3bplusx2', loadDeviceCatalog([])),
      link: loadLinkCatalog([]).get('wifi-rpi3bplus'),
      out: lcp,
    });
    const lcpRead = readPlan(lcp);
    expect(lcpRead.plan).toEqual(plan);
    expect(lcpRead.plan.topology).toBe('dag');
    expect(lcpRead.dag.order).toHaveLength(plan.stages.length);

    const ranges = tmp();
    const n = buildGraph(await loadModelFile('models/lcp-original.onnx')).nodes.length;
    const written = await writeRangePlan(
      'models/lcp-original.onnx',
      [
        { start: 0, end: 4, devices: [{ name: 'a', type: 'rpi3bplus' }] },
        { start: 4, end: n, devices: [{ name: 'b', type: 'rpi3bplus' }] },
      ],
      { link: 'wifi-rpi3bplus', out: ranges },
    );
    expect(readPlan(ranges).plan).toEqual(written);
    expect(written).toMatchObject({ version: PLAN_VERSION, topology: 'chain' });

    const fixture = chainDir();
    expect(readJson(fixture).version).toBe(PLAN_VERSION);
    expect(readPlan(fixture).plan.stages.map((s) => s.id)).toEqual(['0', '1']);
  });

  it('the writer validates before writing: a bad plan fails naming the field and writes nothing', () => {
    const dir = chainDir();
    const good = readPlan(dir).plan;
    const out = tmp();
    const bad = { ...good, stages: [{ ...good.stages[0], sendz: 1 }, good.stages[1]] } as unknown as PlanFile;
    expect(() => writePlanFile(out, bad)).toThrow(/plan\.json: stages\[0\]\.sendz: unknown field/);
    expect(() => readFileSync(join(out, 'plan.json'))).toThrow(/ENOENT/);
  });
});

describe('plan.json version 1 migrates to the current version', () => {
  it("a v1 plan written by the previous release's planner reads as the current planner's v2 plan", async () => {
    const dir = tmp();
    await planModelFile('models/remote.onnx', {
      devices: 'nano33blex4',
      link: 'ble-esp32s3',
      objective: 'throughput',
      weightBits: 32,
      out: dir,
    });
    const v2 = readPlan(dir).plan;
    // test/fixtures/plan-v1/remote-plan.json: `edgesplit plan` at a0032c3 with the same arguments
    copyFileSync('test/fixtures/plan-v1/remote-plan.json', join(dir, 'plan.json'));
    expect(readJson(dir).version).toBe(1);
    const migrated = readPlan(dir).plan;
    expect(migrated.version).toBe(PLAN_VERSION);
    expect(migrated).toEqual(v2);
  });

  it('a hand-written v1 plan (names for devices and graph io, numeric ids, default dtype/wire) migrates', () => {
    const v1 = {
      version: 1,
      stages: [
        {
          id: 0,
          model: 'stage-0.onnx',
          inputs: [{ name: 'x' }],
          outputs: [{ name: 'y', wire: 'int8', dtype: 'float32', shape: ['N', 4] }],
          devices: ['a', { name: 'b', type: 'rpi4b' }],
        },
        {
          id: 'last',
          model: 'stage-1.onnx',
          inputs: [{ name: 'y' }],
          outputs: [{ name: 'z' }, { name: 'idx', dtype: 'int64', shape: ['N'] }],
          devices: ['c'],
        },
      ],
      inputs: ['x'],
      outputs: ['z', 'idx'],
      predicted: { throughputPerS: 5 },
    };
    const p = parsePlanFile(v1, 'p/plan.json');
    expect(p).toEqual({
      version: PLAN_VERSION,
      topology: 'chain',
      inputs: [{ name: 'x', dtype: 'float32', shape: [], wire: 'fp32' }],
      outputs: [
        { name: 'z', dtype: 'float32', shape: [], wire: 'fp32' },
        { name: 'idx', dtype: 'int64', shape: ['N'], wire: 'native' },
      ],
      stages: [
        {
          id: '0',
          model: 'stage-0.onnx',
          inputs: [{ name: 'x', dtype: 'float32', shape: [], wire: 'fp32' }],
          outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 4], wire: 'int8' }],
          devices: [{ name: 'a' }, { name: 'b', type: 'rpi4b' }],
        },
        {
          id: 'last',
          model: 'stage-1.onnx',
          inputs: [{ name: 'y', dtype: 'float32', shape: [], wire: 'fp32' }],
          outputs: [
            { name: 'z', dtype: 'float32', shape: [], wire: 'fp32' },
            { name: 'idx', dtype: 'int64', shape: ['N'], wire: 'native' },
          ],
          devices: [{ name: 'c' }],
        },
      ],
      predicted: { throughputPerS: 5 },
    });
    expect(() => parsePlanFile({ ...v1, topology: 'dag' }, 'p/plan.json')).toThrow(
      /^p\/plan\.json: topology: "dag" needs version 2$/,
    );
    expect(() => parsePlanFile({ ...v1, version: 3 }, 'p/plan.json')).toThrow(
      /^p\/plan\.json: version: expected 1 or 2 .*got 3$/,
    );
    expect(() => parsePlanFile({ ...v1, version: 2 }, 'p/plan.json')).toThrow(/^p\/plan\.json: topology: /);
  });
});

describe('a bad plan.json fails with one line naming the file and the field, cycle or tensor', () => {
  it('wrong type, unknown field, missing stage model file, duplicate device', () => {
    const dir = chainDir();
    const good = readJson(dir);
    const edit = (f: (p: PlanFile) => void) => {
      const p = structuredClone(good);
      f(p);
      writeJson(dir, p);
      return readError(dir);
    };
    expect(edit((p) => Object.assign(p.stages[0], { macs: 'lots' }))).toMatch(
      /plan\.json: stages\[0\]\.macs: .*expected number, received string$/,
    );
    expect(edit((p) => Object.assign(p.stages[1].outputs[0], { wire: 'fp8' }))).toMatch(
      /plan\.json: stages\[1\]\.outputs\[0\]\.wire: /,
    );
    expect(edit((p) => Object.assign(p.stages[1].outputs[0], { dtype: 'int64', wire: 'fp16' }))).toMatch(
      /plan\.json: stages\[1\]\.outputs\[0\]\.wire: a tensor that is not float32 travels as its own bytes: wire must be "native"$/,
    );
    expect(edit((p) => Object.assign(p.stages[1], { devcies: [] }))).toMatch(
      /plan\.json: stages\[1\]\.devcies: unknown field$/,
    );
    expect(edit((p) => Object.assign(p, { topolgy: 'dag' }))).toMatch(/plan\.json: topolgy: unknown field$/);
    expect(edit((p) => (p.stages[1].devices = [{ ...p.stages[0].devices[0] }]))).toMatch(
      /stages\[1\]\.devices: device 'dev-0-0' also runs stage 0/,
    );
    writeJson(dir, good);
    expect(readPlan(dir).plan).toEqual(good);
    rmSync(join(dir, 'stage-1.onnx'));
    expect(readError(dir)).toMatch(/plan\.json: stages\[1\]\.model: 'stage-1\.onnx' does not exist in /);
  });

  it('a cycle and a dangling tensor are named; a chain may not read a later stage', () => {
    const dir = tmp();
    const t = (name: string) => ({ name, dtype: 'float32', shape: [1], wire: 'fp32' });
    const stage = (id: string, inputs: string[], outputs: string[]) => ({
      id,
      model: `${id}.onnx`,
      inputs: inputs.map(t),
      outputs: outputs.map(t),
      devices: [{ name: `dev-${id}` }],
    });
    const plan = (topology: string, stages: unknown[]) => ({
      version: PLAN_VERSION,
      topology,
      inputs: [t('x')],
      outputs: [t('out')],
      stages,
    });
    writeJson(
      dir,
      plan('dag', [
        stage('a', ['x', 'c2a'], ['a2b']),
        stage('b', ['a2b'], ['b2c']),
        stage('c', ['b2c'], ['c2a', 'out']),
      ]),
    );
    expect(readError(dir)).toMatch(/plan\.json: stages form a cycle: a -> b -> c -> a$/);
    writeJson(dir, plan('dag', [stage('a', ['x'], ['h']), stage('b', ['h', 'ghost'], ['out'])]));
    expect(readError(dir)).toMatch(
      /dangling tensor 'ghost': stage b reads it but no stage or graph input provides it/,
    );
    writeJson(dir, plan('dag', [stage('a', ['x'], ['h'])]));
    expect(readError(dir)).toMatch(/dangling tensor 'out': graph output produced by no stage/);
    writeJson(dir, plan('chain', [stage('a', ['x', 'h'], ['out']), stage('b', ['x'], ['h'])]));
    expect(readError(dir)).toMatch(/stage a reads 'h', which no earlier stage or graph input provides/);
  });
});
