/**
 * Link emulation: a {@link ByteDuplex} wrapper that carries bytes over a real stream as emulated
 * packets. Both ends must wrap with the same parameters and delivery scheme.
 *
 * - Sender: chunks bytes into packets, puts them on air back to back at `airBps` (or, with a shared
 *   {@link Radio}, in slots of the device's radio at the sustained `throughputBps`), loses each with
 *   `lossRate` (seeded), and retransmits as the {@link DeliveryScheme} says.
 * - Receiver: holds at most `bufferPackets` (a full buffer silently drops), processes one packet at a
 *   time at the sustained `throughputBps` (in its radio's slots when it has one), delivers bytes in
 *   order, and lets the scheme send feedback.
 *
 * Timing runs on emulated instants (ms on a host-shared clock, all durations x `timeScale`); arrivals
 * and processing wait for the wall clock, so upper layers see real pacing. Link messages on the raw
 * stream: u32 length, u8 kind, then DATA (seq u32, tx u32, arrival f64, flags u8, payload) or CONTROL
 * (stamp f64, scheme body). A packet is known lost when it is neither delivered nor buffered although
 * a later transmission has arrived.
 */
import { TransportError } from '../errors.js';
import type { ByteDuplex } from '../transport.js';
import { creditScheme } from './credit-scheme.js';
import { LINK_SEQ_BYTES, validateLinkParams, type LinkParams } from './params.js';
import type { Radio } from './radio.js';
import { nowMs, Scheduler } from './scheduler.js';
import type { DeliveryScheme, DeliverySchemeSpec, ReceiverCore, SenderCore } from './scheme.js';
import { emptyLinkStats, type LinkStats } from './stats.js';
import { windowScheme } from './window-scheme.js';
import { mulberry32 } from '../../core/random.js';

export type { DeliveryScheme, DeliverySchemeSpec } from './scheme.js';
export type { LinkStats } from './stats.js';

/** Options of {@link emulateLink}. */
export interface LinkEmulationOptions {
  readonly params: LinkParams;
  /** A scheme, or the description of a built-in one. */
  readonly scheme: DeliveryScheme | DeliverySchemeSpec;
  /** Emulated durations are multiplied by this (0.01 runs 100x faster than real; ratios are kept). Default 1. */
  readonly timeScale?: number;
  /** Seed of loss and jitter draws (default 1). */
  readonly seed?: number;
  /** Bytes the sender queues before `write` waits (default 16 packets). */
  readonly sendBufferBytes?: number;
  /** Real ms a timeout or loss verdict waits beyond its emulated instant, absorbing wall-clock lag (default 3). */
  readonly graceMs?: number;
  /** This end's device radio, shared with its other links: sending and receiving draw from it. */
  readonly radio?: Radio;
}

/** An emulated link end. */
export interface EmulatedLink extends ByteDuplex {
  stats(): LinkStats;
}

/** The scheme a description names. */
export function resolveScheme(s: DeliveryScheme | DeliverySchemeSpec): DeliveryScheme {
  if ('name' in s) return s;
  return s.kind === 'credit' ? creditScheme() : windowScheme(s.n);
}

const DATA = 1;
const CONTROL = 2;

interface OutPacket {
  readonly payload: Buffer;
  arrival: number;
  /** Number of its latest transmission (transmissions are numbered in the order they go on air). */
  tx: number;
}

/** Wraps `raw` so that everything written travels as emulated packets. */
export function emulateLink(raw: ByteDuplex, options: LinkEmulationOptions): EmulatedLink {
  const p = validateLinkParams(options.params);
  const scheme = resolveScheme(options.scheme);
  const ts = options.timeScale ?? 1;
  if (!(ts > 0)) throw new TransportError(`timeScale must be > 0, got ${ts}`);
  const radio = options.radio;
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
  const stats = emptyLinkStats();
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
    radio?.pendingSend(-n);
    while (writers.length > 0 && queued <= sendBufferBytes) writers.shift()!();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** When the packet leaves: on this link's air, or in a radio slot (kept in order per link, so arrivals stay in order). */
  function airSlotEnd(t: number, payloadBytes: number): number {
    const d = radio ? serviceMs(payloadBytes) : airMs(payloadBytes);
    stats.airSentMs += d;
    if (!radio) return (airFreeAt = Math.max(airFreeAt, t) + d);
    return (airFreeAt = radio.reserve(Math.max(airFreeAt, t), d).end);
  }

  const senderCore: SenderCore = {
    bufferPackets: p.bufferPackets,
    maxServiceMs: maxService,
    latencyMs: latency,
    stats,
    cum: () => cum,
    nextSeq: () => nextSeq,
    queuedBytes: () => queued,
    isUnacked: (seq) => unacked.has(seq),
    arrivalOf: (seq) => unacked.get(seq)?.arrival ?? Infinity,
    txOf: (seq) => unacked.get(seq)?.tx ?? 0,
    newPacket() {
      const seq = nextSeq++;
      unacked.set(seq, { payload: takePayload(), arrival: Infinity, tx: 0 });
      return seq;
    },
    transmit(seq, t, retransmission, flags) {
      const pkt = unacked.get(seq)!;
      pkt.arrival = airSlotEnd(t, pkt.payload.length) + latency;
      pkt.tx = ++txCount;
      stats.packetsSent += 1;
      if (retransmission) stats.retransmissions += 1;
      else stats.newPackets += 1;
      if (p.lossRate > 0 && lossRng() < p.lossRate) stats.lostOnAir += 1;
      else {
        const m = Buffer.allocUnsafe(22 + pkt.payload.length);
        m.writeUInt32BE(m.length - 4, 0);
        m.writeUInt8(DATA, 4);
        m.writeUInt32BE(seq, 5);
        m.writeUInt32BE(pkt.tx, 9);
        m.writeDoubleBE(pkt.arrival, 13);
        m.writeUInt8(flags, 21);
        pkt.payload.copy(m, 22);
        send(m);
      }
      return pkt.arrival;
    },
    acknowledge(newCum) {
      for (let s = cum; s < newCum; s++) unacked.delete(s);
      cum = Math.max(cum, newCum);
      maybeEnd();
    },
    // one more I/O poll before a timeout runs, so an acknowledgement already on its way is seen first
    afterGrace: (deadline, fn) => sched.at(deadline + grace, () => setImmediate(() => !closed && fn())),
  };
  const sender = scheme.sender(senderCore);

  function pump(t: number): void {
    if (closed) return;
    sender.pump(t);
    maybeEnd();
  }

  function maybeEnd(): void {
    if (endRequested && queued === 0 && cum === nextSeq && !closed) raw.end();
  }

  // ---- receiving direction ----
  const buffer = new Map<number, { payload: Buffer; flags: number; arrival: number }>();
  let expected = 0;
  let busy = false;
  let lastTx = 0;

  const receiverCore: ReceiverCore = {
    expected: () => expected,
    buffered: () => buffer.keys(),
    bufferSize: () => buffer.size,
    lastTx: () => lastTx,
    sendControl(t, body) {
      const m = Buffer.allocUnsafe(13 + body.length);
      m.writeUInt32BE(m.length - 4, 0);
      m.writeUInt8(CONTROL, 4);
      m.writeDoubleBE(t + latency, 5);
      body.copy(m, 13);
      send(m);
    },
  };
  const receiver = scheme.receiver(receiverCore);

  function arrive(t: number, seq: number, tx: number, flags: number, payload: Buffer): void {
    lastTx = Math.max(lastTx, tx);
    if (seq < expected || buffer.has(seq)) {
      stats.duplicates += 1;
      receiver.onDuplicate(t, seq, flags);
      return;
    }
    if (receiver.admit(seq) === 'discard') {
      stats.outOfOrder += 1;
      return;
    }
    if (buffer.size >= p.bufferPackets) {
      stats.bufferDrops += 1;
      return;
    }
    buffer.set(seq, { payload, flags, arrival: t });
    receiver.onBuffered(t, seq);
    startService(t);
  }

  function startService(t: number): void {
    const pkt = buffer.get(expected);
    if (busy || !pkt) return;
    busy = true;
    const jitter = p.serviceJitter > 0 ? 1 + p.serviceJitter * (2 * jitterRng() - 1) : 1;
    const d = serviceMs(pkt.payload.length) * jitter;
    // what the sender's radio spent on it (its slot); the receiving radio's own slot may come later
    stats.airReceivedMs += radio ? serviceMs(pkt.payload.length) : airMs(pkt.payload.length);
    // with a radio, the packet was received while it was on air (the sender's slot, ending `latency` before it arrived),
    // if this radio was free then: the radio is busy for the air time once, not once at each end
    const airStart = pkt.arrival - latency - d;
    sched.at(radio ? radio.reserve(airStart, d).end : t + d, (at) => complete(Math.max(at, t)));
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
    receiver.onDelivered(t, pkt.flags);
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
        const flags = m.readUInt8(17);
        const payload = Buffer.from(m.subarray(18));
        sched.at(arrival, (t) => arrive(t, seq, tx, flags, payload));
      } else if (kind === CONTROL) {
        sender.onControl(m.readDoubleBE(1), Buffer.from(m.subarray(9)));
        maybeEnd();
      } else {
        link.destroy(new TransportError(`emulated link from ${raw.remote}: unknown message kind ${kind}`));
        return;
      }
    }
  }

  const link: EmulatedLink = {
    remote: `${raw.remote} (emulated ${p.id}, ${scheme.name}${radio ? `, radio ${radio.id}` : ''})`,
    write(chunk) {
      if (closed || endRequested)
        return Promise.reject(new TransportError(`emulated link to ${raw.remote} is closed`));
      queue.push(chunk);
      queued += chunk.length;
      radio?.pendingSend(chunk.length);
      stats.bytesQueued += chunk.length;
      pump(nowMs());
      return queued <= sendBufferBytes ? Promise.resolve() : new Promise((resolve) => writers.push(resolve));
    },
    start(h) {
      upper = h;
      raw.start({
        data: onRaw,
        close: (err) => {
          closed = true;
          radio?.pendingSend(-queued);
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
      if (!closed) radio?.pendingSend(-queued);
      closed = true;
      sched.stop();
      raw.destroy(err);
    },
    stats: () => ({ ...stats }),
  };
  return link;
}
