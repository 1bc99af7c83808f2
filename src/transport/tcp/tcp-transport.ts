/** TCP transport over node:net: real sockets, Nagle off, one FramedConnection per socket. */
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { FramedConnection } from '../connection-impl.js';
import { TransportError } from '../errors.js';
import { Acceptor } from '../accept.js';
import type {
  ByteDuplex,
  ByteHandlers,
  ConnectOptions,
  Connection,
  Listener,
  ListenOptions,
  Transport,
} from '../transport.js';

/** Bytes of the one buffer a client socket reads into (Node's own reads allocate this much each). */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The reads of a socket opened with node:net's `onread` option: every read lands in one reused
 * buffer and goes to a callback, past Node's Readable-stream machinery (push, emit, read-more per
 * read). The duplex hands chunks on as borrowed, or as copies to handlers that keep what they get.
 */
export class SocketReads {
  /** The `onread` option to open the socket with. */
  readonly onread = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (bytes: number, buf: Uint8Array): boolean => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, bytes);
      if (this.sink) this.sink(chunk);
      else this.early.push(Buffer.from(chunk));
      return true;
    },
  };
  private sink: ((chunk: Buffer) => void) | undefined;
  private early: Buffer[] = [];

  /** Delivers reads to `h` from now on (those that came before, first). */
  startTo(h: ByteHandlers): void {
    for (const c of this.early.splice(0)) h.data(c);
    this.sink = h.borrowing ? (c) => h.data(c, true) : (c) => h.data(Buffer.from(c));
  }
}

/** Adapts a connected socket to {@link ByteDuplex}; `reads` when it was opened with their `onread`. */
export function socketDuplex(socket: Socket, reads?: SocketReads): ByteDuplex {
  socket.setNoDelay(true);
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let closed = false;
  // every write the socket's buffer refused waits for the same next 'drain' (one listener pair, not
  // one per write: many writes past the high-water mark tripped MaxListenersExceededWarning)
  let draining: Promise<void> | undefined;
  const drained = (more: boolean): Promise<void> =>
    more
      ? Promise.resolve()
      : (draining ??= new Promise((resolve) => {
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            draining = undefined;
            resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        }));
  return {
    remote,
    write(chunk) {
      if (closed || socket.destroyed)
        return Promise.reject(new TransportError(`socket to ${remote} is closed`));
      return drained(socket.write(chunk));
    },
    writev(chunks) {
      if (closed || socket.destroyed)
        return Promise.reject(new TransportError(`socket to ${remote} is closed`));
      // corked writes leave as one writev
      socket.cork();
      let more = true;
      for (const c of chunks) more = socket.write(c);
      socket.uncork();
      return drained(more);
    },
    start(h) {
      let error: Error | undefined;
      if (reads) reads.startTo(h);
      else socket.on('data', (chunk: Buffer) => h.data(chunk));
      socket.on('error', (err) => (error = err));
      socket.on('end', () => socket.end());
      socket.on('close', () => {
        closed = true;
        h.close(error);
      });
    },
    end() {
      if (!socket.destroyed) socket.end();
    },
    destroy(err) {
      socket.destroy(err);
    },
  };
}

/** Real TCP sockets. */
export const tcpTransport: Transport = {
  name: 'tcp',
  listen(options: ListenOptions): Promise<Listener> {
    const acceptor = new Acceptor(options);
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      acceptor.accept(socketDuplex(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new TransportError(`cannot listen on ${options.host}:${options.port}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      server.listen(options.port, options.host, () => {
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : options.port;
        resolve({
          host: options.host,
          port,
          stats: () => acceptor.stats(),
          async close() {
            const done = new Promise<void>((r) => server.close(() => r()));
            await acceptor.closeAll();
            for (const s of sockets) s.destroy();
            await done;
          },
        });
      });
    });
  },
  connect(options: ConnectOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const reads = new SocketReads();
      const socket = netConnect({ host: options.host, port: options.port, onread: reads.onread });
      const timeoutMs = options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new TransportError(
            `cannot connect to ${options.host}:${options.port}: no answer within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(
          new TransportError(`cannot connect to ${options.host}:${options.port}: ${err.message}`, {
            cause: err,
          }),
        );
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        const raw = socketDuplex(socket, reads);
        const conn = new FramedConnection(options.wrap ? options.wrap(raw) : raw, 'client', options);
        conn.ready.then(() => resolve(conn), reject);
      });
    });
  },
};
