import { describe, expect, it } from 'vitest';
import type { Frame, TensorFrame } from '../../src/transport/codec/frame.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { ByteDuplex, Connection } from '../../src/transport/transport.js';

/** Frame `i`: sizes from 1 to ~90k elements, so frames share reads and span many. */
function frameOf(i: number): TensorFrame {
  const n = 1 + ((i * 7919) % 90_000);
  const data = new Float32Array(n);
  for (let k = 0; k < n; k++) data[k] = i + k / n;
  return { type: 'tensor', streamId: 1, seq: i, name: 'y', tensor: { dtype: 'float32', dims: [n], data } };
}

function expectFrame(f: Frame | undefined, i: number): void {
  const want = frameOf(i);
  expect(f?.type).toBe('tensor');
  const got = (f as TensorFrame).tensor.data as Float32Array;
  expect(got.length).toBe(want.tensor.data.length);
  const same = Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(
    Buffer.from((want.tensor.data as Float32Array).buffer),
  );
  expect(same, `frame ${i} arrived altered`).toBe(true);
}

/** Delivers every chunk one event-loop turn late, as link emulation does: it keeps what it gets. */
const holding = (raw: ByteDuplex): ByteDuplex => ({
  remote: raw.remote,
  write: (c) => raw.write(c),
  start: (h) =>
    raw.start({
      data: (c) => void setImmediate(() => h.data(c)),
      close: (e) => setImmediate(() => h.close(e)),
    }),
  end: () => raw.end(),
  destroy: (e) => raw.destroy(e),
});

describe('tcp client reads (one reused read buffer)', () => {
  for (const [name, keyed, wrap] of [
    ['keyed', true, undefined],
    ['keyless', false, undefined],
    ['keyless under a wrapper that holds chunks', false, holding],
  ] as const)
    it(`frames the server sends stay intact after later reads reused the buffer (${name})`, async () => {
      const key = keyed ? { key: Buffer.alloc(32, 3) } : {};
      const count = 60;
      let served!: (c: Connection) => void;
      const server = new Promise<Connection>((r) => (served = r));
      const l = await tcpTransport.listen({
        host: '127.0.0.1',
        port: 0,
        ...key,
        onConnection: (c) => served(c),
      });
      const client = await tcpTransport.connect({
        host: '127.0.0.1',
        port: l.port,
        ...key,
        window: { frames: count },
        ...(wrap ? { wrap } : {}),
      });
      const s = await server;
      await Promise.all(Array.from({ length: count }, (_, i) => s.send(frameOf(i))));
      const got: (Frame | undefined)[] = [];
      for (let i = 0; i < count; i++) got.push(await client.receive());
      // every read after a frame arrived overwrote the read buffer: check all of them only now
      got.forEach((f, i) => expectFrame(f, i));
      expect(client.authenticated).toBe(keyed);
      await client.close();
      await l.close();
    }, 30_000);
});
