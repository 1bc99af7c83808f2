/**
 * Issue 10 as an operator meets it: five long-running `edgesplit node` processes in a hosts file,
 * plan P (stages 0 and 1 with two replicas), kill -9 and SIGSTOP mid-run. Every assertion is on
 * counts, exactly-once in-order delivery and predictions, never on timings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { writePlanDir } from './plan-fixture.js';
import { startHostsFixture, runCli, type HostsFixture } from './hosts-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';

/** Blocks this event loop so that a signal lands before the next results are read. */
const hold = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

let fx: HostsFixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

describe('runs on hosts-file nodes (issue 10)', () => {
  it('row 1: after a run with a kill -9 failover and a restart, the next run delivers everything', async () => {
    fx = await startHostsFixture();
    const first = datasetSamples(fx.plan, 'fashion-mnist-test', 300);
    let killed = false;
    const r1 = await runPlan({
      plan: fx.plan,
      samples: first,
      hosts: fx.hosts(),
      key: fx.key,
      window: 12,
      onProgress: (done) => {
        if (done !== 40 || killed) return;
        killed = true;
        fx!.nodes.get('dev-0-1')!.child.kill('SIGKILL');
        hold(200);
      },
    });
    expect(killed).toBe(true);
    expect(r1.report.lost).toBe(0);
    expect(r1.report.failovers.map((f) => [f.device, f.replacedBy])).toEqual([['dev-0-1', 'replica']]);
    await fx.restart('dev-0-1');
    const second = datasetSamples(fx.plan, 'fashion-mnist-test', 150);
    const r2 = await runPlan({
      plan: fx.plan,
      samples: second,
      hosts: fx.hosts(),
      key: fx.key,
      stallTimeoutMs: 5000,
    });
    expect(r2.report.lost).toBe(0);
    expect(r2.report.failovers).toEqual([]);
    expect(r2.run.outputs).toHaveLength(150);
    expect(maxAbsDiff(r2.run.outputs, await referenceOutputs(fx.model, second))).toBeLessThanOrEqual(1e-5);
    // the restarted replica took part in the clean run
    expect(r2.run.nodes.some((r) => r.device === 'dev-0-1')).toBe(true);
  }, 120_000);

  it('row 3: a SIGSTOPped replica is failed over after --stall-timeout; its late outputs are dropped', async () => {
    fx = await startHostsFixture();
    const samples = datasetSamples(fx.plan, 'fashion-mnist-test', 400);
    const victim = fx.nodes.get('dev-1-0')!.child;
    let stopped = false;
    let resumed = false;
    const { run, report } = await runPlan({
      plan: fx.plan,
      samples,
      hosts: fx.hosts(),
      key: fx.key,
      window: 12,
      stallTimeoutMs: 2000,
      onProgress: (done) => {
        if (done === 40 && !stopped) {
          stopped = true;
          victim.kill('SIGSTOP');
          hold(200);
        }
        if (done === 200 && !resumed) {
          resumed = true;
          victim.kill('SIGCONT');
        }
      },
    });
    expect(stopped).toBe(true);
    expect(report.lost).toBe(0);
    expect(report.failovers).toHaveLength(1);
    expect(report.failovers[0]).toMatchObject({ device: 'dev-1-0', replacedBy: 'replica' });
    expect(report.failovers[0].reason).toMatch(/stalled/);
    expect(report.failovers[0].resent).toBeGreaterThan(0);
    // index-by-index equality: every sample exactly once, in order, same predictions
    expect(run.outputs).toHaveLength(400);
    expect(maxAbsDiff(run.outputs, await referenceOutputs(fx.model, samples))).toBeLessThanOrEqual(1e-5);
    // the woken node is still a working node for the next run
    if (!resumed) victim.kill('SIGCONT');
    const again = await runPlan({
      plan: fx.plan,
      samples: datasetSamples(fx.plan, 'fashion-mnist-test', 60),
      hosts: fx.hosts(),
      key: fx.key,
    });
    expect(again.report.lost).toBe(0);
  }, 120_000);

  it('row 2: a stopped node in the hosts file makes the CLI exit non-zero, saying what was delivered', async () => {
    fx = await startHostsFixture();
    const hosts = fx.hostsFile();
    await fx.nodes.get('dev-1-1')!.stop();
    const r = await runCli(['run', fx.dir, '--hosts', hosts, '--key', fx.keyFile, '--limit', '50']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach node dev-1-1 at 127\.0\.0\.1:\d+/);
    expect(r.stderr).toMatch(/0\/50 samples delivered/);
  }, 120_000);

  it('row 2: an only-replica node SIGSTOPped during a run: the CLI exits non-zero while it is still stopped', async () => {
    fx = await startHostsFixture();
    const last = fx.nodes.get('dev-2-0')!.child;
    const timer = setTimeout(() => last.kill('SIGSTOP'), 2500);
    const r = await runCli([
      'run',
      fx.dir,
      '--hosts',
      fx.hostsFile(),
      '--key',
      fx.keyFile,
      '--stall-timeout',
      '2000',
    ]);
    clearTimeout(timer);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/dev-2-0/);
    expect(r.stderr).toMatch(/\d+\/10000 samples delivered/);
  }, 120_000);

  it('row 6: --link against nodes emulating another link is an error naming both', async () => {
    fx = await startHostsFixture((d) => (d === 'dev-2-0' ? ['--link', 'wifi'] : []));
    const plan = fx.plan;
    const samples = datasetSamples(plan, 'fashion-mnist-test', 10);
    await expect(
      runPlan({ plan, samples, hosts: fx.hosts(), key: fx.key, link: 'ble-esp32s3' }),
    ).rejects.toThrow(/node dev-0-0 \(127\.0\.0\.1:\d+\) emulates link none, but --link says ble-esp32s3/);
    // without --link the nodes must agree with each other; which one is named first depends on timing
    const err = await runPlan({ plan, samples, hosts: fx.hosts(), key: fx.key }).catch((e: Error) => e);
    expect(String(err)).toMatch(
      /emulates link (wifi|none), but node dev-\d-\d emulates (none|wifi); nodes of one run/,
    );
    expect(String(err)).toMatch(/dev-2-0/);
  }, 120_000);

  it('row 8: the same address for two devices in hosts.json is rejected naming both', async () => {
    // no node needs to run: the hosts file is refused before any connection
    const dir = writePlanDir(vggSmall({ seed: 10 }), { cuts: [4, 8], replicas: [2, 2, 1] }).dir;
    const hosts = { 'dev-0-0': '127.0.0.1:7101', 'dev-0-1': '127.0.0.1:7102', 'dev-1-0': '127.0.0.1:7103' };
    const file = join(dir, 'dup-hosts.json');
    writeFileSync(
      file,
      JSON.stringify({ ...hosts, 'dev-1-1': '127.0.0.1:7101', 'dev-2-0': '127.0.0.1:7104' }),
    );
    const r = await runCli(['run', dir, '--hosts', file, '--limit', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/devices "dev-0-0" and "dev-1-1" both have address 127\.0\.0\.1:7101/);
  }, 60_000);
});
