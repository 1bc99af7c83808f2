import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeviceCatalog } from '../../src/catalog/index.js';
import { readPipelinePlan } from '../plan/helpers.js';
import { planModelFile } from '../../src/plan/plan-model.js';
import { defaultEmulation, runEmulation } from '../../src/runtime/device-emulation.js';
import {
  checkTimeScale,
  modelledComputeS,
  Pacer,
  planPacing,
  type PacerClock,
} from '../../src/runtime/pacing.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { Radio } from '../../src/transport/link/radio.js';
import { packageRoot } from '../../src/data/package-root.js';

const modelPath = (name: string) => join(packageRoot(), 'models', `${name}.onnx`);

/** A clock that only moves when slept on, recording every sleep. */
function fakeClock(start: number): PacerClock & { sleeps: number[]; t: number } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

describe('device pacing', () => {
  it("derives each stage's compute time exactly as the planner did", async () => {
    const devices = loadDeviceCatalog();
    for (const spec of ['nano33blex4', 'esp32s3x3']) {
      const out = join(mkdtempSync(join(tmpdir(), 'edgesplit-pacing-')), 'plan');
      await planModelFile(modelPath('remote'), {
        devices: spec,
        link: 'ble-esp32s3',
        objective: 'throughput',
        weightBits: 32,
        out,
      });
      const file = readPipelinePlan(out).plan;
      const plan = loadRuntimePlan(out);
      const pacing = planPacing(plan, devices, 4);
      file.stages.forEach((st, k) => {
        expect(modelledComputeS(plan.stages[k], st.type, devices)).toBe(st.computeS);
        for (const d of st.devices) {
          expect(pacing.get(d.name)).toMatchObject({
            computeMs: st.computeS * 1000,
            timeScale: 4,
            device: st.type,
          });
        }
      });
      expect(defaultEmulation(plan, devices)).toBe('devices');
      expect(runEmulation(plan, { mode: 'devices', devices }).link).toBe('ble-esp32s3');
    }
  });

  it('names what is missing when devices cannot be emulated', async () => {
    const devices = loadDeviceCatalog();
    const out = join(mkdtempSync(join(tmpdir(), 'edgesplit-pacing-')), 'plan');
    await planModelFile(modelPath('remote'), {
      devices: 'nano33blex2',
      link: 'ble-esp32s3',
      objective: 'devices',
      weightBits: 32,
      out,
    });
    const plan = loadRuntimePlan(out);
    const untyped = { ...plan, stages: plan.stages.map((s) => ({ ...s, devices: [{ name: 'x' }] })) };
    expect(defaultEmulation(untyped, devices)).toBe('links');
    expect(() => planPacing(untyped, devices, 1)).toThrow(/device x names no catalog device type/);
    expect(() => planPacing(plan, devices, 0)).toThrow(
      /--time-scale must be a number from 0.001 to 1000000, got '0'/,
    );
    expect(() => checkTimeScale(1e-9)).toThrow(/got '1e-9'/);
    expect(() => checkTimeScale(1e308)).toThrow(/--time-scale must be a number from/);
    expect(() => checkTimeScale(Number('abc'), 'abc')).toThrow(/got 'abc'/);
    expect(() => checkTimeScale(1e6)).not.toThrow();
    expect(() => checkTimeScale(1e-3)).not.toThrow();
  });

  it('waits after the inference until max(real, modelled / timeScale) has passed', async () => {
    const clock = fakeClock(1000);
    const pacer = new Pacer({ clock });
    const pacing = { computeMs: 500, timeScale: 10, serial: true, device: 'nano33ble' };
    // inference took 2 ms of a modelled 50 ms (scaled): waits the other 48
    clock.t = 1002;
    expect(await pacer.pace(1000, 1002, pacing)).toEqual({ start: 1000, end: 1050, hostBound: false });
    expect(clock.sleeps).toEqual([48]);
    // a host slower than the scaled device: no wait, and the sample is counted
    clock.t = 1150;
    expect(await pacer.pace(1060, 1150, pacing)).toEqual({ start: 1060, end: 1150, hostBound: true });
    expect(clock.sleeps).toEqual([48]);
    expect(pacer.hostBound).toBe(1);
  });

  it('a serial device computes when its radio is free, after its own sends are on air', async () => {
    const clock = fakeClock(0);
    const radio = new Radio('dev');
    const pacer = new Pacer({ clock, radio, linkTimeScale: 10 });
    radio.reserve(0, 30); // a packet being received until 30
    radio.pendingSend(100);
    const pacing = { computeMs: 200, timeScale: 10, serial: true, device: 'nano33ble' };
    let done = false;
    const paced = pacer.pace(0, 1, pacing).then((r) => ((done = true), r));
    await Promise.resolve();
    expect(done).toBe(false); // 100 bytes still wait to go on air
    radio.reserve(30, 10);
    radio.pendingSend(-100);
    expect(await paced).toEqual({ start: 40, end: 60, hostBound: false });
    expect(clock.t).toBe(60);
    expect(pacer.check({ ...pacing, timeScale: 5 })).toMatch(
      /time scale 5 differs from this node's link time scale 10/,
    );
    expect(pacer.check(pacing)).toBeUndefined();
  });
});
