import { describe, expect, it } from 'vitest';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import type { RunRecords } from '../../src/runtime/summary.js';
import { summarise } from '../../src/runtime/summary.js';
import {
  loadedLatencyMs,
  loadedThroughputPerS,
  scaleRecords,
  scaleSummary,
  twinPair,
  transferMs,
  twinReport,
} from '../../src/runtime/twin-report.js';
import { stageAir } from '../../src/runtime/link-air.js';

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
    // window 1: at most one sample per plan latency (0.35 s), below the plan's 4/s
    expect(t.throughputPerS.predicted).toBeCloseTo(1 / 0.35, 9);
    expect(t.throughputPerS.ratio).toBeCloseTo(4 * 0.35, 9);
    expect(twinReport(plan, summary, energy, 10, 2).throughputPerS.ratio).toBeCloseTo(1, 9);
    expect(t.latencyP50Ms.predicted).toBe(350);
    expect(t.latencyP50Ms.measured).toBeCloseTo(360, 9);
    expect(t.communicationShare.predicted).toBeCloseTo(0.05 / 0.35, 9);
    expect(t.communicationShare.measured).toBeCloseTo(50 / 350, 9);
    expect(t.energyPerSampleJ.ratio).toBeCloseTo(1.1, 9);
    expect(t.stages[0].queueMs.ratio).toBeNull();
  });

  it("counts a hop's transfer from the links' air time, the rest of the hop as waiting", () => {
    const summary = summarise(plan, scaleRecords(records(), 10));
    const energy = { unavailable: 'test' };
    const air = {
      // two samples sent: 4 ms of own packets and 0.5 ms of credits back, real time (x 10 in deployment)
      stages: [
        { sentMs: 4, feedbackMs: 0.5, packets: 3, retransmissions: 0, bytes: 200, samples: 2 },
        undefined,
      ],
      latencyMs: 5,
    };
    expect(transferMs(air, 0, 10)).toBeCloseTo(27.5, 9);
    expect(transferMs(air, 1, 10)).toBeUndefined();
    const t = twinReport(plan, summary, energy, 10, 1, air);
    const [s0, s1] = t.stages;
    expect(s0.sendBasis).toBe('air');
    expect(s0.sendMs).toMatchObject({ predicted: 50, measured: 27.5 });
    expect(s0.hopMs.measured).toBeCloseTo(50, 9);
    expect(s0.hopWaitMs.measured).toBeCloseTo(22.5, 9);
    expect(s1.receiveMs.measured).toBeCloseTo(27.5, 9);
    expect(t.communicationShare.measured).toBeCloseTo(27.5 / (300 + 27.5), 9);
    expect(t.basis).toMatch(/air time/);
    // without air counts the hop stands in, and says so
    const hop = twinReport(plan, summary, energy, 10, 1, { stages: [undefined, undefined], latencyMs: 5 });
    expect(hop.stages[0].sendBasis).toBe('hop');
    expect(hop.stages[0].sendMs.measured).toBeCloseTo(50, 9);
    expect(hop.basis).toMatch(/links not emulated/);
  });

  it("says a DAG plan's whole-run ratios count coordinator messages the run does not emulate", () => {
    const summary = summarise(plan, scaleRecords(records(), 10));
    const energy = { unavailable: 'test' };
    const air = { stages: [undefined, undefined], latencyMs: 5 };
    const chain = twinReport(plan, summary, energy, 10, 1, air).basis;
    const dag = twinReport({ ...plan, topology: 'dag' }, summary, energy, 10, 1, air).basis;
    expect(chain).toMatch(/sends to the coordinator, which the plan does not count/);
    expect(dag).not.toMatch(/which the plan does not count/);
    expect(dag).toMatch(/counts the coordinator's messages.*which a run does not emulate/);
    expect(dag).toMatch(/no deployment prediction/);
  });

  it('sums the air of a stage over its nodes and ignores nodes that reported none', () => {
    const a = { sentMs: 1, feedbackMs: 0.25, packets: 2, retransmissions: 1, bytes: 10 };
    const s = stageAir(3, [
      { stageIndex: 0, processed: 3, air: a },
      { stageIndex: 0, processed: 5, air: a },
      { stageIndex: 1, processed: 4 },
      { stageIndex: 7, processed: 1, air: a },
    ]);
    expect(s[0]).toEqual({
      sentMs: 2,
      feedbackMs: 0.5,
      packets: 4,
      retransmissions: 2,
      bytes: 20,
      samples: 8,
    });
    expect(s[1]).toBeUndefined();
    expect(s[2]).toBeUndefined();
  });

  it("predicts latency and throughput with samples in flight by Little's law, and leaves ratios out without predictions", () => {
    expect(loadedLatencyMs(plan, 1)).toBe(350);
    expect(loadedLatencyMs(plan, 10)).toBe(2500);
    expect(loadedLatencyMs({ ...plan, predictedLatencyS: undefined }, 3)).toBeUndefined();
    // throughput: at most window / plan latency (0.35 s), never above the plan's 4/s
    expect(loadedThroughputPerS(plan, 1)).toBeCloseTo(1 / 0.35, 9);
    expect(loadedThroughputPerS(plan, 10)).toBe(4);
    expect(loadedThroughputPerS({ ...plan, predictedLatencyS: undefined }, 1)).toBe(4);
    expect(loadedThroughputPerS({ ...plan, predictedThroughputPerS: undefined }, 1)).toBeUndefined();
    expect(twinPair(undefined, 3)).toEqual({ predicted: null, measured: 3, ratio: null });
    expect(twinPair(0, 3).ratio).toBeNull();
  });
});
