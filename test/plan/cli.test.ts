import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mobilenetV2, vggSmall } from '../../src/graph/builder/architectures.js';
import { getLink, loadDeviceCatalog } from '../../src/catalog/index.js';
import { buildGraph } from '../../src/graph/build.js';
import { isPipelinePlan, parsePlanFile, PLAN_VERSION } from '../../src/plan/index.js';
import { profileGraph } from '../../src/profile/profile.js';
import {
  parseDeviceSpec,
  partitionProblem,
  planPipeline,
  uniformPool,
} from '../../src/strategy/plan/index.js';
import { runCli } from '../helpers/cli.js';
import { writeTempModel } from '../helpers/models.js';
import { expectStageModelsFit, readPipelinePlan } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'edgesplit-plan-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('edgesplit plan (built CLI)', () => {
  const model = writeTempModel(vggSmall({ seed: 3 }));

  it('--json prints a valid plan.json with stages, devices, objective and the greedy comparison', async () => {
    const r = runCli([
      'plan',
      model,
      '--devices',
      'esp32s3x2,nano33blex3',
      '--link',
      'ble',
      '--objective',
      'throughput',
      '--out',
      join(work, 'a'),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const plan = parsePlanFile(JSON.parse(r.stdout), 'stdout');
    if (!isPipelinePlan(plan)) throw new Error('--json lacks the planner report');
    expect(plan.version).toBe(PLAN_VERSION);
    expect(plan.objective).toBe('throughput');
    expect(plan.stages.flatMap((s) => s.nodes).length).toBe(plan.graph.nodes);
    expect(plan.stages.every((s) => s.devices.length >= 1 && s.memoryBytes > 0 && s.computeS > 0)).toBe(true);
    expect(plan.greedy).toBeDefined();
    expect(r.stderr).toMatch(/plan: planning \d+ nodes over 5 devices/);
    expectStageModelsFit(readPipelinePlan(join(work, 'a')));
  });

  it('prints the stage table, the greedy comparison and the Pareto listing', () => {
    const r = runCli([
      'plan',
      model,
      '--devices',
      'nano33blex4',
      '--link',
      'ble',
      '--bits',
      '8',
      '--out',
      join(work, 'b'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stage\s+layers\s+first\.\.last\s+devices\s+flash used\/avail/);
    expect(r.stdout).toMatch(/^greedy: /m);
    expect(r.stdout).toMatch(/optimal for\s+front\s+devices/);
    expect(r.stdout).toContain(`wrote ${join(work, 'b')}/plan.json`);
  });

  it('an infeasible request exits 1 naming the layer and the shortfall', () => {
    const big = writeTempModel(mobilenetV2({ externalDataFile: 'absent.bin' }));
    const r = runCli(['plan', big, '--devices', 'esp32s3x8', '--link', 'ble', '--out', join(work, 'c')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /E_INFEASIBLE: node 'conv_1' \(Conv, #0\) fits no available device: it needs [\d,]+ B .* more SRAM on esp32s3/,
    );
  });

  it('bad option values are usage errors (exit 2)', () => {
    const r = runCli([
      'plan',
      model,
      '--devices',
      'esp32s3x2',
      '--link',
      'ble',
      '--objective',
      'speed',
      '--out',
      join(work, 'd'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--objective must be one of devices, throughput, latency, bytes, energy');
  });
});

describe('edgesplit plan: inputs bounded before work (rows 4, 5)', () => {
  const model = writeTempModel(vggSmall({ seed: 3 }));
  const plan = (...args: string[]) =>
    runCli(['plan', model, '--link', 'ble', '--out', join(work, 'b'), ...args]);
  const catalog = loadDeviceCatalog();

  it('negative, malformed and huge device counts say so before any device is made', () => {
    const cases: [string, RegExp][] = [
      ['esp32s3x-3', /count '-3' in 'esp32s3x-3' must be a positive whole number/],
      ['esp32s3x99999999999999999999', /asks for 99999999999999999999 devices; the limit is 64/],
      ['esp32s3x10000000', /asks for 10000000 devices; the limit is 64/],
      ['x10000000', /'x10000000' names no device type/],
      ['esp32s3x40,rpi4bx40', /more than 64 devices in total/],
      ['esp32s3x2.5', /count '2.5' in 'esp32s3x2.5' must be a positive whole number/],
    ];
    for (const [spec, message] of cases) expect(() => parseDeviceSpec(spec, catalog), spec).toThrow(message);
    expect(parseDeviceSpec('esp32s3x2,rpi4b', catalog).map((d) => d.name)).toEqual([
      'esp32s3-1',
      'esp32s3-2',
      'rpi4b-1',
    ]);
    const r = plan('--devices', 'esp32s3x99999999999999999999');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/E_USAGE: --devices: 'esp32s3x99999999999999999999' asks for/);
  });

  it('a search too large is refused with E_PLAN_SEARCH naming the options that shrink it; --heuristic plans it', () => {
    const types = ['esp32s3', 'esp32', 'nano33ble', 'coral-micro', 'rpi3bplus', 'rpi4b', 'phone', 'laptop'];
    const spec = types.map((t) => `${t}x8`).join(',');
    const r = plan('--devices', spec, '--objective', 'latency');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^edgesplit: E_PLAN_SEARCH: partition search needs [\d,]+ states/m);
    expect(r.stderr).toMatch(/fewer device types/);
    expect(r.stderr).toMatch(/--heuristic/);
    const graph = buildGraph(vggSmall({ seed: 3 }), 'vgg');
    const problem = partitionProblem(graph, profileGraph(graph, { activationBits: 16, weightBits: 8 }));
    const pool = uniformPool(parseDeviceSpec(spec, catalog), getLink('ble'));
    expect(() => planPipeline(problem, pool, { objective: 'latency', pareto: false })).toThrow(
      /E_PLAN_SEARCH|partition search needs/,
    );
    const h = planPipeline(problem, pool, { objective: 'latency', pareto: false, heuristic: true });
    expect(h.plan.stages.length).toBeGreaterThan(0);
  });
});
