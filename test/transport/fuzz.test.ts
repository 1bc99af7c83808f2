import { connect, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Frame } from '../../src/transport/codec/frame.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { Connection, TransportLogEvent } from '../../src/transport/transport.js';
import { mulberry32 } from '../../src/core/random.js';

/** Recomputes the CRC so a mutation reaches the body parser instead of the checksum check. */
function resign(buf: Buffer): Buffer {
  if (buf.length >= 24) buf.writeUInt32BE(crc32(buf.subarray(0, buf.length - 4)), buf.length - 4);
  return buf;
}

function mutate(r: () => number, base: Buffer): Buffer {
  const b = Buffer.from(base);
  const pick = Math.floor(r() * 8);
  const at = (lo: number) => lo + Math.floor(r() * Math.max(1, b.length - lo));
  switch (pick) {
    case 0:
      return Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
    case 1:
      b[at(20)] ^= 1 << Math.floor(r() * 8);
      return b;
    case 2:
      b[at(20)] = Math.floor(r() * 256);
      return resign(b);
    case 3:
      b.writeUInt8(Math.floor(r() * 256), 9);
      return resign(b);
    case 4:
      b.writeUInt32BE(Math.floor(r() * 2 ** 32), 20 + Math.floor(r() * 8));
      return resign(b);
    case 5:
      b.writeUInt32BE(b.length + 1 + Math.floor(r() * 100), 4);
      return b;
    case 6:
      b.writeUInt8(Math.floor(r() * 256), 8);
      return resign(b);
    default:
      return resign(b.subarray(0, Math.max(24, at(24))));
  }
}

function rawClient(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve({ socket, closed }));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('error', reject);
  });
}

describe('fuzz: a TCP server under 1,000 random and mutated frames', () => {
  it('stays up, refuses or rejects them, and still serves a good client', async () => {
    const log: TransportLogEvent[] = [];
    const served: Connection[] = [];
    const listener = await tcpTransport.listen({
      host: '127.0.0.1',
      port: 0,
      log: (e) => log.push(e),
      handshakeTimeoutMs: 500,
      onConnection: (conn) => {
        served.push(conn);
        void (async () => {
          for await (const f of conn) await conn.send({ ...f, seq: f.seq + 1 }).catch(() => undefined);
        })();
      },
    });
    const r = mulberry32(2024);
    const bases: Buffer[] = [
      encodeFrame({
        type: 'tensor',
        streamId: 1,
        seq: 1,
        name: 'x',
        tensor: { dtype: 'float32', dims: [2, 8], data: new Float32Array(16).fill(1.5) },
        wire: 'int8',
      }),
      encodeFrame({
        type: 'tensor',
        streamId: 1,
        seq: 2,
        name: 'ids',
        tensor: { dtype: 'int64', dims: [3], data: BigInt64Array.from([1n, 2n, 3n]) },
      }),
      encodeFrame({ type: 'control', streamId: 0, seq: 3, body: { plan: [1, 2, 3] } }),
      encodeFrame({ type: 'credit', streamId: 0, seq: 0, body: { frames: 5, bytes: 100 } }),
    ];
    const hello = encodeFrame({
      type: 'hello',
      streamId: 0,
      seq: 0,
      body: { version: 1, window: { frames: 4, bytes: 65536 } },
    } as Frame);
    let sent = 0;
    let connections = 0;
    while (sent < 1000) {
      const { socket, closed } = await rawClient(listener.port);
      connections += 1;
      let open = true;
      void closed.then(() => (open = false));
      if (r() < 0.8) socket.write(hello);
      for (let i = 0; i < 40 && open && sent < 1000; i++, sent++) {
        socket.write(mutate(r, bases[Math.floor(r() * bases.length)]));
        await new Promise((res) => setImmediate(res));
      }
      socket.end();
      await Promise.race([closed, new Promise((res) => setTimeout(res, 700))]);
      socket.destroy();
    }
    expect(sent).toBe(1000);
    const good = await tcpTransport.connect({ host: '127.0.0.1', port: listener.port, log: () => undefined });
    for (let seq = 0; seq < 10; seq += 2) {
      await good.send({ type: 'control', streamId: 9, seq, body: { n: seq } });
      expect(await good.receive()).toEqual({ type: 'control', streamId: 9, seq: seq + 1, body: { n: seq } });
    }
    await good.close();
    expect(connections).toBeGreaterThan(1);
    expect(log.filter((e) => e.event === 'frame-rejected').length).toBeGreaterThan(100);
    expect(listener.stats().accepted).toBeGreaterThan(1);
    await listener.close();
  });
});
