/**
 * The contract every delivery scheme of the link emulation meets (run by link.test.ts for each):
 * every byte exactly once and in order, through seeded loss, through a receiver buffer smaller than
 * what the sender would put on air, with jittered service, and over a device radio shared by links.
 */
import { describe, expect, it } from 'vitest';
import { emulateLink, type EmulatedLink } from '../../src/transport/link/emulated-link.js';
import { LINK_SEQ_BYTES, type LinkParams } from '../../src/transport/link/params.js';
import { Radio } from '../../src/transport/link/radio.js';
import type { DeliveryScheme } from '../../src/transport/link/scheme.js';
import { memoryPipe } from '../../src/transport/memory/memory-transport.js';

/** A BLE-like link with a 4-packet receive buffer. */
export const TEST_BLE: LinkParams = {
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
/** Payload bytes per packet of {@link TEST_BLE}. */
export const TEST_PAYLOAD = 517 - 3 - LINK_SEQ_BYTES;

/** Deterministic bytes. */
export function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Options of one emulated transfer. */
export interface TransferOptions {
  readonly seed?: number;
  readonly txRadio?: Radio;
  readonly rxRadio?: Radio;
  readonly timeScale?: number;
}

/** Sends `writes` through an emulated pair; resolves with what the far end received and both ends' links. */
export async function transfer(
  params: LinkParams,
  scheme: () => DeliveryScheme,
  writes: readonly Buffer[],
  o: TransferOptions = {},
): Promise<{ got: Buffer; tx: EmulatedLink; rx: EmulatedLink }> {
  const seed = o.seed ?? 1;
  const timeScale = o.timeScale ?? 0.01;
  const [a, b] = memoryPipe(['a', 'b']);
  const tx = emulateLink(a, {
    params,
    scheme: scheme(),
    timeScale,
    seed,
    ...(o.txRadio ? { radio: o.txRadio } : {}),
  });
  const rx = emulateLink(b, {
    params,
    scheme: scheme(),
    timeScale,
    seed: seed + 1,
    ...(o.rxRadio ? { radio: o.rxRadio } : {}),
  });
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

/** Runs the contract for one scheme (`make` returns a fresh scheme per link end). */
export function runLinkContract(name: string, make: () => DeliveryScheme): void {
  describe(`link contract: ${name}`, () => {
    it('delivers every byte exactly once and in order through seeded loss', async () => {
      const writes = [pattern(3 * TEST_PAYLOAD + 17, 1), pattern(10, 2), pattern(20 * TEST_PAYLOAD, 3)];
      const all = Buffer.concat(writes);
      const { got, tx, rx } = await transfer({ ...TEST_BLE, lossRate: 0.15 }, make, writes, { seed: 5 });
      expect(got.equals(all)).toBe(true);
      const s = tx.stats();
      expect(s.lostOnAir).toBeGreaterThan(0);
      expect(s.retransmissions).toBeGreaterThanOrEqual(s.lostOnAir);
      expect(rx.stats().bytesDelivered).toBe(all.length);
      expect(rx.stats().packetsDelivered).toBe(s.newPackets);
    });

    it('delivers exactly once through a 2-packet buffer with jittered service and loss', async () => {
      const writes = [pattern(25 * TEST_PAYLOAD + 3, 6)];
      const params = { ...TEST_BLE, bufferPackets: 2, serviceJitter: 0.5, lossRate: 0.05 };
      const { got, tx, rx } = await transfer(params, make, writes, { seed: 11 });
      expect(got.equals(writes[0])).toBe(true);
      expect(rx.stats().packetsDelivered).toBe(tx.stats().newPackets);
      expect(tx.stats().newPackets).toBe(26);
    });

    it('chunks into packets of at most the link payload', async () => {
      const { tx, rx } = await transfer(TEST_BLE, make, [pattern(5 * TEST_PAYLOAD, 4)]);
      expect(tx.stats().newPackets).toBe(5);
      expect(rx.stats().packetsDelivered).toBe(5);
      expect(tx.stats().lostOnAir).toBe(0);
    });

    it('delivers exactly once on two links drawing from one sending radio at once', async () => {
      const radio = new Radio('dev');
      const a = [pattern(12 * TEST_PAYLOAD, 7)];
      const b = [pattern(9 * TEST_PAYLOAD + 5, 8)];
      const params = { ...TEST_BLE, lossRate: 0.05 };
      const [ra, rb] = await Promise.all([
        transfer(params, make, a, { seed: 3, txRadio: radio }),
        transfer(params, make, b, { seed: 9, txRadio: radio }),
      ]);
      expect(ra.got.equals(a[0])).toBe(true);
      expect(rb.got.equals(b[0])).toBe(true);
      expect(radio.stats().reservations).toBe(ra.tx.stats().packetsSent + rb.tx.stats().packetsSent);
    });
  });
}
