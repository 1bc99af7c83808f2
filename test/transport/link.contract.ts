/**
 * The contract every delivery scheme of the link emulation meets (run by link.test.ts for each):
 * every byte exactly once and in order, through seeded loss, through a receiver buffer smaller than
 * what the sender would put on air, with jittered service, and over a device radio shared by links.
 */
import { describe, expect, it } from 'vitest';
import { Radio } from '../../src/transport/link/radio.js';
import type { DeliveryScheme } from '../../src/transport/link/scheme.js';
import { pattern, TEST_BLE, TEST_PAYLOAD, transfer } from './link-harness.js';

export { pattern, TEST_BLE, TEST_PAYLOAD, transfer } from './link-harness.js';

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
