/**
 * A stage node's way to the next stage: the replicas it may send to (or the coordinator after the last
 * stage), connections opened as soon as the peers are known (a deployment pairs its radios before it
 * infers, so no sample pays for a handshake; one that fails is retried on first use) and wrapped with
 * the link emulation, and one replica picked per sample. A peer that cannot be reached or sent to is
 * retried with a bounded backoff, never written off: only the coordinator decides a node is dead (by
 * sending new peers). A sample no peer took in time is dropped (the coordinator re-sends after a
 * failover), so the node never blocks for long. It also sums what its emulated links put on air
 * ({@link Downstream.air}).
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

/** How hard a send tries to reach a peer before the sample is dropped at this node. */
export interface DownstreamRetry {
  /** Rounds of attempts per sample (at least 1). */
  readonly attempts: number;
  /** Wait before a peer that failed is tried again, by its consecutive failures (the last repeats). */
  readonly backoffMs: readonly number[];
}

/** About 2 s of backoff per sample at most, on top of the connect attempts themselves. */
export const DEFAULT_RETRY: DownstreamRetry = { attempts: 4, backoffMs: [100, 400, 1600] };

/** What {@link Downstream} needs from its node. */
export interface DownstreamOptions {
  readonly transport: Transport;
  readonly connection?: ConnectionOptions;
  readonly linkWrap?: (raw: ByteDuplex) => ByteDuplex;
  readonly log: (line: string) => void;
  /** Sees every connection opened to a peer (the node reads from it and closes it on shutdown). */
  readonly onConnection: (conn: Connection) => void;
  /** Default {@link DEFAULT_RETRY}. */
  readonly retry?: DownstreamRetry;
}

interface Peer {
  readonly address: string;
  /** The open connection or the attempt under way; unset after a failure or a close (reopened on use). */
  conn?: Promise<Connection>;
  /** What `conn` resolved to, while it is the peer's connection: a send needs no await to get it. */
  open?: Connection;
  /** Consecutive failed connects or sends, and when the peer may be tried again. */
  failures: number;
  retryAt: number;
}

/** The next stage's replicas as one stage node sees them. */
export class Downstream {
  private peers: Peer[] = [];
  private picker = new ReplicaPicker('round-robin');
  /** Settles when the peer set is replaced: a send waiting to retry gives its sample up then. */
  private replaced = signal();
  /** Samples no live peer took. */
  dropped = 0;
  /** Emulated links it opened, with their counters when air accounting last started. */
  private links: { readonly link: EmulatedLink; base?: LinkStats; closed: boolean }[] = [];

  constructor(private readonly o: DownstreamOptions) {}

  /**
   * Replaces the peer set (host:port list, or [`coordinator`]); connections to removed peers close.
   * The coordinator sends peers when it assigns and after a failover: the ones it keeps are alive as
   * far as it knows, so what this node learnt about their failures is forgotten.
   */
  setPeers(addresses: readonly string[], policy?: ReplicaPolicy): void {
    if (policy) this.picker = new ReplicaPicker(policy);
    const keep = new Map(this.peers.map((p) => [p.address, p]));
    for (const p of this.peers)
      if (!addresses.includes(p.address))
        void p.conn?.then(
          (c) => c.close('peer replaced'),
          () => undefined,
        );
    this.peers = addresses.map((address) => {
      const p = keep.get(address) ?? { address, failures: 0, retryAt: 0 };
      p.failures = 0;
      p.retryAt = 0;
      return p;
    });
    this.replaced.fire();
    this.replaced = signal();
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
   * `pinSeq` (DAG plans; the `seq` policy passes seq / batch) the replica is it modulo the peer count,
   * so every upstream branch sends one sample to the same replica of a gather, and senders of a chain
   * pair up as the coordinator does. A pinned sample never moves to another replica (its siblings
   * would not follow): when its replica cannot be reached after the retries, or the coordinator
   * replaces the peers meanwhile (a failover, which re-sends it), it is dropped here. Otherwise the
   * policy picks among the peers not waiting out a backoff.
   */
  async send(coordinator: Connection, frames: TensorFrame[], pinSeq?: number): Promise<string | undefined> {
    if (this.peers.length === 1 && this.peers[0].address === COORDINATOR_ADDRESS) {
      try {
        await sendFrames(coordinator, frames);
        return COORDINATOR_ADDRESS;
      } catch (err) {
        this.sendFailed(coordinator, err);
        return undefined;
      }
    }
    const peers = this.peers;
    const replaced = this.replaced;
    const { attempts, backoffMs } = this.o.retry ?? DEFAULT_RETRY;
    for (let round = 0; round < attempts && peers === this.peers && peers.length > 0; round++) {
      const pinned = pinSeq === undefined ? undefined : peers[pinSeq % peers.length];
      for (let tries = readyCount(peers, pinned, Date.now()); tries > 0; tries--) {
        const picked = this.pick(peers, pinned);
        const peer = picked instanceof Promise ? await picked : picked;
        if (!peer || peers !== this.peers) break;
        const open = peer.open;
        if (open) {
          // the common case inline: no promise but the connection's own
          const attempt = peer.conn;
          try {
            await sendFrames(open, frames);
            peer.failures = 0;
            return peer.address;
          } catch (err) {
            this.sendFailed(open, err);
            this.backOff(peer, attempt, open, backoffMs);
            continue;
          }
        }
        if (await this.sendTo(peer, frames, backoffMs)) return peer.address;
      }
      if (round + 1 < attempts) {
        let retryAt = Infinity;
        for (const p of pinned ? [pinned] : peers) retryAt = Math.min(retryAt, p.retryAt);
        await replaced.within(retryAt - Date.now());
      }
    }
    this.dropped += 1;
    return undefined;
  }

  /**
   * The pinned peer, or the policy's choice among the ones not in backoff. Synchronous unless a
   * connection is still being opened to one of them (its load is known once it is open).
   */
  private pick(
    peers: readonly Peer[],
    pinned: Peer | undefined,
  ): Peer | undefined | Promise<Peer | undefined> {
    const now = Date.now();
    if (pinned) return pinned.retryAt <= now ? pinned : undefined;
    if (peers.length === 1) return peers[0].retryAt <= now ? peers[0] : undefined;
    const ready = peers.filter((p) => p.retryAt <= now);
    if (ready.length <= 1) return ready[0];
    if (ready.some((p) => p.conn && !p.open)) return this.pickOpening(ready);
    const i = this.picker.pick(ready.length, (j) => ready[j].open?.stats().inFlightFrames ?? 0);
    return i < 0 ? undefined : ready[i];
  }

  private async pickOpening(ready: readonly Peer[]): Promise<Peer | undefined> {
    const loads = await Promise.all(
      ready.map(
        (p) =>
          p.conn?.then(
            (c) => c.stats().inFlightFrames,
            () => Infinity,
          ) ?? Promise.resolve(0),
      ),
    );
    const i = this.picker.pick(ready.length, (j) => loads[j]);
    return i < 0 ? undefined : ready[i];
  }

  /** Connects to `peer` and sends; a failure closes the connection and backs the peer off. */
  private async sendTo(peer: Peer, frames: TensorFrame[], backoffMs: readonly number[]): Promise<boolean> {
    const attempt = this.connect(peer);
    const conn = await attempt.catch((err: unknown) => {
      this.o.log(`downstream ${peer.address} unreachable: ${errorMessage(err)}`);
      return undefined;
    });
    if (conn) {
      try {
        await sendFrames(conn, frames);
        peer.failures = 0;
        return true;
      } catch (err) {
        this.sendFailed(conn, err);
      }
    }
    this.backOff(peer, attempt, conn, backoffMs);
    return false;
  }

  private sendFailed(conn: Connection, err: unknown): void {
    // a dead peer: the coordinator re-sends every incomplete sample after failover
    this.o.log(`send to ${conn.remote} failed (${errorMessage(err)}); sample dropped here`);
  }

  /** After a failed connect or send on `attempt`: closes it and makes the peer wait before it is tried again. */
  private backOff(
    peer: Peer,
    attempt: Promise<Connection> | undefined,
    conn: Connection | undefined,
    backoffMs: readonly number[],
  ): void {
    if (peer.conn === attempt) forget(peer);
    if (conn) void conn.close('send failed').catch(() => undefined);
    peer.failures += 1;
    peer.retryAt = Date.now() + (backoffMs[Math.min(peer.failures, backoffMs.length) - 1] ?? 0);
  }

  /** Opens the connection ahead of the first sample; a failure leaves the peer to be retried on first use. */
  private warm(peer: Peer): void {
    this.connect(peer).catch(() => undefined);
  }

  private connect(peer: Peer): Promise<Connection> {
    if (!peer.conn) {
      const { host, port } = parseAddress(peer.address);
      const wrap = this.o.linkWrap;
      let link: EmulatedLink | undefined;
      let timedOut = false;
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
      // one that opens after its timeout is nobody's: close it
      attempt.then(
        (c) => timedOut && void c.close('connect timed out').catch(() => undefined),
        () => undefined,
      );
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => {
          timedOut = true;
          reject(
            new EdgesplitError(
              'E_TRANSPORT',
              `connect to ${peer.address} timed out after ${CONNECT_TIMEOUT_MS} ms`,
            ),
          );
        }, CONNECT_TIMEOUT_MS).unref(),
      );
      const conn = Promise.race([attempt, timeout]);
      peer.conn = conn;
      conn.then(
        (c) => {
          if (peer.conn === conn) peer.open = c;
          // counted from here: the handshake is set-up, not a sample's transfer
          const entry = link ? { link, base: link.stats(), closed: false } : undefined;
          if (entry) this.links.push(entry);
          void c.closed.then(() => {
            // reopened by the next send: a peer that closed (e.g. starting a new run) is not dead
            if (peer.conn === conn) forget(peer);
            if (entry) entry.closed = true;
          });
          this.o.onConnection(c);
        },
        () => {
          if (peer.conn === conn) forget(peer);
        },
      );
    }
    return peer.conn;
  }
}

/** Sends a sample's frames on one connection (they share a write); one frame needs no Promise.all. */
export function sendFrames(conn: Connection, frames: readonly TensorFrame[]): Promise<unknown> {
  return frames.length === 1 ? conn.send(frames[0]) : Promise.all(frames.map((f) => conn.send(f)));
}

/** Drops the peer's connection (it is reopened on next use). */
function forget(peer: Peer): void {
  peer.conn = undefined;
  peer.open = undefined;
}

/** Peers of a send round not waiting out a backoff (the pinned one only, when pinned). */
function readyCount(peers: readonly Peer[], pinned: Peer | undefined, now: number): number {
  if (pinned) return pinned.retryAt <= now ? 1 : 0;
  let n = 0;
  for (const p of peers) if (p.retryAt <= now) n += 1;
  return n;
}

/** A one-shot wake-up: {@link within} waits for it, or for `ms` at most. */
function signal(): { fire(): void; within(ms: number): Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return {
    fire,
    within: (ms) =>
      ms > 0
        ? new Promise<void>((resolve) => {
            const t = setTimeout(resolve, ms);
            void fired.then(() => {
              clearTimeout(t);
              resolve();
            });
          })
        : Promise.resolve(),
  };
}

function isEmulated(d: ByteDuplex): d is EmulatedLink {
  return typeof (d as Partial<EmulatedLink>).stats === 'function';
}
