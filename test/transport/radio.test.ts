import { describe, expect, it } from 'vitest';
import { creditScheme } from '../../src/transport/link/credit-scheme.js';
import { LINK_SEQ_BYTES } from '../../src/transport/link/params.js';
import { Radio } from '../../src/transport/link/radio.js';
import { pattern, TEST_BLE, TEST_PAYLOAD, transfer } from './link.contract.js';

describe('Radio (one shared budget per device)', () => {
  it('hands out disjoint slots, filling gaps left by reservations made ahead', () => {
    const r = new Radio('d');
    expect(r.reserve(10, 5)).toEqual({ start: 10, end: 15 });
    expect(r.reserve(0, 4)).toEqual({ start: 0, end: 4 });
    expect(r.reserve(0, 4)).toEqual({ start: 4, end: 8 });
    // 2 ms left before 10 is too short for 3: goes after the busy 10..15
    expect(r.reserve(8, 3)).toEqual({ start: 15, end: 18 });
    expect(r.reserve(8, 2)).toEqual({ start: 8, end: 10 });
    expect(r.stats()).toMatchObject({ reservations: 5, busyMs: 18, firstStart: 0, lastEnd: 18 });
  });

  it('two connections reserving at the same instants share the rate: the span is the sum', () => {
    const r = new Radio('d');
    const slots = [];
    for (let i = 0; i < 50; i++) slots.push(r.reserve(i, 1.5), r.reserve(i, 1.5));
    const sorted = slots.sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);
    expect(sorted[sorted.length - 1].end - sorted[0].start).toBeCloseTo(150, 9);
  });
});

describe('emulated links of one device', () => {
  const packets = 30;
  const params = { ...TEST_BLE, bufferPackets: 6 };
  /** Payload bits per second of both transfers over the emulated span from the first slot to the last delivery. */
  async function twoAtOnce(shared: boolean): Promise<{ bps: number; radio: Radio; retransmissions: number }> {
    const radio = new Radio('sender');
    const one = shared ? radio : new Radio('sender-a');
    const two = shared ? radio : new Radio('sender-b');
    const a = [pattern(packets * TEST_PAYLOAD, 1)];
    const b = [pattern(packets * TEST_PAYLOAD, 2)];
    // both writes are issued in the same tick, so both connections want the air from the same instant
    const [ra, rb] = await Promise.all([
      transfer(params, creditScheme, a, { txRadio: one, timeScale: 0.1, seed: 1 }),
      transfer(params, creditScheme, b, { txRadio: two, timeScale: 0.1, seed: 2 }),
    ]);
    expect(ra.got.equals(a[0]) && rb.got.equals(b[0])).toBe(true);
    const first = Math.min(one.stats().firstStart, two.stats().firstStart);
    const last = Math.max(ra.rx.stats().lastDeliveryAt, rb.rx.stats().lastDeliveryAt);
    const bytes = ra.rx.stats().bytesDelivered + rb.rx.stats().bytesDelivered;
    // emulated ms are scaled by timeScale: convert back to deployment seconds
    const retransmissions = ra.tx.stats().retransmissions + rb.tx.stats().retransmissions;
    return { bps: (bytes * 8) / ((last - first) / 0.1 / 1000), radio, retransmissions };
  }

  it('a device with two connections sending concurrently gets its radio rate once, not twice', async () => {
    const radioPayloadBps = (params.throughputBps * TEST_PAYLOAD) / (TEST_PAYLOAD + LINK_SEQ_BYTES);
    const shared = await twoAtOnce(true);
    const separate = await twoAtOnce(false);
    expect(shared.bps).toBeLessThanOrEqual(radioPayloadBps * 1.0001);
    expect(shared.bps).toBeGreaterThan(radioPayloadBps * 0.9);
    // without the shared radio each connection had the whole rate
    expect(separate.bps).toBeGreaterThan(radioPayloadBps * 1.3);
    // one reservation per transmission (a loaded host can delay the receiver into a retransmission)
    expect(shared.radio.stats().reservations).toBe(2 * packets + shared.retransmissions);
  });
});

describe('a hop between two devices with radios', () => {
  it('occupies each radio for the air time once: n packets take n service times plus the latency', async () => {
    const tx = new Radio('a');
    const rx = new Radio('b');
    const n = 12;
    const r = await transfer(TEST_BLE, creditScheme, [pattern(n * TEST_PAYLOAD, 3)], {
      txRadio: tx,
      rxRadio: rx,
      timeScale: 0.1,
    });
    const serviceMs = (((TEST_PAYLOAD + LINK_SEQ_BYTES) * 8) / TEST_BLE.throughputBps) * 1000 * 0.1;
    const hop = r.rx.stats().lastDeliveryAt - tx.stats().firstStart;
    expect(hop).toBeGreaterThanOrEqual(n * serviceMs + TEST_BLE.latencyMs * 0.1 - 1e-3);
    // the receiving radio was busy while the packets were on air, not for a second service time after each
    expect(hop).toBeLessThan((n + 0.5) * serviceMs + TEST_BLE.latencyMs * 0.1);
    expect(rx.stats().busyMs).toBeCloseTo(tx.stats().busyMs, 6);
  });
});

describe('air time a link counts (what the twin reports as a hop transfer)', () => {
  const timeScale = 0.1;
  const serviceMs = (((TEST_PAYLOAD + LINK_SEQ_BYTES) * 8) / TEST_BLE.throughputBps) * 1000 * timeScale;

  it('counts every transmission once, retransmissions of lost packets included', async () => {
    const n = 10;
    const lossy = { ...TEST_BLE, lossRate: 0.25 };
    const r = await transfer(lossy, creditScheme, [pattern(n * TEST_PAYLOAD, 4)], {
      txRadio: new Radio('a'),
      rxRadio: new Radio('b'),
      timeScale,
      seed: 3,
    });
    const s = r.tx.stats();
    expect(s.retransmissions).toBeGreaterThan(0);
    expect(s.airSentMs).toBeCloseTo(s.packetsSent * serviceMs, 6);
    expect(r.rx.stats().airReceivedMs).toBeCloseTo(n * serviceMs, 6);
  });

  it('does not count waiting: a receiver busy computing delays delivery, not the air time', async () => {
    const n = 6;
    const rx = new Radio('b');
    // the receiving device computes for 40 service times from now: the packets wait in its buffer
    rx.reserve(performance.timeOrigin + performance.now(), 40 * serviceMs);
    const start = performance.timeOrigin + performance.now();
    const r = await transfer(TEST_BLE, creditScheme, [pattern(n * TEST_PAYLOAD, 5)], {
      txRadio: new Radio('a'),
      rxRadio: rx,
      timeScale,
    });
    expect(r.rx.stats().lastDeliveryAt - start).toBeGreaterThan(40 * serviceMs);
    // the hop took over 40 service times, the air time stays that of the packets sent
    expect(r.tx.stats().airSentMs).toBeCloseTo(r.tx.stats().packetsSent * serviceMs, 6);
    expect(r.tx.stats().packetsSent).toBeLessThan(2 * n);
  });
});
