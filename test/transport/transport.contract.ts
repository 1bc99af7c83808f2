/** Shared contract every Transport implementation must pass (hono's `runTest({ newRouter })` habit). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Frame, TensorFrame } from '../../src/transport/codec/frame.js';
import { AuthError, TransportError } from '../../src/transport/errors.js';
import type {
  ByteDuplex,
  Connection,
  ConnectionOptions,
  Listener,
  Transport,
  TransportLogEvent,
} from '../../src/transport/transport.js';

/** A connected pair plus what the test needs to inspect. */
export interface Pair {
  readonly client: Connection;
  readonly server: Connection;
  readonly listener: Listener;
  readonly serverLog: TransportLogEvent[];
  readonly clientLog: TransportLogEvent[];
}

/** Options for one pair. */
export interface PairOptions {
  readonly client?: ConnectionOptions;
  readonly server?: ConnectionOptions;
}

/** Builds a connected pair on a transport; rejects when the client's connect fails. */
export async function pairOver(
  transport: Transport,
  opts: PairOptions = {},
  cleanup?: (l: Listener) => void,
): Promise<Pair> {
  const serverLog: TransportLogEvent[] = [];
  const clientLog: TransportLogEvent[] = [];
  let gotServer!: (c: Connection) => void;
  const serverConn = new Promise<Connection>((r) => (gotServer = r));
  const listener = await transport.listen({
    host: '127.0.0.1',
    port: 0,
    log: (e) => serverLog.push(e),
    ...opts.server,
    onConnection: gotServer,
  });
  cleanup?.(listener);
  const client = await transport.connect({
    host: '127.0.0.1',
    port: listener.port,
    log: (e) => clientLog.push(e),
    ...opts.client,
  });
  return { client, server: await serverConn, listener, serverLog, clientLog };
}

/** Lets `n` event-loop turns pass. */
export const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A tensor frame with `n` float32 values that depend on `seq`. */
export function tensor(seq: number, n = 64, wire: TensorFrame['wire'] = 'fp32'): TensorFrame {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seq * 31 + i) * (seq + 1);
  return {
    type: 'tensor',
    streamId: 1,
    seq,
    name: `t${seq}`,
    tensor: { dtype: 'float32', dims: [n], data },
    wire,
  };
}

/** A man in the middle: `act` decides what goes on the wire instead of the `nth` chunk written (hello and auth are the first two). */
function nthChunkWrap(
  nth: number,
  act: (raw: ByteDuplex, chunk: Buffer) => Promise<void>,
): (raw: ByteDuplex) => ByteDuplex {
  return (raw) => {
    let count = 0;
    return {
      ...raw,
      remote: raw.remote,
      write(chunk) {
        count += 1;
        return count === nth ? act(raw, chunk) : raw.write(chunk);
      },
    };
  };
}

/** Flips one byte of the `nth` chunk. */
const tamperingWrap = (nth: number) =>
  nthChunkWrap(nth, (raw, chunk) => {
    const bad = Buffer.from(chunk);
    bad[bad.length - 40] ^= 0x55;
    return raw.write(bad);
  });
/** Writes the `nth` chunk twice. */
const replayingWrap = (nth: number) =>
  nthChunkWrap(nth, (raw, chunk) => {
    void raw.write(Buffer.from(chunk));
    return raw.write(chunk);
  });
/** Swallows the `nth` chunk. */
const droppingWrap = (nth: number) => nthChunkWrap(nth, () => Promise.resolve());

/** Runs the contract against a transport factory. */
export function runTransportContract(name: string, makeTransport: () => Transport): void {
  describe(`transport contract: ${name}`, () => {
    const listeners: Listener[] = [];
    const track = (l: Listener) => listeners.push(l);
    afterEach(async () => {
      await Promise.all(listeners.splice(0).map((l) => l.close()));
    });

    it('delivers tensor and control frames both ways, in order, intact', async () => {
      const p = await pairOver(makeTransport(), {}, track);
      const sent: Frame[] = [
        tensor(0),
        { type: 'control', streamId: 2, seq: 1, body: { assign: { stage: 1, model: 'a.onnx' } } },
        tensor(2, 1000),
      ];
      for (const f of sent) await p.client.send(f);
      const got: Frame[] = [];
      for (let i = 0; i < sent.length; i++) got.push((await p.server.receive())!);
      expect(got).toEqual(sent);
      await p.server.send({ type: 'health', streamId: 0, seq: 9, body: { ready: true } });
      expect(await p.client.receive()).toEqual({
        type: 'health',
        streamId: 0,
        seq: 9,
        body: { ready: true },
      });
      expect(p.client.authenticated).toBe(false);
    });

    it('dequantises int8/int16/fp16 on receipt', async () => {
      const p = await pairOver(makeTransport(), {}, track);
      for (const wire of ['int8', 'int16', 'fp16'] as const) {
        const f = tensor(5, 256, wire);
        await p.client.send(f);
        const got = (await p.server.receive()) as TensorFrame;
        expect(got.wire).toBe(wire);
        expect(got.tensor.dtype).toBe('float32');
        const bound = wire === 'fp16' ? 6 * 2 ** -11 : got.quant!.scale / 2 + 1e-6;
        const a = f.tensor.data as Float32Array;
        const b = got.tensor.data as Float32Array;
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(bound);
      }
    });

    it('backpressures a slow consumer: nothing lost, in-flight never above the window', async () => {
      const frameBytes = 64 * 4 + 60;
      const p = await pairOver(
        makeTransport(),
        { server: { window: { frames: 4, bytes: 3 * frameBytes } } },
        track,
      );
      expect(p.client.peerWindow).toEqual({ frames: 4, bytes: 3 * frameBytes });
      const sends = Array.from({ length: 50 }, (_, i) => p.client.send(tensor(i)));
      await ticks(20);
      expect(p.client.stats().pendingSends).toBeGreaterThanOrEqual(46);
      expect(p.server.stats().queuedFrames).toBeLessThanOrEqual(3);
      const seqs: number[] = [];
      for (let i = 0; i < 50; i++) {
        await ticks(i % 3);
        seqs.push((await p.server.receive())!.seq);
        expect(p.server.stats().queuedFrames).toBeLessThanOrEqual(3);
      }
      await Promise.all(sends);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i));
      const cs = p.client.stats();
      expect(cs.framesSent).toBe(50);
      expect(cs.maxInFlightFrames).toBeLessThanOrEqual(3);
      expect(cs.maxInFlightBytes).toBeLessThanOrEqual(3 * frameBytes);
      expect(cs.maxInFlightFrames).toBeGreaterThanOrEqual(2);
      expect(p.server.stats().maxQueuedFrames).toBeLessThanOrEqual(3);
    });

    for (const keyed of [false, true])
      it(`writes frames sent together as one chunk${keyed ? ' (one record)' : ''}, delivered in order`, async () => {
        const writes: number[] = [];
        const counting = countingWrites(writes);
        const key = keyed ? { key: Buffer.alloc(32, 0x5a) } : {};
        const p = await pairOver(makeTransport(), { client: { ...key, wrap: counting }, server: key }, track);
        const before = writes.length;
        await Promise.all([0, 1, 2, 3, 4].map((i) => p.client.send(tensor(i, 100 + i))));
        expect(writes.length - before).toBe(1);
        const got: number[] = [];
        for (let i = 0; i < 5; i++) got.push((await p.server.receive())!.seq);
        expect(got).toEqual([0, 1, 2, 3, 4]);
        expect(writes[before]).toBe(p.client.stats().bytesSent + (keyed ? 20 : 0));
      });

    it('cuts a batch over 256 KiB into several records of whole frames, delivered in order', async () => {
      const writes: number[] = [];
      const counting = countingWrites(writes);
      const key = { key: Buffer.alloc(32, 0x6b) };
      const p = await pairOver(makeTransport(), { client: { ...key, wrap: counting }, server: key }, track);
      const before = writes.length;
      const frames = [0, 1, 2, 3, 4, 5].map((i) => tensor(i, 12_000));
      await Promise.all(frames.map((f) => p.client.send(f)));
      const records = writes.slice(before);
      // 6 frames of ~48 KiB: 5 fit one record, the 6th starts the next
      expect(records.length).toBe(2);
      expect(records.every((n) => n <= 256 * 1024 + 20)).toBe(true);
      const got: Frame[] = [];
      for (let i = 0; i < 6; i++) got.push((await p.server.receive())!);
      expect(got).toEqual(frames);
    });

    it('lets one frame larger than the byte window through alone', async () => {
      const p = await pairOver(makeTransport(), { server: { window: { frames: 8, bytes: 1000 } } }, track);
      const sends = [
        p.client.send(tensor(0, 10)),
        p.client.send(tensor(1, 5000)),
        p.client.send(tensor(2, 10)),
      ];
      const got = [await p.server.receive(), await p.server.receive(), await p.server.receive()];
      await Promise.all(sends);
      expect(got.map((f) => f!.seq)).toEqual([0, 1, 2]);
    });

    it('rejects an oversize frame with a logged reason and an error frame, and survives', async () => {
      const p = await pairOver(makeTransport(), { server: { limits: { maxFrameBytes: 10_000 } } }, track);
      await p.client.send(tensor(0, 10));
      await p.client.send(tensor(1, 5000));
      await p.client.send(tensor(2, 10));
      expect((await p.server.receive())!.seq).toBe(0);
      expect((await p.server.receive())!.seq).toBe(2);
      expect(p.serverLog.some((e) => e.event === 'frame-rejected' && /too-large/.test(e.message))).toBe(true);
      await p.server.send(tensor(3));
      expect((await p.client.receive())!.seq).toBe(3);
      expect(p.client.stats().peerErrors).toBe(1);
      // the rejected frame's credit returns too (credit reports are batched, so not necessarily at once)
      await vi.waitFor(() => expect(p.client.stats().inFlightFrames).toBe(0), { timeout: 5000 });
    });

    it('authenticates with a shared key; a tampered record closes the connection, never delivered', async () => {
      const key = Buffer.alloc(32, 0xab);
      const p = await pairOver(
        makeTransport(),
        { client: { key, wrap: tamperingWrap(4) }, server: { key } },
        track,
      );
      expect(p.client.authenticated && p.server.authenticated).toBe(true);
      await p.client.send(tensor(0));
      expect((await p.server.receive())!.seq).toBe(0);
      await p.client.send(tensor(1)).catch(() => undefined);
      await p.client.send(tensor(2)).catch(() => undefined);
      const seqs: number[] = [];
      for await (const f of p.server) seqs.push(f.seq);
      expect(seqs).toEqual([]);
      expect((await p.server.closed).reason).toMatch(/record-rejected: record 1: authentication failed/);
    });

    for (const [what, wrap] of [
      ['replayed', replayingWrap(4)],
      ['dropped', droppingWrap(4)],
    ] as const) {
      it(`refuses a ${what} record on an authenticated connection by closing it`, async () => {
        const key = Buffer.alloc(32, 0xcd);
        const p = await pairOver(
          makeTransport(),
          { client: { key, wrap }, server: { key, window: { frames: 2, bytes: 1 << 20 } } },
          track,
        );
        await p.client.send(tensor(0));
        expect((await p.server.receive())!.seq).toBe(0);
        const sends = [1, 2, 3, 4, 5].map((i) => p.client.send(tensor(i)).catch(() => undefined));
        const seqs: number[] = [];
        for await (const f of p.server) seqs.push(f.seq);
        await Promise.all(sends);
        // the replayed record (frames 1 and 2 at most: the window is 2) may have been delivered once;
        // nothing twice, nothing after the bad one; after a dropped record nothing at all
        expect(seqs).toEqual(what === 'replayed' ? [1, 2].slice(0, seqs.length) : []);
        expect(p.serverLog.some((e) => e.event === 'record-rejected')).toBe(true);
      });
    }

    it('with a key, no frame content is readable on the wire; without one it is', async () => {
      const marker = new Float32Array(64).fill(1234.5);
      const captured = async (key?: Buffer) => {
        const wire: Buffer[] = [];
        const capture = (raw: ByteDuplex): ByteDuplex => ({
          ...raw,
          remote: raw.remote,
          write(chunk) {
            wire.push(Buffer.from(chunk));
            return raw.write(chunk);
          },
        });
        const p = await pairOver(
          makeTransport(),
          { client: { ...(key ? { key } : {}), wrap: capture }, server: key ? { key } : {} },
          track,
        );
        await p.client.send({
          type: 'tensor',
          streamId: 1,
          seq: 0,
          name: 'secret/activation',
          tensor: { dtype: 'float32', dims: [64], data: marker },
        });
        await p.client.send({ type: 'control', streamId: 0, seq: 1, body: { op: 'assign', id: 1 } });
        await p.server.receive();
        await p.server.receive();
        await p.client.close();
        return Buffer.concat(wire);
      };
      const needles = [
        Buffer.from(marker.buffer, 0, 32),
        Buffer.from('secret/activation'),
        Buffer.from('"op":"assign"'),
      ];
      const plain = await captured();
      const sealed = await captured(Buffer.alloc(32, 0x42));
      expect(needles.map((n) => plain.includes(n))).toEqual([true, true, true]);
      expect(needles.map((n) => sealed.includes(n))).toEqual([false, false, false]);
    });

    it('refuses a wrong key, a missing key, and a keyed client at a keyless server', async () => {
      const t = makeTransport();
      const cases: PairOptions[] = [
        { client: { key: Buffer.alloc(16, 1) }, server: { key: Buffer.alloc(16, 2) } },
        { client: {}, server: { key: Buffer.alloc(16, 2) } },
        { client: { key: Buffer.alloc(16, 1) }, server: {} },
      ];
      const events: string[][] = [];
      for (const c of cases) {
        const log: TransportLogEvent[] = [];
        let accepted = 0;
        const l = await t.listen({
          host: '127.0.0.1',
          port: 0,
          ...c.server,
          log: (e) => log.push(e),
          onConnection: () => accepted++,
        });
        track(l);
        await expect(
          t.connect({ host: '127.0.0.1', port: l.port, log: () => undefined, ...c.client }),
        ).rejects.toBeInstanceOf(AuthError);
        await ticks(5);
        expect(accepted).toBe(0);
        events.push(log.filter((e) => e.level !== 'info').map((e) => e.event));
      }
      expect(events[0]).toContain('auth-failed');
      expect(events[1]).toContain('auth-refused');
      expect(events[2].length).toBeGreaterThan(0);
    });

    it('ends iteration when the peer closes and rejects later sends', async () => {
      const p = await pairOver(makeTransport(), {}, track);
      await p.client.send(tensor(0));
      await p.client.send(tensor(1));
      await p.client.close('done');
      const seqs: number[] = [];
      for await (const f of p.server) seqs.push(f.seq);
      expect(seqs).toEqual([0, 1]);
      expect((await p.server.closed).reason).toMatch(/done/);
      await expect(p.client.send(tensor(2))).rejects.toBeInstanceOf(TransportError);
      await expect(p.client.send({ type: 'credit', streamId: 0, seq: 0, body: {} })).rejects.toThrow(
        /closed|reserved/,
      );
    });
  });
}

/** Wraps a byte stream so every chunk written to it has its length pushed onto `writes`. */
export function countingWrites(writes: number[]): (raw: ByteDuplex) => ByteDuplex {
  return (raw) => ({
    ...raw,
    remote: raw.remote,
    write(chunk) {
      writes.push(chunk.length);
      return raw.write(chunk);
    },
    ...(raw.writev
      ? {
          writev(chunks: readonly Buffer[]) {
            writes.push(chunks.reduce((n, c) => n + c.length, 0));
            return raw.writev!(chunks);
          },
        }
      : {}),
  });
}
