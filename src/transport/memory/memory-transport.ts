/**
 * In-process transport for unit tests: byte pipes between two FramedConnections, optionally
 * re-chunked at random (seeded) to exercise the streaming decoder. Each instance has its own
 * address space; nothing is global.
 */
import { FramedConnection } from '../connection-impl.js';
import { TransportError } from '../errors.js';
import type {
  ByteDuplex,
  ConnectOptions,
  Connection,
  Listener,
  ListenOptions,
  Transport,
} from '../transport.js';
import { mulberry32 } from '../../core/random.js';
import { Acceptor } from '../accept.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** When set, deliveries are cut into chunks of 1..maxChunk bytes chosen by this seed. */
  readonly chunking?: { readonly seed: number; readonly maxChunk: number };
}

interface End {
  data?: (chunk: Buffer) => void;
  close?: (error?: Error) => void;
  early: Buffer[];
  ended: boolean;
}

/** Two connected in-memory byte streams. */
export function memoryPipe(
  names: [string, string],
  options: MemoryTransportOptions = {},
): [ByteDuplex, ByteDuplex] {
  const ends: [End, End] = [
    { early: [], ended: false },
    { early: [], ended: false },
  ];
  const rand = options.chunking ? mulberry32(options.chunking.seed) : undefined;
  const deliver = (to: End, chunk: Buffer) => {
    if (to.ended) return;
    if (to.data) to.data(chunk);
    else to.early.push(chunk);
  };
  const closeEnd = (e: End, error?: Error) => {
    if (e.ended) return;
    e.ended = true;
    setImmediate(() => e.close?.(error));
  };
  const make = (self: number): ByteDuplex => {
    const peer = ends[1 - self];
    const me = ends[self];
    return {
      remote: names[1 - self],
      write(chunk) {
        if (me.ended || peer.ended)
          return Promise.reject(new TransportError(`memory pipe to ${names[1 - self]} is closed`));
        const copy = Buffer.from(chunk);
        const parts: Buffer[] = [];
        for (let o = 0; o < copy.length;) {
          const n = rand ? 1 + Math.floor(rand() * options.chunking!.maxChunk) : copy.length;
          parts.push(copy.subarray(o, o + n));
          o += n;
        }
        setImmediate(() => parts.forEach((p) => deliver(peer, p)));
        return Promise.resolve();
      },
      start(h) {
        me.data = h.data;
        me.close = h.close;
        for (const c of me.early.splice(0)) h.data(c);
      },
      end() {
        setImmediate(() => {
          closeEnd(peer);
          closeEnd(me);
        });
      },
      destroy(error) {
        closeEnd(peer, error);
        closeEnd(me, error);
      },
    };
  };
  return [make(0), make(1)];
}

/** An in-process transport; `listen` registers an address only this instance can connect to. */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const listeners = new Map<string, ListenOptions & { accept: (d: ByteDuplex) => void }>();
  let nextPort = 40000;
  let nextClient = 1;
  return {
    name: 'memory',
    async listen(opts: ListenOptions): Promise<Listener> {
      const port = opts.port === 0 ? nextPort++ : opts.port;
      const addr = `${opts.host}:${port}`;
      if (listeners.has(addr)) throw new TransportError(`memory address ${addr} is in use`);
      const acceptor = new Acceptor(opts);
      listeners.set(addr, { ...opts, accept: (raw) => acceptor.accept(raw) });
      return {
        host: opts.host,
        port,
        stats: () => acceptor.stats(),
        async close() {
          listeners.delete(addr);
          await acceptor.closeAll();
        },
      };
    },
    async connect(opts: ConnectOptions): Promise<Connection> {
      const l = listeners.get(`${opts.host}:${opts.port}`);
      if (!l)
        throw new TransportError(
          `cannot connect to memory address ${opts.host}:${opts.port}: nothing listens there`,
        );
      const [clientSide, serverSide] = memoryPipe(
        [`memory-client-${nextClient++}`, `${opts.host}:${opts.port}`],
        options,
      );
      l.accept(serverSide);
      const conn = new FramedConnection(opts.wrap ? opts.wrap(clientSide) : clientSide, 'client', opts);
      await conn.ready;
      return conn;
    },
  };
}
