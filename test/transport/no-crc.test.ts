import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/transport/codec/decoder.js';
import {
  FRAME_FLAG_NO_CRC,
  decodeFrame,
  encodeFrame,
  encodeFrameParts,
  type Frame,
  type MessageFrame,
  type TensorFrame,
} from '../../src/transport/codec/frame.js';
import { FramedConnection } from '../../src/transport/connection-impl.js';
import { HandshakeState, type HandshakeStep, type WireFeature } from '../../src/transport/handshake-state.js';
import { createMemoryTransport, memoryPipe } from '../../src/transport/memory/memory-transport.js';
import type { ConnectionOptions, TransportLogEvent } from '../../src/transport/transport.js';
import { pairOver } from './transport.contract.js';

const tensor = (seq: number, n: number, name = 'x'): TensorFrame => ({
  type: 'tensor',
  streamId: 1,
  seq,
  name,
  tensor: { dtype: 'float32', dims: [n], data: Float32Array.from({ length: n }, (_, i) => i * 0.5 - seq) },
});
const W = { frames: 4, bytes: 1 << 20 };
const key = Buffer.alloc(32, 9);
const sent = (s: HandshakeStep): MessageFrame => {
  if (s.kind !== 'continue' && !(s.kind === 'ready' && s.send)) throw new Error(`nothing sent: ${s.kind}`);
  return s.send!;
};
const body = (f: MessageFrame) => f.body as Record<string, unknown>;

/** Runs a keyed handshake between two state machines offering `client` and `server` features. */
function negotiate(client: readonly WireFeature[], server: readonly WireFeature[]) {
  const c = new HandshakeState('client', key, W, client);
  const s = new HandshakeState('server', key, W, server);
  const hello = c.hello();
  const challenge = sent(s.onFrame(hello));
  const serverDone = s.onFrame(sent(c.onFrame(challenge)));
  const clientDone = c.onFrame(sent(serverDone));
  return { hello, challenge, serverDone, clientDone };
}

describe('frames without CRC32 (inside AEAD records only)', () => {
  it('encode without the trailer and decode only when sealed, with an error naming why otherwise', () => {
    const small = tensor(3, 8);
    const big = tensor(4, 20_000);
    for (const f of [small, big] as TensorFrame[]) {
      const bytes = encodeFrame(f, false);
      // no trailer; the payload is padded to start 8-byte aligned from the frame's start
      const payloadAt = bytes.length - f.tensor.data.byteLength;
      expect(payloadAt % 8).toBe(0);
      expect(bytes.length).toBe(encodeFrame(f).length - 4 + bytes[20 + 2 + 1 + 3]);
      expect(bytes[10]).toBe(FRAME_FLAG_NO_CRC);
      expect(decodeFrame(bytes, { sealed: true })).toEqual({ ...f, wire: 'fp32' });
      expect(() => decodeFrame(bytes)).toThrow(/no-CRC .* only valid inside an authenticated record/);
    }
    // the big payload stays a view on the tensor: header part and payload, no trailer part
    expect(encodeFrameParts(big, false).parts).toHaveLength(2);
    const badPad = encodeFrame(small, false);
    badPad[20 + 2 + 1 + 3] = 8;
    expect(() => decodeFrame(badPad, { sealed: true })).toThrow(/padding of 8 bytes/);
    // a one-byte JSON body makes a 21-byte frame, valid without CRC
    const tiny: Frame = { type: 'ack', streamId: 0, seq: 1, body: 7 };
    expect(encodeFrame(tiny, false).length).toBe(21);
    expect(decodeFrame(encodeFrame(tiny, false), { sealed: true })).toEqual(tiny);
  });

  it('a streaming decoder outside records rejects a no-CRC frame and still decodes the next', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([encodeFrame(tensor(1, 4), false), encodeFrame(tensor(2, 4))]));
    const first = d.next()!;
    expect(first.ok).toBe(false);
    expect(!first.ok && first.error.message).toMatch(/seq 1: flag no-CRC/);
    const second = d.next()!;
    expect(second.ok && second.frame.seq).toBe(2);
  });
});

describe('decoded tensors use the received memory when they can', () => {
  // name "ab", rank 1: the payload starts 32 bytes into the frame (aligned)
  const aligned = tensor(5, 1000, 'ab');
  const ownBuffer = (b: Buffer) => Buffer.from(new Uint8Array(b).buffer);

  it('a frame gathered from several chunks becomes one aligned buffer the tensor views', () => {
    for (const name of ['x', 'ab', 'odd-name']) {
      const f = tensor(6, 5000, name);
      const bytes = encodeFrame(f);
      const d = new FrameDecoder();
      for (let o = 0; o < bytes.length; o += 777) d.push(bytes.subarray(o, o + 777));
      const r = d.next()!;
      const data = (r.ok ? (r.frame as TensorFrame) : undefined)!.tensor.data as Float32Array;
      expect(data.byteOffset % 4).toBe(0);
      // its memory is the frame's own (plus alignment), not a second copy of the payload alone
      expect(data.buffer.byteLength).toBeLessThanOrEqual(bytes.length + 8);
      expect(data.buffer.byteLength).toBeGreaterThan(data.byteLength);
      expect(Array.from(data)).toEqual(Array.from(f.tensor.data as Float32Array));
    }
  });

  it('a whole chunk is viewed only when the caller hands it over, else copied', () => {
    const bytes = ownBuffer(encodeFrame(aligned));
    const owned = new FrameDecoder();
    owned.push(bytes, true);
    const viewed = owned.next()!;
    expect(viewed.ok && (viewed.frame as TensorFrame).tensor.data.buffer).toBe(bytes.buffer);
    const shared = new FrameDecoder();
    shared.push(bytes);
    const copied = shared.next()!;
    const data = copied.ok ? (copied.frame as TensorFrame).tensor.data : undefined;
    expect(data!.buffer).not.toBe(bytes.buffer);
    expect(Array.from(data as Float32Array)).toEqual(Array.from(aligned.tensor.data as Float32Array));
  });
});

describe('no-crc negotiation in the handshake', () => {
  it('two current ends agree to no-crc, and the proofs and keys cover the agreement', () => {
    const { hello, challenge, serverDone, clientDone } = negotiate(['no-crc'], ['no-crc']);
    expect(body(hello).features).toEqual(['no-crc']);
    expect(body(challenge).features).toEqual(['no-crc']);
    expect(serverDone).toMatchObject({ kind: 'ready', features: ['no-crc'] });
    expect(clientDone).toMatchObject({ kind: 'ready', features: ['no-crc'] });
    const plain = negotiate([], []);
    const kAgreed = serverDone.kind === 'ready' ? serverDone.keys!.send : undefined;
    const kPlain = plain.serverDone.kind === 'ready' ? plain.serverDone.keys!.send : undefined;
    expect(kAgreed!.equals(kPlain!)).toBe(false);
  });

  it('a peer that offers or answers nothing (older code) gets frames with CRC', () => {
    const oldServer = negotiate(['no-crc'], []);
    expect(body(oldServer.challenge).features).toBeUndefined();
    expect(oldServer.serverDone).toMatchObject({ kind: 'ready', features: [] });
    expect(oldServer.clientDone).toMatchObject({ kind: 'ready', features: [] });
    const oldClient = negotiate([], ['no-crc']);
    expect(body(oldClient.hello).features).toBeUndefined();
    expect(body(oldClient.challenge).features).toBeUndefined();
    expect(oldClient.clientDone).toMatchObject({ kind: 'ready', features: [] });
    // keyless ends never offer it
    expect(body(new HandshakeState('client', undefined, W).hello()).features).toBeUndefined();
  });

  it('an answer the client did not offer is refused; stripping the answer in transit fails the proof', () => {
    const c = new HandshakeState('client', key, W, []);
    c.hello();
    const forged: MessageFrame = {
      type: 'challenge',
      streamId: 0,
      seq: 0,
      body: { window: { ...W }, nonce: 'ab'.repeat(32), features: ['no-crc'] },
    };
    expect(c.onFrame(forged)).toMatchObject({ kind: 'refuse', event: 'bad-challenge' });
    const c2 = new HandshakeState('client', key, W);
    const s2 = new HandshakeState('server', key, W);
    const challenge = sent(s2.onFrame(c2.hello()));
    const rest = { ...body(challenge) };
    delete rest.features;
    const stripped: MessageFrame = { ...challenge, body: rest as MessageFrame['body'] };
    const auth = sent(c2.onFrame(stripped));
    expect(s2.onFrame(auth)).toMatchObject({ kind: 'refuse', event: 'auth-failed' });
  });
});

describe('no-crc on connections', () => {
  const frameBytes = (f: Frame, crc: boolean) => encodeFrame(f, crc).length;

  for (const [label, client, server, crc] of [
    ['both current: frames travel without CRC32', {}, {}, false],
    ['older client (no features): frames keep their CRC32', { features: [] }, {}, true],
    ['older server (no features): frames keep their CRC32', {}, { features: [] }, true],
  ] as [string, ConnectionOptions, ConnectionOptions, boolean][])
    it(`keyed, ${label}, both ways`, async () => {
      const p = await pairOver(createMemoryTransport({ chunking: { seed: 3, maxChunk: 5000 } }), {
        client: { key, ...client },
        server: { key, ...server },
      });
      const out = [tensor(1, 10), tensor(2, 30_000)];
      for (const f of out) await p.client.send(f);
      for (const f of out) {
        const got = (await p.server.receive()) as TensorFrame;
        expect(got).toEqual({ ...f, wire: 'fp32' });
        // padded no-CRC payloads are used where they were decrypted (or gathered), not copied again
        if (!crc) expect(got.tensor.data.buffer.byteLength).toBeGreaterThan(got.tensor.data.byteLength);
      }
      await p.server.send(tensor(3, 10));
      expect((await p.client.receive())!.seq).toBe(3);
      expect(p.client.stats().bytesSent).toBe(out.reduce((n, f) => n + frameBytes(f, crc), 0));
      expect(p.server.stats().bytesSent).toBe(frameBytes(tensor(3, 10), crc));
      expect(p.server.stats().rejectedFrames + p.client.stats().rejectedFrames).toBe(0);
      await p.client.close();
      await p.listener.close();
    });

  it('keyless, a peer sending a no-CRC frame has it rejected with a clear error; later frames pass', async () => {
    const [raw, end] = memoryPipe(['raw', 'server']);
    const events: TransportLogEvent[] = [];
    const server = new FramedConnection(end, 'server', { log: (e) => events.push(e) });
    const received: Frame[] = [];
    const decoder = new FrameDecoder();
    raw.start({
      data: (c) => {
        decoder.push(c);
        for (let r = decoder.next(); r; r = decoder.next()) if (r.ok) received.push(r.frame);
      },
      close: () => undefined,
    });
    await raw.write(encodeFrame({ type: 'hello', streamId: 0, seq: 0, body: { version: 1, window: W } }));
    await server.ready;
    await raw.write(Buffer.concat([encodeFrame(tensor(1, 4), false), encodeFrame(tensor(2, 4))]));
    expect((await server.receive())!.seq).toBe(2);
    const rejected = events.find((e) => e.event === 'frame-rejected');
    expect(rejected?.message).toMatch(/no-CRC .* only valid inside an authenticated record/);
    while (!received.some((f) => f.type === 'error')) await new Promise((r) => setImmediate(r));
    expect(received.find((f) => f.type === 'error')).toMatchObject({ body: { reason: 'malformed', seq: 1 } });
    expect(server.stats().rejectedFrames).toBe(1);
    await server.close();
  });

  it('keyed, a no-CRC frame in the clear before the handshake ends the connection', async () => {
    const [raw, end] = memoryPipe(['raw', 'server']);
    const events: TransportLogEvent[] = [];
    const server = new FramedConnection(end, 'server', { key, log: (e) => events.push(e) });
    raw.start({ data: () => undefined, close: () => undefined });
    const hello = {
      type: 'hello',
      streamId: 0,
      seq: 0,
      body: { version: 1, window: W, nonce: 'ab' },
    } as const;
    await raw.write(encodeFrame(hello, false));
    const info = await server.closed;
    expect(info.reason).toMatch(/protocol-error: .*no-CRC/);
    expect(events.map((e) => e.event)).toContain('frame-rejected');
  });
});
