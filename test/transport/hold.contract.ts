/** Shared contract of `Connection.cork` / `uncork` (a held connection's frames), for every transport. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/transport/codec/frame.js';
import { HOLD_MAX_FRAMES } from '../../src/transport/outbox.js';
import type { Listener, Transport } from '../../src/transport/transport.js';
import { countingWrites, pairOver, tensor, ticks } from './transport.contract.js';

const KEY = { key: Buffer.alloc(32, 0x3c) };

/** Runs the hold contract against a transport factory. */
export function runHoldContract(name: string, makeTransport: () => Transport): void {
  describe(`transport hold contract: ${name}`, () => {
    const listeners: Listener[] = [];
    const track = (l: Listener) => listeners.push(l);
    afterEach(async () => {
      await Promise.all(listeners.splice(0).map((l) => l.close()));
    });

    /** A pair whose client's writes are counted (their byte lengths). */
    const counted = async (keyed: boolean, server = {}) => {
      const writes: number[] = [];
      const key = keyed ? KEY : {};
      const p = await pairOver(
        makeTransport(),
        { client: { ...key, wrap: countingWrites(writes) }, server: { ...key, ...server } },
        track,
      );
      return { p, writes, before: writes.length };
    };

    for (const keyed of [false, true])
      it(`writes tensor frames sent while corked as one chunk${keyed ? ' (one record)' : ''} at uncork, in order`, async () => {
        const { p, writes, before } = await counted(keyed);
        const handshake = p.server.stats().framesReceived;
        p.client.cork();
        // each send resolves while held: awaiting them one by one must not wait for uncork
        const sent = [0, 1, 2, 3, 4].map((i) => tensor(i, 100 + i));
        for (const f of sent) await p.client.send(f);
        await ticks(5);
        expect(writes.length - before).toBe(0);
        expect(p.server.stats().framesReceived).toBe(handshake);
        p.client.uncork();
        expect(writes.length - before).toBe(1);
        expect(writes[before]).toBe(p.client.stats().bytesSent + (keyed ? 20 : 0));
        const got: Frame[] = [];
        for (let i = 0; i < sent.length; i++) got.push((await p.server.receive())!);
        expect(got).toEqual(sent);
        // uncorked again: a frame goes without an uncork
        await p.client.send(tensor(9));
        expect((await p.server.receive())!.seq).toBe(9);
      });

    it(`writes at most HOLD_MAX_FRAMES (${HOLD_MAX_FRAMES}) held frames together, without an uncork`, async () => {
      const { p, writes, before } = await counted(true);
      const handshake = p.server.stats().framesReceived;
      p.client.cork();
      for (let i = 0; i <= HOLD_MAX_FRAMES; i++) await p.client.send(tensor(i));
      expect(writes.length - before).toBe(1);
      const seqs: number[] = [];
      for (let i = 0; i < HOLD_MAX_FRAMES; i++) seqs.push((await p.server.receive())!.seq);
      expect(seqs).toEqual(Array.from({ length: HOLD_MAX_FRAMES }, (_, i) => i));
      await ticks(5);
      expect(p.server.stats().framesReceived - handshake).toBe(HOLD_MAX_FRAMES);
      p.client.uncork();
      expect((await p.server.receive())!.seq).toBe(HOLD_MAX_FRAMES);
    });

    it('writes what it holds when a send must wait for credit: no deadlock, nothing lost', async () => {
      const { p } = await counted(true, { window: { frames: 4 } });
      p.client.cork();
      const sends = Array.from({ length: 7 }, (_, i) => p.client.send(tensor(i)));
      // the fifth send waits for credit the peer reports only for frames it got: the four held go
      const seqs: number[] = [];
      for (let i = 0; i < 4; i++) seqs.push((await p.server.receive())!.seq);
      // ... and the peer's consumption lets the rest in, held again, never waiting for an uncork
      await Promise.all(sends);
      expect(p.client.stats().pendingSends).toBe(0);
      p.client.uncork();
      for (let i = 4; i < 7; i++) seqs.push((await p.server.receive())!.seq);
      expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(p.client.stats().maxInFlightFrames).toBeLessThanOrEqual(4);
    });

    it('sends a control frame at once while corked, with the tensor frames held before it', async () => {
      const { p, writes, before } = await counted(true);
      p.client.cork();
      await p.client.send(tensor(0));
      await p.client.send({ type: 'control', streamId: 0, seq: 1, body: { op: 'reply' } });
      expect((await p.server.receive())!.seq).toBe(0);
      expect((await p.server.receive())!.type).toBe('control');
      expect(writes.length - before).toBe(1);
      p.client.uncork();
    });

    it('never holds a frame that views its tensor data (over 16 KiB at fp32): it goes with the held ones', async () => {
      const { p, writes, before } = await counted(true);
      p.client.cork();
      await p.client.send(tensor(0));
      const big = tensor(1, 8192);
      await p.client.send(big);
      // the caller may change the data once send resolved: the frame on the wire has the old values
      const sentValues = Array.from(big.tensor.data as Float32Array);
      (big.tensor.data as Float32Array).fill(0);
      expect((await p.server.receive())!.seq).toBe(0);
      const got = (await p.server.receive())!;
      expect(got.seq).toBe(1);
      expect(Array.from((got as typeof big).tensor.data as Float32Array)).toEqual(sentValues);
      expect(writes.length - before).toBe(1);
      p.client.uncork();
    });

    it('writes the held frames before it closes', async () => {
      const { p } = await counted(true);
      p.client.cork();
      for (let i = 0; i < 3; i++) await p.client.send(tensor(i));
      await p.client.close('done');
      const seqs: number[] = [];
      for await (const f of p.server) seqs.push(f.seq);
      expect(seqs).toEqual([0, 1, 2]);
      expect(() => p.client.cork()).not.toThrow();
    });
  });
}
