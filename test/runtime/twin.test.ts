/**
 * The deployment twin with real node processes: `--emulate devices` paces every stage to the plan's
 * device (measured compute in deployment time is never below the planner's), changes no output, and
 * a node started with another time scale refuses the paced assignment naming both. The hop's
 * transfer is counted from the emulated links' air time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/data/package-root.js';
import { DEMO_PIPELINE, planModelFile } from '../../src/plan/plan-model.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { runPlan } from '../../src/runtime/run.js';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

let plan: RuntimePlan;
/** Two stages with two replicas each (the demo's plan shape). */
let replicated: RuntimePlan;
const nodes: SpawnedNode[] = [];

beforeAll(async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'edgesplit-twin-')), 'plan');
  await planModelFile(join(packageRoot(), 'models', 'remote.onnx'), {
    devices: 'nano33blex2',
    link: 'ble-esp32s3',
    objective: 'devices',
    weightBits: 32,
    out,
  });
  plan = await loadRuntimePlan(out);
  const out2 = join(mkdtempSync(join(tmpdir(), 'edgesplit-twin-')), 'plan');
  await planModelFile(join(packageRoot(), 'models', 'remote.onnx'), { ...DEMO_PIPELINE, out: out2 });
  replicated = await loadRuntimePlan(out2);
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('edgesplit run --emulate devices (real processes)', () => {
  it('paces compute to the plan devices over one radio per node, with the same outputs as a raw run', async () => {
    expect(plan.stages.length).toBeGreaterThanOrEqual(2);
    const twin = await runPlan({ plan, limit: 6, emulate: 'devices', timeScale: 50 });
    const raw = await runPlan({ plan, limit: 6, emulate: 'none' });
    const r = twin.report;
    expect(r).toMatchObject({ emulate: 'devices', link: 'ble-esp32s3', timeScale: 50, lost: 0, samples: 6 });
    expect(raw.report).toMatchObject({ emulate: 'none', link: 'none', timeScale: 1 });
    for (const s of r.twin!.stages) {
      // measured in deployment time: max(real, modelled / 50) x 50 is never below the modelled time
      expect(s.computeMs.measured).toBeGreaterThanOrEqual(s.computeMs.predicted! * (1 - 1e-9));
    }
    expect(r.twin!.timeScale).toBe(50);
    // the hop's transfer is the links' air time: at least what the sample's bytes need at the link rate
    const s0 = r.twin!.stages[0];
    expect(s0.sendBasis).toBe('air');
    const airFloorMs = ((r.stages[0].bytesPerSample * 8) / 90_000) * 1000;
    expect(s0.sendMs.measured).toBeGreaterThan(airFloorMs);
    expect(raw.report.twin!.stages[0].sendBasis).toBe('hop');
    twin.run.outputs.forEach((o, i) => {
      for (const [name, t] of Object.entries(o))
        expect(Array.from(t.data as Float32Array)).toEqual(
          Array.from(raw.run.outputs[i][name].data as Float32Array),
        );
    });
  }, 120_000);

  it('pairs replicas by seq: every sender sends a sample to the same replica, consecutive samples alternate', async () => {
    const widths = replicated.stages.map((st) => st.devices.length);
    expect(widths.every((n) => n >= 2)).toBe(true);
    // no --policy: the devices mode defaults to seq
    const { run } = await runPlan({ plan: replicated, limit: 8, emulate: 'devices', timeScale: 50 });
    expect(run.lost).toBe(0);
    replicated.stages.forEach((st, k) => {
      const residues = new Map<string, Set<number>>();
      for (const r of run.nodes.filter((x) => x.stageIndex === k)) {
        const set = residues.get(r.device) ?? new Set<number>();
        set.add(r.seq % widths[k]);
        residues.set(r.device, set);
      }
      // each replica got one residue class of seq, and the replicas got different ones
      expect([...residues.values()].every((x) => x.size === 1)).toBe(true);
      expect(new Set([...residues.values()].map((x) => [...x][0])).size).toBe(residues.size);
      expect(residues.size).toBe(st.devices.length);
    });
  }, 120_000);

  it('a node started with another time scale refuses the paced assignment', async () => {
    for (let i = 0; i < plan.stages.length; i++)
      nodes.push(
        await spawnNode(['--insecure', '--link', 'ble-esp32s3', '--emulate', 'devices', '--time-scale', '2']),
      );
    const hosts = new Map(plan.stages.map((s, i) => [s.devices[0].name, nodes[i].address]));
    await expect(runPlan({ plan, limit: 2, emulate: 'devices', timeScale: 5, hosts })).rejects.toThrow(
      /pacing time scale 5 differs from this node's link time scale 2/,
    );
  }, 120_000);
});
