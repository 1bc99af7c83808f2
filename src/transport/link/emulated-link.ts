/**
 * Link emulation: a {@link ByteDuplex} wrapper that carries bytes over a real stream as emulated
 * packets. Both ends must wrap with the same parameters and scheme.
 *
 * - Sender: chunks bytes into packets, puts them on air back to back at `airBps`, loses each with
 *   `lossRate` (seeded), and retransmits according to the delivery scheme.
 * - Receiver: holds at most `bufferPackets` (a full buffer silently drops), processes one packet at a
 *   time at the sustained `throughputBps`, delivers bytes in order, and sends feedback.
 * - Schemes: "credit" (edgesplit's: never more packets outstanding than the receiver buffer, SACK
 *   feedback, selective retransmission) and "window" (the seed's: N packets, the last one asks for an
 *   acknowledgement sent once it is processed; a missing ack resends the window after a timeout).
 *
 * Timing runs on emulated instants (ms on a host-shared clock, all durations x `timeScale`); arrivals
 * and processing wait for the wall clock, so upper layers see real pacing. Link messages on the raw
 * stream: u32 length, u8 kind, then DATA (seq u32, tx u32, arrival f64, flags u8, payload), FEEDBACK
 * (stamp f64, cum u32, lastTx u32, n u16, n x seq u32) or WACK (stamp f64, cum u32). A packet is
 * known lost when it is neither delivered nor buffered although a later transmission has arrived.
 */
import { TransportError } from '../errors.js';
import type { ByteDuplex } from '../transport.js';
import { LINK_SEQ_BYTES, validateLinkParams, type LinkParams } from './params.js';
import { nowMs, Scheduler } from './scheduler.js';
import { mulberry32 } from '../../core/random.js';

/** How packets are acknowledged and retransmitted. */
export type DeliveryScheme = { readonly kind: 'credit' } | { readonly kind: 'window'; readonly n: number };

/** Options of {@link emulateLink}. */
export interface LinkEmulationOptions {
  readonly params: LinkParams;
  readonly scheme: DeliveryScheme;
  /** Emulated durations are multiplied by this (0.01 runs 100x faster than real; ratios are kept). Default 1. */
  readonly timeScale?: number;
  /** Seed of loss and jitter draws (default 1). */
  readonly seed?: number;
  /** Bytes the sender queues before `write` waits (default 16 packets). */
  readonly sendBufferBytes?: number;
  /** Real ms a timeout or loss verdict waits beyond its emulated instant, absorbing wall-clock lag (default 3). */
  readonly graceMs?: number;
}

/** Counters of one end (its sending and its receiving direction). */
export interface LinkStats {
  /** Packets put on air, new ones, retransmissions, lost on air, retransmission timeouts. */
  packetsSent: number;
  newPackets: number;
  retransmissions: number;
  lostOnAir: number;
  timeouts: number;
  /** Upper-layer bytes accepted for sending. */
  bytesQueued: number;
  /** Packets arriving at a full receive buffer (silently dropped), duplicates, out-of-order discards. */
  bufferDrops: number;
  duplicates: number;
  outOfOrder: number;
  /** Packets and bytes delivered in order to the upper layer. */
  packetsDelivered: number;
  bytesDelivered: number;
  /** Emulated instants of the first packet delivered and of the last, ms. */
  firstDeliveryAt: number;
  lastDeliveryAt: number;
}

/** An emulated link end. */
export interface EmulatedLink extends ByteDuplex {
  stats(): LinkStats;
}

const DATA = 1;
const FEEDBACK = 2;
const WACK = 3;

interface OutPacket {
  readonly payload: Buffer;
  arrival: number;
  ackReq: boolean;
  /** Number of its latest transmission (transmissions are numbered in the order they go on air). */
  tx: number;
}

/** Wraps `raw` so that everything written travels as emulated packets. */
export function emulateLink(raw: ByteDuplex, options: LinkEmulationOptions): EmulatedLink {
  const p = validateLinkParams(options.params);
  const scheme = options.scheme;
  if (scheme.kind === 'window' && !(Number.isInteger(scheme.n) && scheme.n >= 1))
    throw new TransportError(`window size must be a whole number >= 1, got ${scheme.n}`);
  const ts = options.timeScale ?? 1;
  if (!(ts > 0)) throw new TransportError(`timeScale must be > 0, got ${ts}`);
  const grace = options.graceMs ?? 3;
  const maxPayload = p.packetBytes - p.headerBytes - LINK_SEQ_BYTES;
  const sendBufferBytes = options.sendBufferBytes ?? 16 * maxPayload;
  const latency = p.latencyMs * ts;
  const airMs = (payloadBytes: number) =>
    (((payloadBytes + LINK_SEQ_BYTES + p.headerBytes) * 8) / p.airBps) * 1000 * ts;
  const serviceMs = (payloadBytes: number) =>
    (((payloadBytes + LINK_SEQ_BYTES) * 8) / p.throughputBps) * 1000 * ts;
  const maxService = serviceMs(maxPayload) * (1 + p.serviceJitter);
  const lossRng = mulberry32(options.seed ?? 1);
  const jitterRng = mulberry32((options.seed ?? 1) ^ 0x9e3779b9);
  const sched = new Scheduler();
  const stats: LinkStats = {
    packetsSent: 0,
    newPackets: 0,
    retransmissions: 0,
    lostOnAir: 0,
    timeouts: 0,
    bytesQueued: 0,
    bufferDrops: 0,
    duplicates: 0,
    outOfOrder: 0,
    packetsDelivered: 0,
    bytesDelivered: 0,
    firstDeliveryAt: 0,
    lastDeliveryAt: 0,
  };
  let upper: { data: (c: Buffer) => void; close: (e?: Error) => void } | undefined;
  let closed = false;

  // ---- sending direction ----
  const queue: Buffer[] = [];
  let queued = 0;
  const writers: (() => void)[] = [];
  const unacked = new Map<number, OutPacket>();
  let nextSeq = 0;
  let cum = 0;
  let airFreeAt = 0;
  let txCount = 0;
  const retx: number[] = [];
  let sacked = new Set<number>();
  let waiting = false;
  let windowEnd = 0;
  let windowToken = 0;
  let endRequested = false;

  const send = (msg: Buffer) => void raw.write(msg).catch(() => undefined);

  function takePayload(): Buffer {
    const n = Math.min(maxPayload, queued);
    const parts: Buffer[] = [];
    for (let got = 0; got < n;) {
      const head = queue[0];
      const k = Math.min(head.length, n - got);
      parts.push(head.subarray(0, k));
      if (k === head.length) queue.shift();
      else queue[0] = head.subarray(k);
      got += k;
    }
    queued -= n;
    while (writers.length > 0 && queued <= sendBufferBytes) writers.shift()!();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  function transmit(seq: number, t: number, isRetx: boolean): void {
    const pkt = unacked.get(seq)!;
    airFreeAt = Math.max(airFreeAt, t) + airMs(pkt.payload.length);
    pkt.arrival = airFreeAt + latency;
    pkt.tx = ++txCount;
    stats.packetsSent += 1;
    if (isRetx) stats.retransmissions += 1;
    else stats.newPackets += 1;
    if (p.lossRate > 0 && lossRng() < p.lossRate) stats.lostOnAir += 1;
    else {
      const m = Buffer.allocUnsafe(22 + pkt.payload.length);
      m.writeUInt32BE(m.length - 4, 0);
      m.writeUInt8(DATA, 4);
      m.writeUInt32BE(seq, 5);
      m.writeUInt32BE(pkt.tx, 9);
      m.writeDoubleBE(pkt.arrival, 13);
      m.writeUInt8(pkt.ackReq ? 1 : 0, 21);
      pkt.payload.copy(m, 22);
      send(m);
    }
    if (scheme.kind === 'credit') {
      const arrival = pkt.arrival;
      const deadline = arrival + latency + (p.bufferPackets + 1) * maxService;
      afterGrace(deadline, () => {
        const still = unacked.get(seq);
        if (!still || seq < cum || still.arrival !== arrival || sacked.has(seq) || retx.includes(seq)) return;
        stats.timeouts += 1;
        retx.push(seq);
        trySend(deadline);
      });
    }
  }

  /** Runs a timeout at `deadline` + grace, after one more I/O poll so an acknowledgement already on its way is seen first. */
  function afterGrace(deadline: number, fn: () => void): void {
    sched.at(deadline + grace, () => setImmediate(() => !closed && fn()));
  }

  function newPacket(): number {
    const seq = nextSeq++;
    unacked.set(seq, { payload: takePayload(), arrival: Infinity, ackReq: false, tx: 0 });
    return seq;
  }

  function trySend(t: number): void {
    if (closed) return;
    if (scheme.kind === 'credit') {
      for (;;) {
        const r = retx.shift();
        if (r !== undefined) {
          if (r >= cum && unacked.has(r) && !sacked.has(r)) transmit(r, t, true);
          continue;
        }
        if (queued === 0 || nextSeq - cum >= p.bufferPackets) break;
        transmit(newPacket(), t, false);
      }
    } else if (!waiting) {
      const seqs: number[] = [];
      const fresh = nextSeq;
      for (let s = cum; s < nextSeq && seqs.length < scheme.n; s++) seqs.push(s);
      while (seqs.length < scheme.n && queued > 0) seqs.push(newPacket());
      if (seqs.length > 0) sendWindow(seqs, t, fresh);
    }
    maybeEnd();
  }

  /** Sends a window; sequence numbers below `fresh` count as retransmissions. */
  function sendWindow(seqs: number[], t: number, fresh: number): void {
    if (scheme.kind !== 'window') return;
    seqs.forEach((s, i) => {
      unacked.get(s)!.ackReq = i === seqs.length - 1;
      transmit(s, t, s < fresh);
    });
    waiting = true;
    windowEnd = seqs[seqs.length - 1] + 1;
    const token = ++windowToken;
    const deadline = unacked.get(seqs[seqs.length - 1])!.arrival + (scheme.n + 1) * maxService + latency;
    afterGrace(deadline, () => {
      if (!waiting || token !== windowToken || closed) return;
      stats.timeouts += 1;
      const again: number[] = [];
      for (let s = cum; s < windowEnd; s++) again.push(s);
      sendWindow(again, deadline, nextSeq);
    });
  }

  /** `lastTx`: the latest transmission the receiver has seen arrive (or miss); every earlier one is settled. */
  function onFeedback(stamp: number, newCum: number, lastTx: number, sack: number[]): void {
    for (let s = cum; s < newCum; s++) unacked.delete(s);
    cum = Math.max(cum, newCum);
    sacked = new Set(sack);
    for (let s = cum; s < nextSeq; s++) {
      const pkt = unacked.get(s);
      if (pkt && !sacked.has(s) && pkt.tx < lastTx && !retx.includes(s)) retx.push(s);
    }
    retx.sort((a, b) => a - b);
    trySend(stamp);
  }

  function onWack(stamp: number, newCum: number): void {
    if (newCum <= cum) return;
    for (let s = cum; s < newCum; s++) unacked.delete(s);
    cum = newCum;
    if (cum >= windowEnd) waiting = false;
    trySend(stamp);
  }

  function maybeEnd(): void {
    if (endRequested && queued === 0 && cum === nextSeq && !closed) raw.end();
  }

  // ---- receiving direction ----
  const buffer = new Map<number, { payload: Buffer; ackReq: boolean }>();
  let expected = 0;
  let busy = false;
  let lastTx = 0;

  function sendFeedback(t: number): void {
    const sack = [...buffer.keys()].filter((s) => s >= expected);
    const m = Buffer.allocUnsafe(23 + 4 * sack.length);
    m.writeUInt32BE(m.length - 4, 0);
    m.writeUInt8(FEEDBACK, 4);
    m.writeDoubleBE(t + latency, 5);
    m.writeUInt32BE(expected, 13);
    m.writeUInt32BE(lastTx, 17);
    m.writeUInt16BE(sack.length, 21);
    sack.forEach((s, i) => m.writeUInt32BE(s, 23 + 4 * i));
    send(m);
  }

  function sendWack(t: number): void {
    const m = Buffer.allocUnsafe(17);
    m.writeUInt32BE(13, 0);
    m.writeUInt8(WACK, 4);
    m.writeDoubleBE(t + latency, 5);
    m.writeUInt32BE(expected, 13);
    send(m);
  }

  function arrive(t: number, seq: number, tx: number, ackReq: boolean, payload: Buffer): void {
    lastTx = Math.max(lastTx, tx);
    if (seq < expected || buffer.has(seq)) {
      stats.duplicates += 1;
      if (scheme.kind === 'window' && ackReq && seq < expected) sendWack(t);
      return;
    }
    if (scheme.kind === 'window' && seq !== expected + buffer.size) {
      stats.outOfOrder += 1;
      return;
    }
    if (buffer.size >= p.bufferPackets) {
      stats.bufferDrops += 1;
      return;
    }
    buffer.set(seq, { payload, ackReq });
    if (scheme.kind === 'credit' && !buffer.has(expected)) sendFeedback(t);
    startService(t);
  }

  function startService(t: number): void {
    const pkt = buffer.get(expected);
    if (busy || !pkt) return;
    busy = true;
    const jitter = p.serviceJitter > 0 ? 1 + p.serviceJitter * (2 * jitterRng() - 1) : 1;
    sched.at(t + serviceMs(pkt.payload.length) * jitter, complete);
  }

  function complete(t: number): void {
    const pkt = buffer.get(expected)!;
    buffer.delete(expected);
    expected += 1;
    busy = false;
    if (stats.packetsDelivered === 0) stats.firstDeliveryAt = t;
    stats.packetsDelivered += 1;
    stats.bytesDelivered += pkt.payload.length;
    stats.lastDeliveryAt = t;
    if (scheme.kind === 'credit') sendFeedback(t);
    else if (pkt.ackReq) sendWack(t);
    upper?.data(pkt.payload);
    startService(t);
  }

  // ---- raw stream parsing ----
  let pending: Buffer = Buffer.alloc(0);
  function onRaw(chunk: Buffer): void {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const len = pending.readUInt32BE(0);
      const m = pending.subarray(4, 4 + len);
      pending = pending.subarray(4 + len);
      const kind = m.readUInt8(0);
      if (kind === DATA) {
        const seq = m.readUInt32BE(1);
        const tx = m.readUInt32BE(5);
        const arrival = m.readDoubleBE(9);
        const ackReq = m.readUInt8(17) === 1;
        const payload = Buffer.from(m.subarray(18));
        sched.at(arrival, (t) => arrive(t, seq, tx, ackReq, payload));
      } else if (kind === FEEDBACK) {
        const n = m.readUInt16BE(17);
        const sack = Array.from({ length: n }, (_, i) => m.readUInt32BE(19 + 4 * i));
        onFeedback(m.readDoubleBE(1), m.readUInt32BE(9), m.readUInt32BE(13), sack);
      } else if (kind === WACK) onWack(m.readDoubleBE(1), m.readUInt32BE(9));
      else {
        link.destroy(new TransportError(`emulated link from ${raw.remote}: unknown message kind ${kind}`));
        return;
      }
    }
  }

  const link: EmulatedLink = {
    remote: `${raw.remote} (emulated ${p.id}, ${scheme.kind === 'credit' ? 'credit' : `window-${scheme.n}`})`,
    write(chunk) {
      if (closed || endRequested)
        return Promise.reject(new TransportError(`emulated link to ${raw.remote} is closed`));
      queue.push(chunk);
      queued += chunk.length;
      stats.bytesQueued += chunk.length;
      trySend(nowMs());
      return queued <= sendBufferBytes ? Promise.resolve() : new Promise((resolve) => writers.push(resolve));
    },
    start(h) {
      upper = h;
      raw.start({
        data: onRaw,
        close: (err) => {
          closed = true;
          sched.stop();
          for (const w of writers.splice(0)) w();
          h.close(err);
        },
      });
    },
    end() {
      endRequested = true;
      maybeEnd();
    },
    destroy(err) {
      closed = true;
      sched.stop();
      raw.destroy(err);
    },
    stats: () => ({ ...stats }),
  };
  return link;
}
