import { describe, expect, it } from 'vitest';
import { getLink } from '../../src/catalog/index.js';
import {
  emulateLink,
  type DeliveryScheme,
  type EmulatedLink,
} from '../../src/transport/link/emulated-link.js';
import { LINK_SEQ_BYTES, linkParamsFromSpec, type LinkParams } from '../../src/transport/link/params.js';
import { createMemoryTransport, memoryPipe } from '../../src/transport/memory/memory-transport.js';
import type { TensorFrame } from '../../src/transport/codec/frame.js';

const BLE: LinkParams = {
  id: 'test-ble',
  packetBytes: 517,
  headerBytes: 3,
  throughputBps: 90_000,
  airBps: 1_000_000,
  latencyMs: 7.5,
  lossRate: 0,
  bufferPackets: 4,
  serviceJitter: 0,
};
const PAYLOAD = 517 - 3 - LINK_SEQ_BYTES;

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Sends `writes` through an emulated pair; resolves with what the far end received and both ends' links. */
async function transfer(
  params: LinkParams,
  scheme: DeliveryScheme,
  writes: Buffer[],
  seed = 1,
): Promise<{ got: Buffer; tx: EmulatedLink; rx: EmulatedLink }> {
  const [a, b] = memoryPipe(['a', 'b']);
  const tx = emulateLink(a, { params, scheme, timeScale: 0.01, seed });
  const rx = emulateLink(b, { params, scheme, timeScale: 0.01, seed: seed + 1 });
  const total = writes.reduce((s, w) => s + w.length, 0);
  const chunks: Buffer[] = [];
  let got = 0;
  const done = new Promise<void>((resolve) =>
    rx.start({
      data: (c) => {
        chunks.push(c);
        got += c.length;
        if (got >= total) resolve();
      },
      close: () => resolve(),
    }),
  );
  tx.start({ data: () => undefined, close: () => undefined });
  for (const w of writes) await tx.write(w);
  await done;
  return { got: Buffer.concat(chunks), tx, rx };
}

/** The contract both delivery schemes meet: everything exactly once, in order, even with loss. */
function runLinkContract(name: string, scheme: DeliveryScheme): void {
  describe(`link contract: ${name}`, () => {
    it('delivers every byte exactly once and in order through seeded loss', async () => {
      const writes = [pattern(3 * PAYLOAD + 17, 1), pattern(10, 2), pattern(20 * PAYLOAD, 3)];
      const { got, tx, rx } = await transfer({ ...BLE, lossRate: 0.15 }, scheme, writes, 5);
      expect(got.equals(Buffer.concat(writes))).toBe(true);
      const s = tx.stats();
      expect(s.lostOnAir).toBeGreaterThan(0);
      expect(s.retransmissions).toBeGreaterThanOrEqual(s.lostOnAir);
      expect(rx.stats().bytesDelivered).toBe(Buffer.concat(writes).length);
      expect(rx.stats().packetsDelivered).toBe(s.newPackets);
    });

    it('chunks into packets of at most the link payload', async () => {
      const writes = [pattern(5 * PAYLOAD, 4)];
      const { tx, rx } = await transfer(BLE, scheme, writes);
      expect(tx.stats().newPackets).toBe(5);
      expect(rx.stats().packetsDelivered).toBe(5);
      expect(tx.stats().lostOnAir).toBe(0);
    });
  });
}

runLinkContract('credit', { kind: 'credit' });
runLinkContract('window-3', { kind: 'window', n: 3 });
runLinkContract('window-9 (larger than the buffer)', { kind: 'window', n: 9 });

describe('receiver buffer', () => {
  const data = [pattern(40 * PAYLOAD, 9)];

  it('window-N larger than the buffer loses packets there (counted) and recovers by resending windows', async () => {
    const { got, tx, rx } = await transfer(BLE, { kind: 'window', n: 10 }, data);
    expect(got.equals(data[0])).toBe(true);
    expect(rx.stats().bufferDrops).toBeGreaterThan(0);
    expect(tx.stats().timeouts).toBeGreaterThan(0);
    expect(tx.stats().retransmissions).toBeGreaterThanOrEqual(rx.stats().bufferDrops);
  });

  it('window-N within the buffer, and the credit scheme, never overflow it', async () => {
    for (const scheme of [{ kind: 'window', n: 4 }, { kind: 'credit' }] as const) {
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
