import { describe, expect, it } from 'vitest';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import type { RunRecords } from '../../src/runtime/summary.js';
import { summarise } from '../../src/runtime/summary.js';
import {
  loadedLatencyMs,
  scaleRecords,
  scaleSummary,
  twinPair,
  twinReport,
} from '../../src/runtime/twin-report.js';

const plan: RuntimePlan = {
  dir: '/p',
  stages: [
    {
      id: '0',
      modelPath: '/p/0.onnx',
      inputs: [],
      outputs: [],
      devices: [{ name: 'a', type: 'nano33ble' }],
      predictedComputeS: 0.1,
      predictedSendS: 0.05,
      predictedRecvS: 0,
      predictedEnergyJ: 0.002,
    },
    {
      id: '1',
      modelPath: '/p/1.onnx',
      inputs: [],
      outputs: [],
      devices: [{ name: 'b', type: 'nano33ble' }],
      predictedComputeS: 0.2,
      predictedSendS: 0,
      predictedRecvS: 0.05,
      predictedEnergyJ: 0.001,
    },
  ],
  graphInputs: [],
  graphOutputs: ['y'],
  predictedThroughputPerS: 4,
  predictedLatencyS: 0.35,
};

/** Two samples through two stages, at a pace ten times faster than the plan (ms). */
function records(): RunRecords {
  const nodes = [0, 1].flatMap((seq) => {
    const t = 1000 + seq * 25;
    return [
      {
        stageIndex: 0,
        device: 'a',
        epoch: 1,
        seq,
        received: t + 1,
        inferStart: t + 1,
        inferEnd: t + 11,
        sendStart: t + 11,
        sendEnd: t + 12,
        bytes: 100,
        target: 'b',
      },
      {
        stageIndex: 1,
        device: 'b',
        epoch: 1,
        seq,
        received: t + 16,
        inferStart: t + 16,
        inferEnd: t + 36,
        sendStart: t + 36,
        sendEnd: t + 36,
        bytes: 40,
        target: 'coordinator',
      },
    ];
  });
  return {
    startMs: 1000,
    endMs: 1061,
    nodes,
    sends: [0, 1].map((seq) => ({
      epoch: 1,
      seq,
      sendStart: 1000 + seq * 25,
      sendEnd: 1000 + seq * 25,
      bytes: 10,
      target: 'a',
    })),
    arrivals: [0, 1].map((seq) => ({ epoch: 1, seq, ms: 1036 + seq * 25, from: 'b' })),
    firstSendMs: [1000, 1025],
    doneMs: [1036, 1061],
  };
}

describe('twin report', () => {
  it('scales every instant back to deployment time around the start', () => {
    const s = scaleRecords(records(), 10);
    expect(s.startMs).toBe(1000);
    expect(s.endMs).toBe(1610);
    expect(s.nodes[0]).toMatchObject({ inferStart: 1010, inferEnd: 1110 });
    expect(s.doneMs).toEqual([1360, 1610]);
    expect(summarise(plan, s).steadyThroughputPerS).toBeCloseTo(4, 9);
  });

  it('scales a summary exactly as summarising the scaled records does', () => {
    const direct = summarise(plan, scaleRecords(records(), 10));
    const scaled = scaleSummary(summarise(plan, records()), 10);
    expect(scaled.latencyMs.p50).toBeCloseTo(direct.latencyMs.p50, 9);
    expect(scaled.latencyMs.max).toBeCloseTo(direct.latencyMs.max, 9);
    expect(scaled.wallMs).toBeCloseTo(direct.wallMs, 9);
    expect(scaled.throughputPerS).toBeCloseTo(direct.throughputPerS, 9);
    expect(scaled.steadyThroughputPerS).toBeCloseTo(direct.steadyThroughputPerS, 9);
    expect(scaled.boundThroughputPerS).toBeCloseTo(direct.boundThroughputPerS, 9);
    expect(scaled.split.communicationFraction).toBeCloseTo(direct.split.communicationFraction, 9);
    scaled.stages.forEach((st, k) => {
      expect(st.computeMs).toBeCloseTo(direct.stages[k].computeMs, 9);
      expect(st.receiveMs).toBeCloseTo(direct.stages[k].receiveMs, 9);
      expect(st.queueMs).toBeCloseTo(direct.stages[k].queueMs, 9);
      expect(st.sendMs).toBeCloseTo(direct.stages[k].sendMs, 9);
    });
    scaled.links.forEach((l, h) => expect(l.communicationMs).toBeCloseTo(direct.links[h].communicationMs, 9));
  });

  it('puts measured next to predicted with ratios per stage and per run', () => {
    const r = scaleRecords(records(), 10);
    const summary = summarise(plan, r);
    const energy = {
      perSampleJ: 0.0033,
      computeJ: 0,
      communicationJ: 0,
      link: 'x',
      stages: [],
      hops: [],
      basis: '',
    };
    const t = twinReport(plan, summary, energy, 10, 1);
    expect(t.stages[0].computeMs).toEqual({ predicted: 100, measured: 100, ratio: 1 });
    expect(t.stages[1].computeMs.ratio).toBeCloseTo(1, 9);
    expect(t.stages[0].sendMs.predicted).toBe(50);
    expect(t.stages[0].sendMs.measured).toBeCloseTo(50, 9);
    expect(t.stages[1].receiveMs.measured).toBeCloseTo(50, 9);
    expect(t.throughputPerS.ratio).toBeCloseTo(1, 9);
    expect(t.latencyP50Ms.predicted).toBe(350);
    expect(t.latencyP50Ms.measured).toBeCloseTo(360, 9);
    expect(t.communicationShare.predicted).toBeCloseTo(0.05 / 0.35, 9);
    expect(t.communicationShare.measured).toBeCloseTo(50 / 350, 9);
    expect(t.energyPerSampleJ.ratio).toBeCloseTo(1.1, 9);
    expect(t.stages[0].queueMs.ratio).toBeNull();
  });

  it('predicts latency with samples in flight by Little law, and leaves ratios out without predictions', () => {
    expect(loadedLatencyMs(plan, 1)).toBe(350);
    expect(loadedLatencyMs(plan, 10)).toBe(2500);
    expect(loadedLatencyMs({ ...plan, predictedLatencyS: undefined }, 3)).toBeUndefined();
    expect(twinPair(undefined, 3)).toEqual({ predicted: null, measured: 3, ratio: null });
    expect(twinPair(0, 3).ratio).toBeNull();
  });
});
