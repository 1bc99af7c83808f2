import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { socketDuplex } from '../../src/transport/tcp/tcp-transport.js';

describe('TCP byte duplex backpressure', () => {
  it('writes past the buffer share one drain wait, and all resolve once the peer reads', async () => {
    let peer: Socket | undefined;
    const server = createServer((s) => {
      peer = s;
      s.pause(); // the peer reads nothing until told
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    const duplex = socketDuplex(socket);
    const chunk = Buffer.alloc(1 << 20, 7);
    const writes = Array.from({ length: 24 }, () => duplex.write(chunk));
    expect(socket.listenerCount('drain')).toBe(1);
    let received = 0;
    while (!peer) await new Promise((r) => setTimeout(r, 5));
    peer.on('data', (c: Buffer) => (received += c.length));
    peer.resume();
    await Promise.all(writes);
    expect(socket.listenerCount('drain')).toBe(0);
    socket.end();
    await new Promise<void>((r) => peer!.once('end', r));
    expect(received).toBe(24 * chunk.length);
    server.close();
  });
});
