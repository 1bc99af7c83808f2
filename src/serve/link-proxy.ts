/**
 * A pair of in-process TCP proxies that carries any TCP protocol (HTTP here) through one emulated
 * link: client -> proxy A (listens) -> one loopback socket whose two ends are wrapped with
 * `emulateLink` -> proxy B -> target host:port. Every client connection is multiplexed over that one
 * link, so concurrent connections share its bandwidth as they would share a radio, and both
 * directions (requests and responses) pay its packetisation, throughput and latency.
 *
 * Multiplexing on the emulated byte stream: frames of u32 payload length, u8 kind, u32 connection id,
 * payload; kinds OPEN (A -> B: connect to the target), DATA, END (this side sent FIN; half-close is
 * carried) and RESET (abort, payload = UTF-8 reason).
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { loadLinkCatalog, type LinkCatalog, type LinkSpec } from '../catalog/index.js';
import { EdgesplitError, UsageError, errorMessage } from '../core/errors.js';
import {
  emulateLink,
  type DeliveryScheme,
  type EmulatedLink,
  type LinkStats,
} from '../transport/link/emulated-link.js';
import { linkParamsFromSpec, type LinkParams } from '../transport/link/params.js';
import { socketDuplex } from '../transport/tcp/tcp-transport.js';

/** Options of {@link startLinkProxy}. */
export interface LinkProxyOptions {
  /** Where proxy B connects for every client connection. */
  readonly target: { readonly host: string; readonly port: number };
  /** The emulated link: a catalog link or its id in `linkCatalog`. */
  readonly link: LinkSpec | string;
  /** Where a link id is looked up (default: the built-in catalog, loaded for this call). */
  readonly linkCatalog?: LinkCatalog;
  /** Multiplies every emulated duration (default 1 = real time; 0.1 runs 10x faster). */
  readonly timeScale?: number;
  /** Seed of the link's loss draws (default 1). */
  readonly seed?: number;
  /** Delivery scheme of the emulated link (default edgesplit's credit scheme). */
  readonly scheme?: DeliveryScheme;
  /** Listening address of proxy A (default 127.0.0.1, random port). */
  readonly host?: string;
  readonly port?: number;
  /** Client connections open at once; more are refused (closed at once). Default 64. */
  readonly maxConnections?: number;
  /** Bytes one socket may have waiting to be written (its reader is slower than the link); over it the connection is reset. Default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** Proxy B gives up connecting to the target after this long (default 10,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Called with one line per failed connection (target refused, reset, buffer limit). */
  readonly onError?: (message: string) => void;
}

/** Traffic of one direction through the emulated link. */
export interface LinkDirectionStats {
  /** Application bytes carried (what the sockets wrote, without multiplexing frames). */
  readonly payloadBytes: number;
  /** Bytes handed to the emulated link, multiplexing frames included, and bytes it delivered. */
  readonly linkBytes: number;
  readonly deliveredBytes: number;
  readonly packetsSent: number;
  readonly retransmissions: number;
  readonly lostOnAir: number;
  readonly timeouts: number;
  readonly bufferDrops: number;
}

/** Counters of a {@link LinkProxy}. */
export interface LinkProxyStats {
  /** Client connections accepted, open now, refused (limit or link down), ended by an error or reset. */
  readonly connections: number;
  readonly open: number;
  readonly refused: number;
  readonly failed: number;
  /** Client -> target and target -> client. */
  readonly up: LinkDirectionStats;
  readonly down: LinkDirectionStats;
  /** Why the emulated link went down, when it did (the proxy then refuses every connection). */
  readonly linkDown?: string;
  /** The last few failure messages, oldest first. */
  readonly recentErrors: readonly string[];
}

/** A running proxy pair. */
export interface LinkProxy {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, for HTTP clients. */
  readonly url: string;
  /** The emulated link's parameters (before `timeScale`). */
  readonly params: LinkParams;
  readonly timeScale: number;
  stats(): LinkProxyStats;
  /** Stops listening and tears down every connection and the link. */
  close(): Promise<void>;
}

/** Bytes of a multiplexing frame header. */
export const MUX_HEADER_BYTES = 9;
/** Largest payload of one multiplexing frame; larger socket chunks are split. */
export const MUX_MAX_PAYLOAD = 64 * 1024;
const OPEN = 1;
const DATA = 2;
const END = 3;
const RESET = 4;
const RECENT_ERRORS = 10;

/** Encodes one multiplexing frame. */
export function muxFrame(kind: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const m = Buffer.allocUnsafe(MUX_HEADER_BYTES + payload.length);
  m.writeUInt32BE(payload.length, 0);
  m.writeUInt8(kind, 4);
  m.writeUInt32BE(id, 5);
  payload.copy(m, MUX_HEADER_BYTES);
  return m;
}

/** Splits a byte stream into multiplexing frames; throws on a kind or length that cannot occur. */
export class MuxDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Frames completed by `chunk`. */
  push(chunk: Buffer): { kind: number; id: number; payload: Buffer }[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: { kind: number; id: number; payload: Buffer }[] = [];
    while (this.pending.length >= MUX_HEADER_BYTES) {
      const len = this.pending.readUInt32BE(0);
      const kind = this.pending.readUInt8(4);
      if (kind < OPEN || kind > RESET || len > MUX_MAX_PAYLOAD)
        throw new EdgesplitError(
          'E_PROTOCOL',
          `link proxy: bad multiplexing frame (kind ${kind}, length ${len})`,
        );
      if (this.pending.length < MUX_HEADER_BYTES + len) break;
      out.push({
        kind,
        id: this.pending.readUInt32BE(5),
        payload: Buffer.from(this.pending.subarray(MUX_HEADER_BYTES, MUX_HEADER_BYTES + len)),
      });
      this.pending = this.pending.subarray(MUX_HEADER_BYTES + len);
    }
    return out;
  }
}

interface Stream {
  readonly socket: Socket;
  sentEnd: boolean;
  gotEnd: boolean;
  gotReset: boolean;
  pendingWrites: number;
  error?: string;
}

/** One end of the multiplexed link: streams by id, forwarding between sockets and the link. */
class MuxSide {
  readonly streams = new Map<number, Stream>();
  payloadSent = 0;
  private readonly decoder = new MuxDecoder();
  down?: string;

  constructor(
    private readonly link: EmulatedLink,
    private readonly maxBuffered: number,
    private readonly onOpen: (id: number) => void,
    private readonly onFailure: (id: number, why: string) => void,
  ) {}

  send(frame: Buffer, s?: Stream): void {
    if (this.down) return;
    const p = this.link.write(frame);
    if (!s) {
      p.catch(() => undefined);
      return;
    }
    s.pendingWrites += 1;
    s.socket.pause();
    p.then(
      () => {
        if (--s.pendingWrites === 0) s.socket.resume();
      },
      () => undefined,
    );
  }

  attach(id: number, socket: Socket): Stream {
    const s: Stream = { socket, sentEnd: false, gotEnd: false, gotReset: false, pendingWrites: 0 };
    this.streams.set(id, s);
    socket.on('data', (chunk: Buffer) => {
      this.payloadSent += chunk.length;
      for (let o = 0; o < chunk.length; o += MUX_MAX_PAYLOAD)
        this.send(muxFrame(DATA, id, chunk.subarray(o, o + MUX_MAX_PAYLOAD)), s);
    });
    socket.on('end', () => {
      s.sentEnd = true;
      this.send(muxFrame(END, id));
    });
    socket.on('error', (err) => (s.error ??= err.message));
    socket.on('close', () => {
      this.streams.delete(id);
      if (s.gotReset) return;
      if (!(s.sentEnd && s.gotEnd)) this.send(muxFrame(RESET, id, Buffer.from(s.error ?? 'closed', 'utf8')));
      if (s.error) this.onFailure(id, s.error);
    });
    return s;
  }

  onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.link.destroy(err as Error);
      return;
    }
    for (const f of frames) {
      if (f.kind === OPEN) {
        if (!this.streams.has(f.id)) this.onOpen(f.id);
        continue;
      }
      const s = this.streams.get(f.id);
      if (!s) continue;
      if (f.kind === DATA) {
        if (s.socket.destroyed || s.socket.writableEnded) continue;
        s.socket.write(f.payload);
        if (s.socket.writableLength > this.maxBuffered) {
          s.error = `more than ${this.maxBuffered} bytes waiting for a slow reader`;
          s.socket.destroy();
        }
      } else if (f.kind === END) {
        s.gotEnd = true;
        s.socket.end();
      } else {
        s.gotReset = true;
        const why = f.payload.toString('utf8');
        if (why !== 'closed') this.onFailure(f.id, `peer reset: ${why}`);
        s.socket.destroy();
      }
    }
  }

  /** The link is gone: every stream goes with it. */
  onLinkClose(why: string): void {
    this.down ??= why;
    for (const s of this.streams.values()) {
      s.gotReset = true;
      s.socket.destroy();
    }
  }
}

function direction(send: LinkStats, recv: LinkStats, payloadBytes: number): LinkDirectionStats {
  return {
    payloadBytes,
    linkBytes: send.bytesQueued,
    deliveredBytes: recv.bytesDelivered,
    packetsSent: send.packetsSent,
    retransmissions: send.retransmissions,
    lostOnAir: send.lostOnAir,
    timeouts: send.timeouts,
    bufferDrops: recv.bufferDrops,
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new EdgesplitError('E_TRANSPORT', `link proxy cannot listen on ${host}:${port}: ${err.message}`),
      ),
    );
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** A connected loopback socket pair (the one socket the emulated link runs over). */
async function loopbackPair(): Promise<[Socket, Socket]> {
  const inner = createServer();
  const port = await listen(inner, 0, '127.0.0.1');
  const accepted: Socket[] = [];
  let pick: () => void = () => undefined;
  inner.on('connection', (s) => {
    accepted.push(s);
    pick();
  });
  const out = netConnect({ host: '127.0.0.1', port });
  try {
    await new Promise<void>((resolve, reject) => {
      out.once('connect', resolve);
      out.once('error', reject);
    });
    // only our own socket is taken: another local process could connect in the same instant
    const mine = await new Promise<Socket>((resolve) => {
      pick = () => {
        const s = accepted.find((a) => a.remotePort === out.localPort);
        if (s) resolve(s);
      };
      pick();
    });
    for (const s of accepted) if (s !== mine) s.destroy();
    return [out, mine];
  } catch (err) {
    out.destroy();
    throw new EdgesplitError('E_TRANSPORT', `link proxy: loopback socket failed: ${errorMessage(err)}`);
  } finally {
    inner.close();
  }
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!(n > 0) || !Number.isFinite(n))
    throw new UsageError(`link proxy: ${name} must be a finite number > 0, got ${v}`);
  return n;
}

/** Starts proxy A, the emulated link and proxy B; resolves once A listens. */
export async function startLinkProxy(o: LinkProxyOptions): Promise<LinkProxy> {
  const spec = typeof o.link === 'string' ? (o.linkCatalog ?? loadLinkCatalog()).get(o.link) : o.link;
  const params = linkParamsFromSpec(spec);
  const timeScale = positive('timeScale', o.timeScale, 1);
  const maxConnections = positive('maxConnections', o.maxConnections, 64);
  const maxBuffered = positive('maxBufferedBytes', o.maxBufferedBytes, 8 * 1024 * 1024);
  const connectTimeoutMs = positive('connectTimeoutMs', o.connectTimeoutMs, 10_000);
  const { host: targetHost, port: targetPort } = o.target;
  if (!Number.isInteger(targetPort) || targetPort < 1 || targetPort > 65535)
    throw new UsageError(`link proxy: target port must be 1-65535, got ${targetPort}`);
  const scheme = o.scheme ?? { kind: 'credit' as const };
  const seed = o.seed ?? 1;

  const [rawA, rawB] = await loopbackPair();
  const linkA = emulateLink(socketDuplex(rawA), { params, scheme, timeScale, seed });
  const linkB = emulateLink(socketDuplex(rawB), { params, scheme, timeScale, seed: seed + 1 });
  const counts = { connections: 0, refused: 0, failed: 0 };
  const recent: string[] = [];
  const fail = (id: number, why: string) => {
    counts.failed += 1;
    const line = `link proxy (${params.id}) connection ${id}: ${why}`;
    recent.push(line);
    if (recent.length > RECENT_ERRORS) recent.shift();
    o.onError?.(line);
  };
  const sideA: MuxSide = new MuxSide(linkA, maxBuffered, () => undefined, fail);
  const sideB: MuxSide = new MuxSide(
    linkB,
    maxBuffered,
    (id) => {
      const t = netConnect({ host: targetHost, port: targetPort, allowHalfOpen: true });
      const s = sideB.attach(id, t);
      const timer = setTimeout(
        () => t.destroy(new Error(`no answer within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      t.once('connect', () => clearTimeout(timer));
      t.once('close', () => clearTimeout(timer));
      t.once('error', (err) => (s.error = `target ${targetHost}:${targetPort}: ${err.message}`));
    },
    () => undefined,
  );
  linkA.start({ data: (c) => sideA.onData(c), close: (e) => sideA.onLinkClose(e?.message ?? 'closed') });
  linkB.start({ data: (c) => sideB.onData(c), close: (e) => sideB.onLinkClose(e?.message ?? 'closed') });

  let nextId = 1;
  const server = createServer({ allowHalfOpen: true }, (client) => {
    if (sideA.down || sideA.streams.size >= maxConnections) {
      counts.refused += 1;
      client.destroy();
      return;
    }
    counts.connections += 1;
    const id = nextId;
    nextId = nextId >= 0xffffffff ? 1 : nextId + 1;
    sideA.send(muxFrame(OPEN, id));
    sideA.attach(id, client);
  });
  let port: number;
  try {
    port = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  } catch (err) {
    linkA.destroy();
    linkB.destroy();
    throw err;
  }
  const host = o.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    params,
    timeScale,
    stats: () => {
      const a = linkA.stats();
      const b = linkB.stats();
      return {
        ...counts,
        open: sideA.streams.size,
        up: direction(a, b, sideA.payloadSent),
        down: direction(b, a, sideB.payloadSent),
        ...(sideA.down ? { linkDown: sideA.down } : {}),
        recentErrors: [...recent],
      };
    },
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((r) => server.close(() => r()));
        sideA.onLinkClose('proxy closed');
        sideB.onLinkClose('proxy closed');
        linkA.destroy();
        linkB.destroy();
        await done;
      })();
      return closing;
    },
  };
}
