/**
 * Hedged LCP runs on real node processes: a branch replica that stops (SIGSTOP, a hard straggler)
 * must not hold the run up. Its copies stop once it has not read what it was given, the other
 * replica answers every sample, and the run ends before the stopped node's stall timeout would
 * fail it over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeviceCatalog, loadLinkCatalog } from '../../src/catalog/index.js';
import { loadModelFile } from '../../src/onnx/io.js';
import { planLcpModel } from '../../src/plan/lcp-plan.js';
import type { LocalPool } from '../../src/runtime/local-nodes.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { parseDeviceSpec } from '../../src/strategy/plan/devices.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';

const MODEL = 'models/lcp-split4.onnx';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('hedged LCP run with a stopped branch replica', () => {
  it('the other replica answers every sample: nothing lost, no failover needed, outputs unchanged', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edgesplit-dag-hedge-'));
    dirs.push(out);
    await planLcpModel(MODEL, {
      devices: parseDeviceSpec('rpi3bplusx4', loadDeviceCatalog([])),
      link: loadLinkCatalog([]).get('wifi-rpi3bplus'),
      replicas: 2,
      out,
    });
    const plan = await loadRuntimePlan(out);
    const N = 200;
    const samples = datasetSamples(plan, 'fashion-mnist-test', N);
    const victim = plan.stages[1].devices[1].name;
    let pool: LocalPool | undefined;
    let stopped: number | undefined;
    const { run, report } = await runPlan({
      plan,
      samples,
      emulate: 'none',
      batch: 1,
      hedge: true,
      window: 16,
      // far longer than this run takes: the stopped replica is never failed over while it runs
      stallTimeoutMs: 120_000,
      onPool: (p) => (pool = p as LocalPool),
      onProgress: (done) => {
        if (done === 20 && stopped === undefined) {
          stopped = pool!.pid(victim);
          process.kill(stopped!, 'SIGSTOP');
        }
        // let it answer the final flush and shutdown
        if (done === N && stopped !== undefined) process.kill(stopped, 'SIGCONT');
      },
    });
    expect(stopped).toBeGreaterThan(0);
    expect(report.lost).toBe(0);
    expect(report.failovers).toHaveLength(0);
    expect(run.outputs).toHaveLength(N);
    const ref = await referenceOutputs(await loadModelFile(MODEL), samples);
    expect(maxAbsDiff(run.outputs, ref)).toBeLessThanOrEqual(1e-5);
    // the stopped replica got no copy of most samples; its partner ran every one
    const ran = (device: string) => run.nodes.filter((r) => r.device === device).length;
    expect(ran(victim)).toBeLessThan(N / 2);
    expect(ran(plan.stages[1].devices[0].name)).toBe(N);
  }, 300_000);
});
