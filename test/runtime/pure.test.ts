import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/runtime/address.js';
import { estimateOffset, toCoordinatorMs } from '../../src/runtime/clock.js';
import { tensorFrameBytes } from '../../src/runtime/frame-size.js';
import { RecordSealer } from '../../src/transport/auth/record-layer.js';
import { parseHostsFile } from '../../src/runtime/node-pool.js';
import { ReorderBuffer } from '../../src/runtime/reorder.js';
import { ReplicaPicker } from '../../src/runtime/replica-picker.js';
import { stageRoutes, type RuntimePlan, type RuntimeTensor } from '../../src/runtime/routes.js';
import { quantile, summarise, type RunRecords } from '../../src/runtime/summary.js';
import { buildTrace } from '../../src/runtime/trace.js';
import { encodeFrame, type TensorFrame } from '../../src/transport/codec/frame.js';

const t = (name: string, wire: RuntimeTensor['wire'] = 'fp32'): RuntimeTensor => ({
  name,
  dtype: 'float32',
  shape: ['N', 4],
  wire,
});

/** x -> [s0] -> a, b ; a -> [s1] -> c ; b, c -> [s2] -> out: b skips stage 1. */
const skipPlan: RuntimePlan = {
  dir: '/plans/skip',
  graphInputs: [t('x')],
  graphOutputs: ['out'],
  stages: [
    {
      id: 's0',
      modelPath: 'm0',
      inputs: [t('x')],
      outputs: [t('a', 'fp16'), t('b', 'int8')],
      devices: [{ name: 'd0' }],
    },
    {
      id: 's1',
      modelPath: 'm1',
      inputs: [t('a')],
      outputs: [t('c')],
      devices: [{ name: 'd1' }, { name: 'd1b' }],
    },
    { id: 's2', modelPath: 'm2', inputs: [t('b'), t('c')], outputs: [t('out')], devices: [{ name: 'd2' }] },
  ],
};

describe('reorder buffer', () => {
  it('releases in seq order, keeps the first result of a seq and counts duplicates', () => {
    const r = new ReorderBuffer<string>();
    expect(r.push(2, 'c')).toEqual([]);
    expect(r.push(0, 'a')).toEqual(['a']);
    expect(r.push(2, 'c2')).toEqual([]);
    expect(r.push(1, 'b')).toEqual(['b', 'c']);
    expect(r.push(0, 'a2')).toEqual([]);
    expect(r.released).toBe(3);
    expect(r.duplicates).toBe(2);
    expect(r.has(1)).toBe(true);
    expect(r.has(3)).toBe(false);
    expect(() => r.push(-1, 'x')).toThrow(/non-negative/);
  });
});

describe('replica picker', () => {
  it('round-robin cycles; least-loaded takes the minimum and rotates among ties', () => {
    const rr = new ReplicaPicker('round-robin');
    expect([0, 1, 2, 3].map(() => rr.pick(3, () => 0))).toEqual([0, 1, 2, 0]);
    const ll = new ReplicaPicker('least-loaded');
    const loads = [5, 1, 3];
    expect(ll.pick(3, (i) => loads[i])).toBe(1);
    expect(new Set([0, 1, 2, 3].map(() => ll.pick(2, () => 0)))).toEqual(new Set([0, 1]));
    expect(ll.pick(0, () => 0)).toBe(-1);
  });
});

describe('clock offsets', () => {
  it('uses the ping with the smallest round trip', () => {
    const trueOffset = 1234.5;
    const pings = [
      { t0: 0, t1: 6 + trueOffset, t3: 10 },
      { t0: 20, t1: 21 + trueOffset, t3: 22 },
      { t0: 30, t1: 31 + trueOffset, t3: 40 },
    ];
    const o = estimateOffset(pings);
    expect(o.rttMs).toBe(2);
    expect(o.offsetMs).toBe(trueOffset);
    expect(toCoordinatorMs(100 + trueOffset, o)).toBe(100);
    expect(() => estimateOffset([])).toThrow();
  });
});

describe('stage routes', () => {
  it('passes a skip tensor through the middle stage, keeping its producer wire precision', () => {
    const r = stageRoutes(skipPlan);
    expect(r[0]).toEqual({
      expects: ['x'],
      modelInputs: ['x'],
      sends: [
        { name: 'b', wire: 'int8' },
        { name: 'a', wire: 'fp16' },
      ],
    });
    expect(new Set(r[1].expects)).toEqual(new Set(['a', 'b']));
    expect(r[1].modelInputs).toEqual(['a']);
    expect(r[1].sends).toEqual([
      { name: 'b', wire: 'int8' },
      { name: 'c', wire: 'fp32' },
    ]);
    expect(r[2].sends).toEqual([{ name: 'out', wire: 'fp32' }]);
  });
  it('rejects a stage reading a tensor nobody provides, naming it', () => {
    const bad = {
      ...skipPlan,
      stages: [skipPlan.stages[0], { ...skipPlan.stages[1], inputs: [t('ghost')] }, skipPlan.stages[2]],
    };
    expect(() => stageRoutes(bad)).toThrow(/stage s1 reads 'ghost'/);
    expect(() => stageRoutes({ ...skipPlan, graphOutputs: ['nope'] })).toThrow(/graph output 'nope'/);
  });
});

describe('plan.json, hosts file, addresses, frame sizes', () => {
  it('validates hosts files and addresses', () => {
    expect(parseHostsFile({ a: '10.0.0.2:7000' }, 'h.json').get('a')).toBe('10.0.0.2:7000');
    expect(() => parseHostsFile({ a: 'nohost' }, 'h.json')).toThrow(/h\.json: device "a"/);
    expect(() => parseHostsFile([1], 'h.json')).toThrow(/h\.json/);
    expect(parseAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseAddress('x:70000')).toThrow(/port/);
  });
  it('computes encoded tensor frame sizes exactly', () => {
    for (const wire of ['fp32', 'fp16', 'int8', 'int16'] as const) {
      const f: TensorFrame = {
        type: 'tensor',
        streamId: 3,
        seq: 9,
        name: 'feat/1',
        tensor: { dtype: 'float32', dims: [1, 3, 5], data: new Float32Array(15).fill(0.5) },
        wire,
      };
      expect(tensorFrameBytes(f, false)).toBe(encodeFrame(f).length);
      expect(tensorFrameBytes(f, true)).toBe(
        // keyed ends agree to no-crc: the record carries the frame without its CRC32
        new RecordSealer(new Uint8Array(32)).seal(encodeFrame(f, false)).length,
      );
    }
  });
});

describe('summary and trace', () => {
  const plan: RuntimePlan = {
    dir: '/p',
    graphInputs: [t('x')],
    graphOutputs: ['y'],
    stages: [{ id: '0', modelPath: 'm', inputs: [t('x')], outputs: [t('y')], devices: [{ name: 'd' }] }],
  };
  const records: RunRecords = {
    startMs: 1000,
    endMs: 1010,
    sends: [0, 1].map((seq) => ({
      epoch: 1,
      seq,
      sendStart: 1000 + seq,
      sendEnd: 1000.5 + seq,
      bytes: 100,
      target: 'd',
    })),
    nodes: [0, 1].map((seq) => ({
      stageIndex: 0,
      device: 'd',
      epoch: 1,
      seq,
      received: 1001 + seq,
      inferStart: 1002 + seq,
      inferEnd: 1004 + seq,
      sendStart: 1004 + seq,
      sendEnd: 1005 + seq,
      bytes: 50,
      target: 'coordinator',
    })),
    arrivals: [0, 1].map((seq) => ({ epoch: 1, seq, ms: 1006 + seq, from: 'd' })),
    firstSendMs: [1000, 1001],
    doneMs: [1006, 1007],
  };
  it('derives latency, throughput, per-stage times, bytes per link and the compute/communication split', () => {
    const s = summarise(plan, records);
    expect(s.throughputPerS).toBeCloseTo(200);
    expect(s.latencyMs.p50).toBe(6);
    expect(s.stages[0]).toMatchObject({
      processed: 2,
      receiveMs: 1,
      queueMs: 1,
      computeMs: 2,
      sendMs: 1,
      bytesPerSample: 50,
    });
    expect(s.links.map((l) => l.bytes)).toEqual([200, 100]);
    expect(s.links.map((l) => l.communicationMs)).toEqual([1, 2]);
    expect(s.split).toMatchObject({ computeMs: 4, communicationMs: 6, ratio: 1.5 });
    expect(s.boundThroughputPerS).toBe(500);
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
  });
  it('writes Chrome trace events in microseconds from the first send', () => {
    const doc = buildTrace(records, new Map([['d', '0']]));
    const infer = doc.traceEvents.filter((e) => e.cat === 'inference');
    expect(infer.map((e) => [e.ts, e.dur])).toEqual([
      [2000, 2000],
      [3000, 2000],
    ]);
    expect(doc.traceEvents.find((e) => e.ph === 'M' && e.pid === 2)?.args).toEqual({ name: 'd (stage 0)' });
  });
});
