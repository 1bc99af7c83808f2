import { describe, expect, it } from 'vitest';
import type { MessageFrame, TensorFrame } from '../../src/transport/codec/frame.js';
import { HandshakeState, type HandshakeStep } from '../../src/transport/handshake-state.js';
import { createMemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { ByteDuplex, ConnectionOptions } from '../../src/transport/transport.js';
import { pairOver } from './transport.contract.js';

const key = Buffer.alloc(32, 5);
const W = { frames: 16, bytes: 100_000 };
const tensor = (seq: number, n: number): TensorFrame => ({
  type: 'tensor',
  streamId: 1,
  seq,
  name: 'x',
  tensor: { dtype: 'float32', dims: [n], data: new Float32Array(n).fill(seq) },
});
const sent = (s: HandshakeStep): MessageFrame => {
  if (s.kind !== 'continue' && !(s.kind === 'ready' && s.send)) throw new Error(`nothing sent: ${s.kind}`);
  return s.send!;
};

/** Counts the writes an end hands its byte stream. */
const counting =
  (n: { writes: number }) =>
  (raw: ByteDuplex): ByteDuplex => ({
    remote: raw.remote,
    write: (c) => (n.writes++, raw.write(c)),
    start: (h) => raw.start(h),
    end: () => raw.end(),
    destroy: (e) => raw.destroy(e),
  });

describe('credit-ask negotiation', () => {
  it('current ends agree to it; an older end (no-crc only) does not; a forged or stripped answer fails', () => {
    const run = (client?: ('no-crc' | 'credit-ask')[], server?: ('no-crc' | 'credit-ask')[]) => {
      const c = new HandshakeState('client', key, W, client);
      const s = new HandshakeState('server', key, W, server);
      const serverDone = s.onFrame(sent(c.onFrame(sent(s.onFrame(c.hello())))));
      return { serverDone, clientDone: c.onFrame(sent(serverDone)) };
    };
    expect(run().clientDone).toMatchObject({ kind: 'ready', features: ['no-crc', 'credit-ask'] });
    for (const old of [run(['no-crc'], undefined), run(undefined, ['no-crc'])]) {
      expect(old.serverDone).toMatchObject({ kind: 'ready', features: ['no-crc'] });
      expect(old.clientDone).toMatchObject({ kind: 'ready', features: ['no-crc'] });
    }
    const older = new HandshakeState('client', key, W, ['no-crc']);
    older.hello();
    const forged: MessageFrame = {
      type: 'challenge',
      streamId: 0,
      seq: 0,
      body: { window: { ...W }, nonce: 'cd'.repeat(32), features: ['no-crc', 'credit-ask'] },
    };
    expect(older.onFrame(forged)).toMatchObject({ kind: 'refuse', event: 'bad-challenge' });
    const c = new HandshakeState('client', key, W);
    const s = new HandshakeState('server', key, W);
    const challenge = sent(s.onFrame(c.hello()));
    const stripped = { ...challenge, body: { ...(challenge.body as object), features: ['no-crc'] } };
    expect(s.onFrame(sent(c.onFrame(stripped as MessageFrame)))).toMatchObject({
      kind: 'refuse',
      event: 'auth-failed',
    });
  });
});

describe('credit-ask on connections', () => {
  for (const [label, client, server, asks] of [
    ['both current: the held-back sender asks', {}, {}, true],
    ['older client: delayed reports as before', { features: ['no-crc'] }, {}, false],
    ['older server: delayed reports as before', {}, { features: ['no-crc'] }, false],
  ] as [string, ConnectionOptions, ConnectionOptions, boolean][])
    it(`a frame larger than the rest of the byte window still goes (${label})`, async () => {
      const serverWrites = { writes: 0 };
      const p = await pairOver(createMemoryTransport(), {
        client: { key, window: W, ...client },
        server: { key, window: W, ...server, wrap: counting(serverWrites) },
      });
      // 4 KB consumed and not reported (1 frame and 4% of the byte window: under half of either)
      await p.client.send(tensor(1, 1000));
      expect((await p.server.receive())!.seq).toBe(1);
      const before = serverWrites.writes;
      await new Promise((r) => setTimeout(r, 50));
      // unasked, an end that agreed to credit-ask sends no delayed report (the older ones do, after 5 ms)
      if (asks) expect(serverWrites.writes).toBe(before);
      // 98 KB does not fit beside 4 KB in flight: it waits for a report, asked for or delayed
      const big = p.client.send(tensor(2, 24_500));
      expect((await p.server.receive())!.seq).toBe(2);
      await big;
      expect(p.client.stats().inFlightFrames).toBeLessThanOrEqual(1);
      await p.client.close();
      await p.listener.close();
    }, 20_000);
});
