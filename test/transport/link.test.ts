import { describe, expect, it } from 'vitest';
import { getLink } from '../../src/catalog/index.js';
import { creditScheme } from '../../src/transport/link/credit-scheme.js';
import { emulateLink } from '../../src/transport/link/emulated-link.js';
import { linkParamsFromSpec } from '../../src/transport/link/params.js';
import { windowScheme } from '../../src/transport/link/window-scheme.js';
import { createMemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { pattern, runLinkContract, TEST_BLE, TEST_PAYLOAD, transfer } from './link.contract.js';
import type { TensorFrame } from '../../src/transport/codec/frame.js';

const BLE = TEST_BLE;
const PAYLOAD = TEST_PAYLOAD;

runLinkContract('credit', creditScheme);
runLinkContract('window-3', () => windowScheme(3));
runLinkContract('window-9 (larger than the buffer)', () => windowScheme(9));

describe('receiver buffer', () => {
  const data = [pattern(40 * PAYLOAD, 9)];

  it('window-N larger than the buffer loses packets there (counted) and recovers by resending windows', async () => {
    const { got, tx, rx } = await transfer(BLE, () => windowScheme(10), data);
    expect(got.equals(data[0])).toBe(true);
    expect(rx.stats().bufferDrops).toBeGreaterThan(0);
    expect(tx.stats().timeouts).toBeGreaterThan(0);
    expect(tx.stats().retransmissions).toBeGreaterThanOrEqual(rx.stats().bufferDrops);
  });

  it('window-N within the buffer, and the credit scheme, never overflow it', async () => {
    for (const scheme of [() => windowScheme(4), creditScheme]) {
      const { got, tx, rx } = await transfer(BLE, scheme, data);
      expect(got.equals(data[0])).toBe(true);
      expect(rx.stats().bufferDrops).toBe(0);
      expect(tx.stats().newPackets).toBe(40);
    }
  });
});

describe('link parameters', () => {
  it('adapts the catalog BLE entry (517-byte packets, 3-byte header, 90 kb/s)', () => {
    const p = linkParamsFromSpec(getLink('ble-esp32s3'));
    expect(p).toMatchObject({ packetBytes: 517, headerBytes: 3, throughputBps: 90_000 });
    expect(p.bufferPackets).toBe(getLink('ble-esp32s3').bufferPackets);
    expect(linkParamsFromSpec(getLink('ble-esp32s3'), { lossRate: 0.1 }).lossRate).toBe(0.1);
  });
  it('rejects unusable values naming the field', () => {
    const spec = { id: 'x', throughputBps: 1000, mtuBytes: 7, headerBytes: 3, latencyS: 0 };
    expect(() => linkParamsFromSpec(spec)).toThrow(/link x: packetBytes leaves no payload/);
    expect(() => linkParamsFromSpec({ ...spec, mtuBytes: 100 }, { lossRate: 1 })).toThrow(
      /lossRate must be in \[0, 1\)/,
    );
    expect(() => linkParamsFromSpec({ ...spec, mtuBytes: Infinity })).toThrow(/packetBytes must be a finite/);
    expect(() => linkParamsFromSpec({ ...spec, mtuBytes: 100 }, { bufferPackets: 0 })).toThrow(
      /bufferPackets/,
    );
  });
});

describe('framed connection over an emulated link', () => {
  it('carries authenticated tensor frames with credit flow control on top', async () => {
    const t = createMemoryTransport();
    const wrap = (raw: Parameters<typeof emulateLink>[0]) =>
      emulateLink(raw, {
        params: { ...BLE, lossRate: 0.05 },
        scheme: { kind: 'credit' },
        timeScale: 0.01,
        seed: 3,
      });
    const key = Buffer.alloc(16, 4);
    let server!: (c: import('../../src/transport/transport.js').Connection) => void;
    const serverConn = new Promise<import('../../src/transport/transport.js').Connection>(
      (r) => (server = r),
    );
    const l = await t.listen({
      host: 'hub',
      port: 1,
      key,
      wrap,
      log: () => undefined,
      window: { frames: 2, bytes: 1 << 20 },
      onConnection: server,
    });
    const client = await t.connect({ host: 'hub', port: 1, key, wrap, log: () => undefined });
    const s = await serverConn;
    const data = new Float32Array(700).map((_, i) => i / 7);
    const sends = [0, 1, 2, 3].map((seq) =>
      client.send({
        type: 'tensor',
        streamId: 1,
        seq,
        name: 'act',
        tensor: { dtype: 'float32', dims: [700], data },
        wire: seq % 2 ? 'int8' : 'fp32',
      }),
    );
    const got: TensorFrame[] = [];
    for (let i = 0; i < 4; i++) got.push((await s.receive()) as TensorFrame);
    await Promise.all(sends);
    expect(got.map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    expect(Array.from(got[0].tensor.data as Float32Array)).toEqual(Array.from(data));
    expect(client.stats().maxInFlightFrames).toBeLessThanOrEqual(2);
    expect(s.authenticated).toBe(true);
    await l.close();
  });
});
