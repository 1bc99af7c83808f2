/**
 * The coordinator's control connections to its nodes: opening them (clock sync, hello), telling the
 * address upstream nodes must dial (the host the coordinator reached, as written in the hosts file,
 * never the node's self-reported listen host), checking that every node emulates the declared link,
 * and closing every connection it opened, forcibly when a peer does not finish the close in time.
 */
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { ByteDuplex, Connection, ConnectionOptions, Transport } from '../transport/transport.js';
import { parseAddress } from './address.js';
import { NodeLink, type NodeEndpoint, type NodeLinkHandlers } from './node-link.js';

/** Options of {@link ControlLinks}. */
export interface ControlLinksOptions {
  readonly transport: Transport;
  readonly connection?: ConnectionOptions;
  readonly clockPings?: number;
  /**
   * Link id every node must report ("none": real sockets). Undefined: the nodes must agree with
   * each other and their link becomes the run's.
   */
  readonly expectLink?: string;
  /** Says where `expectLink` came from, for errors (default "--link"). */
  readonly expectLinkSource?: string;
}

/** A raw byte stream and a promise that settles when it closed. */
interface TrackedRaw {
  readonly raw: ByteDuplex;
  readonly closed: Promise<void>;
}

/** Opens, checks and closes the coordinator's node connections. */
export class ControlLinks {
  private readonly raws = new Map<NodeLink | symbol, TrackedRaw[]>();
  private agreed: { link: string; device: string } | undefined;

  constructor(private readonly o: ControlLinksOptions) {}

  /** The link every node reported (after at least one {@link open}), else the expected one. */
  get link(): string {
    return this.agreed?.link ?? this.o.expectLink ?? 'none';
  }

  /** Connects to a node, syncs clocks and checks its hello; errors name the device and address. */
  async open(ep: NodeEndpoint, stageIndex: number, handlers: NodeLinkHandlers): Promise<NodeLink> {
    const { host, port } = parseAddress(ep.address, `node ${ep.device}`);
    const slot = Symbol(ep.device);
    let conn;
    try {
      conn = await this.o.transport.connect({
        ...this.o.connection,
        host,
        port,
        wrap: (raw) => this.track(slot, raw),
      });
    } catch (err) {
      this.destroy(slot);
      throw new EdgesplitError(
        'E_TRANSPORT',
        `cannot reach node ${ep.device} at ${ep.address}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const link = new NodeLink(ep, stageIndex, conn, handlers);
    this.raws.set(link, this.raws.get(slot) ?? []);
    this.raws.delete(slot);
    await link.syncClock(this.o.clockPings ?? 8);
    const hello = await link.health();
    link.hello = hello;
    // the node's own listen host may be 0.0.0.0 or a name only it resolves: keep the address we
    // reached (its port too, which may be forwarded); a separate emulated-link listener keeps its port
    const peer = parseAddress(hello.peerListen, `node ${ep.device} peer address`);
    const own = parseAddress(hello.listen, `node ${ep.device} listen address`);
    link.peerAddress = peer.port === own.port ? ep.address : formatAddress(host, peer.port);
    this.checkLink(ep, hello.link);
    return link;
  }

  /**
   * Opens a second connection to a stage-0 node for sample inputs, so that its control connection
   * (health, peers) never queues behind inputs the node cannot take yet: a node blocked on a stalled
   * downstream peer still answers and can be told its new peers.
   */
  async openData(link: NodeLink): Promise<Connection> {
    const { host, port } = parseAddress(link.endpoint.address, `node ${link.endpoint.device}`);
    const slot = Symbol(link.endpoint.device);
    try {
      const conn = await this.o.transport.connect({
        ...this.o.connection,
        host,
        port,
        wrap: (raw) => this.track(slot, raw),
      });
      void (async () => {
        // the node sends nothing here; reading keeps the stream flowing until it closes
        while (await conn.receive());
      })();
      return conn;
    } catch (err) {
      throw new EdgesplitError(
        'E_TRANSPORT',
        `cannot open the input connection to node ${link.endpoint.device} at ${link.endpoint.address}: ${errorMessage(err)}`,
        { cause: err },
      );
    } finally {
      this.raws.get(link)?.push(...(this.raws.get(slot) ?? []));
      this.raws.delete(slot);
    }
  }

  /** Cuts a link at once (a stalled node): no graceful close, the socket is destroyed. */
  abort(link: NodeLink, reason: string): void {
    void link.conn.close(reason).catch(() => undefined);
    void link.data?.close(reason).catch(() => undefined);
    this.destroy(link);
  }

  /** Closes every connection this opened; sockets still open after `graceMs` are destroyed. */
  async closeAll(graceMs = 1000): Promise<void> {
    const all = [...this.raws.keys()];
    await Promise.all(
      all.map(async (k) => {
        const ts = this.raws.get(k) ?? [];
        if (k instanceof NodeLink) {
          await k.conn.close('run finished').catch(() => undefined);
          await k.data?.close('run finished').catch(() => undefined);
        } else for (const t of ts) t.raw.end();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(ts.map((t) => t.closed)),
          new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
        ]);
        clearTimeout(timer);
        this.destroy(k);
      }),
    );
  }

  private track(slot: symbol, raw: ByteDuplex): ByteDuplex {
    let settle!: () => void;
    const closed = new Promise<void>((r) => (settle = r));
    const list = this.raws.get(slot) ?? [];
    list.push({ raw, closed });
    this.raws.set(slot, list);
    return {
      get remote() {
        return raw.remote;
      },
      write: (chunk) => raw.write(chunk),
      ...(raw.writev ? { writev: (chunks: readonly Buffer[]) => raw.writev!(chunks) } : {}),
      start: (h) =>
        raw.start({
          data: h.data,
          close: (err) => {
            settle();
            h.close(err);
          },
        }),
      end: () => raw.end(),
      destroy: (err) => raw.destroy(err),
    };
  }

  private destroy(k: NodeLink | symbol): void {
    const ts = this.raws.get(k) ?? [];
    this.raws.delete(k);
    for (const t of ts) t.raw.destroy();
  }

  private checkLink(ep: NodeEndpoint, link: string): void {
    const node = `node ${ep.device} (${ep.address})`;
    if (this.o.expectLink !== undefined) {
      if (link !== this.o.expectLink)
        throw new EdgesplitError(
          'E_USAGE',
          `${node} emulates link ${link}, but ${this.o.expectLinkSource ?? '--link'} says ${this.o.expectLink}; start the node with --link ${this.o.expectLink} or run with --link ${link}`,
        );
      return;
    }
    if (!this.agreed) this.agreed = { link, device: ep.device };
    else if (this.agreed.link !== link)
      throw new EdgesplitError(
        'E_USAGE',
        `${node} emulates link ${link}, but node ${this.agreed.device} emulates ${this.agreed.link}; nodes of one run must emulate the same link`,
      );
  }
}

/** host:port, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
