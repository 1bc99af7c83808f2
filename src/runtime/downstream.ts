/**
 * A stage node's way to the next stage: the replicas it may send to (or the coordinator after the last
 * stage), connections opened as soon as the peers are known (a deployment pairs its radios before it
 * infers, so no sample pays for a handshake; one that fails is retried on first use) and wrapped with
 * the link emulation, one replica picked per sample, and dead peers skipped. Sends to a dead peer are
 * dropped (the coordinator re-sends after a failover), never blocking the node. It also sums what its
 * emulated links put on air ({@link Downstream.air}).
 */
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import type { ByteDuplex, Connection, ConnectionOptions, Transport } from '../transport/transport.js';
import type { EmulatedLink } from '../transport/link/emulated-link.js';
import type { LinkStats } from '../transport/link/stats.js';
import { parseAddress } from './address.js';
import { addAir, airSince, NO_AIR, type LinkAir } from './link-air.js';
import { COORDINATOR_ADDRESS } from './protocol.js';
import { ReplicaPicker, type ReplicaPolicy } from './replica-picker.js';

/** A downstream connection is given up when it is not open within this time. */
export const CONNECT_TIMEOUT_MS = 5000;

/** What {@link Downstream} needs from its node. */
export interface DownstreamOptions {
  readonly transport: Transport;
  readonly connection?: ConnectionOptions;
  readonly linkWrap?: (raw: ByteDuplex) => ByteDuplex;
  readonly log: (line: string) => void;
  /** Sees every connection opened to a peer (the node reads from it and closes it on shutdown). */
  readonly onConnection: (conn: Connection) => void;
}

interface Peer {
  readonly address: string;
  conn?: Promise<Connection>;
  dead: boolean;
}

/** The next stage's replicas as one stage node sees them. */
export class Downstream {
  private peers: Peer[] = [];
  private picker = new ReplicaPicker('round-robin');
  /** Samples no live peer took. */
  dropped = 0;
  /** Emulated links it opened, with their counters when air accounting last started. */
  private links: { readonly link: EmulatedLink; base?: LinkStats; closed: boolean }[] = [];

  constructor(private readonly o: DownstreamOptions) {}

  /** Replaces the peer set (host:port list, or [`coordinator`]); connections to removed peers close. */
  setPeers(addresses: readonly string[], policy?: ReplicaPolicy): void {
    if (policy) this.picker = new ReplicaPicker(policy);
    const keep = new Map(this.peers.map((p) => [p.address, p]));
    for (const p of this.peers)
      if (!addresses.includes(p.address))
        void p.conn?.then(
          (c) => c.close('peer replaced'),
          () => undefined,
        );
    this.peers = addresses.map((address) => keep.get(address) ?? { address, dead: false });
    for (const p of this.peers) if (p.address !== COORDINATOR_ADDRESS && !p.conn) this.warm(p);
  }

  /**
   * What its emulated links put on air since {@link resetAir} (or since they opened, handshakes
   * excluded); undefined when it has none (links not emulated).
   */
  air(): LinkAir | undefined {
    if (this.links.length === 0) return undefined;
    return this.links.reduce((a, l) => addAir(a, airSince(l.link.stats(), l.base)), NO_AIR);
  }

  /** Starts air accounting afresh (a new run); links closed since are forgotten. */
  resetAir(): void {
    this.links = this.links.filter((l) => !l.closed);
    for (const l of this.links) l.base = l.link.stats();
  }

  /**
   * Sends one sample's frames to one target; returns its address, or undefined when dropped. With
   * `pinSeq` (DAG plans; the `seq` policy passes seq / batch) the replica is it modulo the peer count
   * (the next live one if that is dead), so every upstream branch sends one sample to the same replica
   * of a gather, and senders of a chain pair up as the coordinator does.
   */
  async send(coordinator: Connection, frames: TensorFrame[], pinSeq?: number): Promise<string | undefined> {
    if (this.peers.length === 1 && this.peers[0].address === COORDINATOR_ADDRESS) {
      return (await this.sendAll(coordinator, frames)) ? COORDINATOR_ADDRESS : undefined;
    }
    if (pinSeq !== undefined) return this.sendPinned(frames, pinSeq);
    for (let attempt = 0; attempt < this.peers.length; attempt++) {
      const live = this.peers.filter((p) => !p.dead);
      const loads = await Promise.all(
        live.map(
          (p) =>
            p.conn?.then(
              (c) => c.stats().inFlightFrames,
              () => Infinity,
            ) ?? Promise.resolve(0),
        ),
      );
      const i = this.picker.pick(live.length, (j) => loads[j]);
      if (i < 0) break;
      const peer = live[i];
      if (await this.sendTo(peer, frames)) return peer.address;
    }
    this.dropped += 1;
    return undefined;
  }

  private async sendPinned(frames: TensorFrame[], seq: number): Promise<string | undefined> {
    const n = this.peers.length;
    for (let i = 0; i < n; i++) {
      const peer = this.peers[(seq + i) % n];
      if (!peer.dead && (await this.sendTo(peer, frames))) return peer.address;
    }
    this.dropped += 1;
    return undefined;
  }

  /** Connects to `peer` if needed and sends; a peer that cannot be reached or sent to is marked dead. */
  private async sendTo(peer: Peer, frames: TensorFrame[]): Promise<boolean> {
    const conn = await this.connect(peer).catch((err: unknown) => {
      this.o.log(`downstream ${peer.address} unreachable: ${errorMessage(err)}`);
      return undefined;
    });
    if (conn && (await this.sendAll(conn, frames))) return true;
    peer.dead = true;
    return false;
  }

  private async sendAll(conn: Connection, frames: TensorFrame[]): Promise<boolean> {
    try {
      await Promise.all(frames.map((f) => conn.send(f)));
      return true;
    } catch (err) {
      // a dead peer: the coordinator re-sends every incomplete sample after failover
      this.o.log(`send to ${conn.remote} failed (${errorMessage(err)}); sample dropped here`);
      return false;
    }
  }

  /** Opens the connection ahead of the first sample; a failure leaves the peer to be retried on first use. */
  private warm(peer: Peer): void {
    this.connect(peer, true).catch(() => undefined);
  }

  private connect(peer: Peer, warm = false): Promise<Connection> {
    if (!peer.conn) {
      const { host, port } = parseAddress(peer.address);
      const wrap = this.o.linkWrap;
      let link: EmulatedLink | undefined;
      const attempt = this.o.transport.connect({
        ...this.o.connection,
        ...(wrap
          ? {
              wrap: (raw: ByteDuplex) => {
                const w = wrap(raw);
                if (isEmulated(w)) link = w;
                return w;
              },
            }
          : {}),
        host,
        port,
      });
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new EdgesplitError(
                'E_TRANSPORT',
                `connect to ${peer.address} timed out after ${CONNECT_TIMEOUT_MS} ms`,
              ),
            ),
          CONNECT_TIMEOUT_MS,
        ).unref(),
      );
      const conn = Promise.race([attempt, timeout]);
      peer.conn = conn;
      conn.then(
        (c) => {
          // counted from here: the handshake is set-up, not a sample's transfer
          const entry = link ? { link, base: link.stats(), closed: false } : undefined;
          if (entry) this.links.push(entry);
          void c.closed.then(() => {
            peer.dead = true;
            if (entry) entry.closed = true;
          });
          this.o.onConnection(c);
        },
        () => {
          if (peer.conn !== conn) return;
          if (warm) peer.conn = undefined;
          else peer.dead = true;
        },
      );
    }
    return peer.conn;
  }
}

function isEmulated(d: ByteDuplex): d is EmulatedLink {
  return typeof (d as Partial<EmulatedLink>).stats === 'function';
}
