/**
 * A stage node's way to the next stage: the replicas it may send to (or the coordinator after the last
 * stage), connections opened on first use and wrapped with the link emulation, one replica picked per
 * sample, and dead peers skipped. Sends to a dead peer are dropped (the coordinator re-sends after a
 * failover), never blocking the node.
 */
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { TensorFrame } from '../transport/codec/frame.js';
import type { ByteDuplex, Connection, ConnectionOptions, Transport } from '../transport/transport.js';
import { parseAddress } from './address.js';
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
  }

  /**
   * Sends one sample's frames to one target; returns its address, or undefined when dropped. With
   * `pinSeq` (DAG plans) the replica is the sample's seq modulo the peer count (the next live one if
   * that is dead), so every upstream branch sends one sample to the same replica of a gather.
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

  private connect(peer: Peer): Promise<Connection> {
    if (!peer.conn) {
      const { host, port } = parseAddress(peer.address);
      const attempt = this.o.transport.connect({
        ...this.o.connection,
        ...(this.o.linkWrap ? { wrap: this.o.linkWrap } : {}),
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
      peer.conn = Promise.race([attempt, timeout]);
      peer.conn.then(
        (c) => {
          void c.closed.then(() => (peer.dead = true));
          this.o.onConnection(c);
        },
        () => (peer.dead = true),
      );
    }
    return peer.conn;
  }
}
