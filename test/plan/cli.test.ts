import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mobilenetV2, vggSmall } from '../../src/graph/builder/architectures.js';
import { planFileSchema } from '../../src/plan/schema.js';
import { runCli } from '../helpers/cli.js';
import { writeTempModel } from '../helpers/models.js';

const work = mkdtempSync(join(tmpdir(), 'edgesplit-plan-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('edgesplit plan (built CLI)', () => {
  const model = writeTempModel(vggSmall({ seed: 3 }));

  it('--json prints a valid plan.json with stages, devices, objective and the greedy comparison', () => {
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
    const plan = planFileSchema.parse(JSON.parse(r.stdout));
    expect(plan.objective).toBe('throughput');
    expect(plan.stages.flatMap((s) => s.nodes).length).toBe(plan.graph.nodes);
    expect(plan.stages.every((s) => s.devices.length >= 1 && s.memoryBytes > 0 && s.computeS > 0)).toBe(true);
    expect(plan.greedy).toBeDefined();
    expect(r.stderr).toMatch(/plan: planning \d+ nodes over 5 devices/);
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
