/**
 * A node's downstream over real sockets with the link emulation: connections open when the peers are
 * known (before any sample), a failed early connect is retried on first use instead of marking the
 * peer dead, and the air time counted excludes the handshake and covers what a sample put on air.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Downstream } from '../../src/runtime/downstream.js';
import { seqReplica } from '../../src/runtime/replica-picker.js';
import type { TensorFrame } from '../../src/transport/codec/frame.js';
import { creditScheme } from '../../src/transport/link/credit-scheme.js';
import { emulateLink } from '../../src/transport/link/emulated-link.js';
import { LINK_SEQ_BYTES } from '../../src/transport/link/params.js';
import { Radio } from '../../src/transport/link/radio.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { ByteDuplex, Connection, Listener, Transport } from '../../src/transport/transport.js';
import { TEST_BLE } from '../transport/link-harness.js';

const timeScale = 0.05;
const wrap = (radio: Radio) => (raw: ByteDuplex) =>
  emulateLink(raw, { params: TEST_BLE, scheme: creditScheme(), timeScale, radio });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function receiver(): Promise<{ listener: Listener; conns: Connection[]; address: string }> {
  const conns: Connection[] = [];
  const listener = await tcpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    wrap: wrap(new Radio('receiver')),
    log: () => undefined,
    onConnection: (c) => conns.push(c),
  });
  closers.push(() => listener.close());
  return { listener, conns, address: `127.0.0.1:${listener.port}` };
}

function downstream(transport: Transport): { d: Downstream; conns: Connection[] } {
  const conns: Connection[] = [];
  const d = new Downstream({
    transport,
    linkWrap: wrap(new Radio('sender')),
    log: () => undefined,
    onConnection: (c) => {
      conns.push(c);
      closers.push(() => c.close('test done'));
    },
  });
  return { d, conns };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

const frame = (bytes: number): TensorFrame => ({
  type: 'tensor',
  streamId: 1,
  seq: 0,
  name: 'x',
  tensor: { dtype: 'uint8', dims: [bytes], data: new Uint8Array(bytes).fill(7) },
});
const noCoordinator = undefined as unknown as Connection;

describe('Downstream (real sockets, emulated links)', () => {
  it('connects as soon as it knows its peers and counts only what samples put on air', async () => {
    const r = await receiver();
    const { d } = downstream(tcpTransport);
    d.setPeers([r.address]);
    await until('the early connection', () => r.conns.length === 1);
    await until('the sender side to be open', () => d.air() !== undefined);
    // the handshake went over the emulated link before any sample; it is not a sample's air time
    expect(d.air()).toMatchObject({ sentMs: 0, packets: 0, bytes: 0 });
    const bytes = 4000;
    const got = r.conns[0].receive();
    expect(await d.send(noCoordinator, [frame(bytes)])).toBe(r.address);
    await got;
    await until('the credit coming back', () => (d.air()?.feedbackMs ?? 0) > 0);
    const air = d.air()!;
    const payload = TEST_BLE.packetBytes - TEST_BLE.headerBytes - LINK_SEQ_BYTES;
    const perPacketMs = (((payload + LINK_SEQ_BYTES) * 8) / TEST_BLE.throughputBps) * 1000 * timeScale;
    expect(air.bytes).toBeGreaterThanOrEqual(bytes);
    expect(air.packets).toBeGreaterThanOrEqual(Math.ceil(bytes / payload));
    // full packets cost one service time each; the last one is shorter
    expect(air.sentMs).toBeLessThanOrEqual(air.packets * perPacketMs + 1e-6);
    expect(air.sentMs).toBeGreaterThan((air.packets - 1) * perPacketMs);
    d.resetAir();
    expect(d.air()).toMatchObject({ sentMs: 0, feedbackMs: 0, packets: 0, bytes: 0 });
  }, 60_000);

  it('retries a peer whose early connect failed when the first sample goes to it', async () => {
    const r = await receiver();
    let attempts = 0;
    const flaky: Transport = {
      ...tcpTransport,
      connect: (o) => (++attempts === 1 ? Promise.reject(new Error('not yet')) : tcpTransport.connect(o)),
    };
    const { d } = downstream(flaky);
    d.setPeers([r.address]);
    await until('the early attempt', () => attempts === 1);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.conns).toHaveLength(0);
    const arrived = (async () => {
      await until('the connection', () => r.conns.length === 1);
      return r.conns[0].receive();
    })();
    expect(await d.send(noCoordinator, [frame(100)])).toBe(r.address);
    expect((await arrived)?.type).toBe('tensor');
    expect(attempts).toBe(2);
    expect(d.dropped).toBe(0);
  }, 60_000);
});

describe('seqReplica (the seq policy)', () => {
  it('alternates samples, and micro-batches as units, over the replicas', () => {
    expect([0, 1, 2, 3, 4].map((s) => seqReplica(s, 1, 2))).toEqual([0, 1, 0, 1, 0]);
    // batches of 4 start at 0, 4, 8, 12: seq mod 2 would send them all to replica 0
    expect([0, 4, 8, 12].map((s) => seqReplica(s, 4, 2))).toEqual([0, 1, 0, 1]);
    expect(seqReplica(5, 1, 0)).toBe(-1);
  });
});
