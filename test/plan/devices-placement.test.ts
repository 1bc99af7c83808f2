import { describe, expect, it } from 'vitest';
import { getLink, loadDeviceCatalog } from '../../src/catalog/index.js';
import { buildGraph } from '../../src/graph/build.js';
import { mobilenetV2 } from '../../src/graph/builder/architectures.js';
import { loadRssiCurve } from '../../src/plan/inputs.js';
import { profileGraph } from '../../src/profile/profile.js';
import {
  evaluatePlan,
  minimumDevices,
  objectiveValue,
  parseDeviceSpec,
  parseTopology,
  partitionProblem,
  planPipeline,
  PlanInfeasibleError,
  StageCosts,
  throughputFraction,
  topologyPool,
  uniformPool,
} from '../../src/strategy/plan/index.js';
import type { DevicePool, PartitionProblem } from '../../src/strategy/plan/types.js';
import { smallDevice } from './helpers.js';

const catalog = loadDeviceCatalog();
const ble = getLink('ble-esp32s3');
const small = smallDevice();

function problem(weights: number[], cutBytes: number[]): PartitionProblem {
  return {
    model: 'fixture',
    activationBits: 16,
    weightBits: 8,
    nodes: weights.map((w, k) => ({
      name: `n${k}`,
      op: 'Conv',
      macs: 1e5,
      ops: 0,
      weightBytes: w,
      liveBytes: 10_000,
    })),
    cutBytes,
  };
}

function smallPool(count: number): DevicePool {
  return {
    link: ble,
    devices: Array.from({ length: count }, (_, i) => ({ name: `small-${i + 1}`, spec: small })),
  };
}

describe('device specs and topologies', () => {
  it('parses catalog specs with counts into named devices, and rejects unknown ids listing the known ones', () => {
    const d = parseDeviceSpec('esp32s3x2,rpi4bx1', catalog);
    expect(d.map((x) => x.name)).toEqual(['esp32s3-1', 'esp32s3-2', 'rpi4b-1']);
    expect(d[2].spec.id).toBe('rpi4b');
    expect(() => parseDeviceSpec('esp99x2', catalog)).toThrow(/unknown device "esp99".*esp32s3/);
    expect(() => parseDeviceSpec('esp32s3x0', catalog)).toThrow(
      /count '0' in 'esp32s3x0' must be a positive whole number/,
    );
  });

  it('validates topology files naming the field', () => {
    const base = {
      devices: [
        { name: 'a', type: 'esp32s3' },
        { name: 'b', type: 'esp32s3' },
      ],
    };
    expect(() =>
      parseTopology({ ...base, links: [{ between: ['a', 'z'], rssiDbm: -60 }] }, 't.json'),
    ).toThrow(/t\.json: links\[0\]\.between\[1\]: unknown device 'z'/);
    expect(() => parseTopology({ ...base, links: [{ between: ['a', 'b'] }] }, 't.json')).toThrow(
      /t\.json: links\[0\]: give exactly one of rssiDbm or throughputBps/,
    );
    expect(() => parseTopology({ ...base, links: [{ between: ['a', 'b'], rssiDbm: 12 }] }, 't.json')).toThrow(
      /links\[0\]\.rssiDbm: RSSI is a negative dBm value/,
    );
    expect(() =>
      parseTopology(
        {
          devices: [
            { name: 'a', type: 'esp32s3' },
            { name: 'a', type: 'esp32s3' },
          ],
        },
        't.json',
      ),
    ).toThrow(/devices\[1\]\.name: duplicate device name 'a'/);
    expect(() => parseTopology({ ...base, color: 'red' }, 't.json')).toThrow(/unknown field\(s\) color/);
  });

  it('interpolates the documented RSSI curve and scales the link throughput by it', () => {
    const curve = loadRssiCurve();
    const lo = curve.find((p) => p.rssiDbm === -70)!.throughputFraction;
    const hi = curve.find((p) => p.rssiDbm === -60)!.throughputFraction;
    expect(throughputFraction(curve, -65)).toBeCloseTo((lo + hi) / 2, 12);
    expect(throughputFraction(curve, -200)).toBe(curve[0].throughputFraction);
    expect(throughputFraction(curve, -10)).toBe(curve[curve.length - 1].throughputFraction);
    const t = parseTopology(
      {
        devices: [
          { name: 'a', type: 'esp32s3' },
          { name: 'b', type: 'esp32s3' },
        ],
        links: [{ between: ['a', 'b'], rssiDbm: -65 }],
      },
      't.json',
    );
    const pool = topologyPool(t, 't.json', catalog, ble, curve);
    expect(pool.pairLink!('b', 'a')!.link.throughputBps).toBeCloseTo(
      ble.throughputBps * throughputFraction(curve, -65),
      6,
    );
    expect(pool.pairLink!('a', 'c')).toBeUndefined();
  });
});

describe('placement over pairwise links (seed Fig. 9)', () => {
  it('puts the heaviest transfer on the strongest link, and no permutation of devices does better', () => {
    // three stages forced (each node fills a device); the second cut carries 20x the bytes of the first
    const p = problem([200_000, 200_000, 200_000], [0, 1_000, 20_000, 0]);
    const t = parseTopology(
      {
        devices: [
          { name: 'a', type: 'small' },
          { name: 'b', type: 'small' },
          { name: 'c', type: 'small' },
        ],
        links: [
          { between: ['a', 'b'], rssiDbm: -90 },
          { between: ['b', 'c'], rssiDbm: -75 },
          { between: ['a', 'c'], rssiDbm: -50 },
        ],
      },
      't.json',
    );
    const cat = { kind: 'device' as const, entries: new Map([['small', small]]), get: () => small };
    const pool = topologyPool(t, 't.json', cat, ble, loadRssiCurve());
    const r = planPipeline(p, pool, { objective: 'throughput', replicas: 'none', pareto: false });
    expect(r.placement).toBe('exact');
    const order = r.plan.stages.map((s) => s.devices[0]);
    // the heavy 1 -> 2 transfer uses a-c, the strongest pair
    expect(new Set([order[1], order[2]])).toEqual(new Set(['a', 'c']));
    const costs = new StageCosts(p, [small], ble);
    let best = Infinity;
    for (const perm of [
      ['a', 'b', 'c'],
      ['a', 'c', 'b'],
      ['b', 'a', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['c', 'b', 'a'],
    ]) {
      const placed = r.plan.stages.map((s, i) => ({
        start: s.start,
        end: s.end,
        type: 'small',
        replicas: 1,
        devices: [perm[i]],
      }));
      best = Math.min(best, objectiveValue(evaluatePlan(placed, pool, costs).metrics, 'throughput'));
    }
    expect(objectiveValue(r.plan.metrics, 'throughput') / best).toBeCloseTo(1, 12);
  });
});

describe('infeasible requests name the layer and the shortfall in bytes', () => {
  it('a single layer larger than every device', () => {
    const p = problem([100_000, 150_000, 500_000, 50_000], [0, 1, 1, 1, 0]);
    const err = (() => {
      try {
        planPipeline(p, smallPool(8), { objective: 'devices' });
      } catch (e) {
        return e as PlanInfeasibleError;
      }
    })();
    expect(err).toBeInstanceOf(PlanInfeasibleError);
    // 500,000 weights + 20,000 runtime - 230,000 flash
    expect(err!.message).toContain(`node 'n2' (Conv, #2) fits no available device`);
    expect(err!.message).toContain('needs 290,000 B (283.20 KiB) more flash on small');
  });

  it('too few devices: the count needed and the shortfall on the last device', () => {
    const p = problem([150_000, 150_000, 150_000, 150_000], [0, 1, 1, 1, 0]);
    expect(() => planPipeline(p, smallPool(2), { objective: 'latency' })).toThrow(PlanInfeasibleError);
    try {
      planPipeline(p, smallPool(2), { objective: 'latency' });
    } catch (e) {
      const err = e as PlanInfeasibleError;
      expect(err.minimumDevices).toEqual({ small: 4 });
      expect(err.message).toContain('2 device(s) are too few: the model needs at least 4 (4 x small)');
      // small-1 takes n0 (210,000 B <= 230,000); small-2 would need n1..n3: 450,000 + 20,000 - 230,000
      expect(err.message).toContain(`small-2 would have to hold nodes 'n1' (Conv, #1) .. 'n3' (Conv, #3)`);
      expect(err.message).toContain('needs 240,000 B (234.38 KiB) more flash on small-2');
    }
  });
});

describe("the seed's setting: a MobileNet that does not fit one ESP32-S3", () => {
  it('is split over the fewest ESP32-S3s and sends fewer bytes than greedy filling', () => {
    // 10 classes as in the seed (Imagenette); 32-bit weights: 8.9 MB like the seed's model
    const graph = buildGraph(
      mobilenetV2({ size: 64, classes: 10, externalDataFile: 'weights.bin' }),
      'mobilenetv2',
    );
    const profile = profileGraph(graph, { activationBits: 16, weightBits: 32 });
    const esp = catalog.get('esp32s3');
    expect(profile.totals.weightBytes + esp.runtimeOverheadBytes).toBeGreaterThan(esp.flashBytes);
    const p = partitionProblem(graph, profile);
    const pool = uniformPool(parseDeviceSpec('esp32s3x8', catalog), ble);
    const r = planPipeline(p, pool, { objective: 'devices' });
    const min = minimumDevices(new StageCosts(p, [esp], ble))!;
    expect(r.plan.metrics.devices).toBe(min.esp32s3);
    expect(r.plan.metrics.devices).toBeGreaterThan(1);
    expect('infeasible' in r.greedy).toBe(false);
    const greedy = r.greedy as Exclude<typeof r.greedy, { infeasible: string }>;
    expect(greedy.metrics.devices).toBe(r.plan.metrics.devices);
    expect(r.plan.metrics.totalBytes).toBeLessThan(greedy.metrics.totalBytes);
    for (const s of r.plan.stages) {
      expect(s.weightBytes + s.runtimeOverheadBytes).toBeLessThanOrEqual(s.flashBytes);
      expect(s.activationPeakBytes).toBeLessThanOrEqual(s.sramBytes);
    }
  });
});
