/**
 * The delivery-scheme seam of the link emulation: how packets are acknowledged and retransmitted.
 * The emulated link ({@link emulateLink}) owns packets, air time, loss, the receive buffer and its
 * service; a scheme decides what the sender puts on air and what feedback the receiver returns.
 * Implementations: `credit-scheme.ts` (edgesplit's credit/SACK) and `window-scheme.ts` (the
 * Distributed TinyML seed's window-N); both pass `test/transport/link.contract.ts`.
 */
import type { LinkStats } from './stats.js';

/** What a scheme's sending half can see and do. All instants are emulated ms. */
export interface SenderCore {
  /** Packets the receiver can hold. */
  readonly bufferPackets: number;
  /** Worst-case receiver service time of one full packet, ms (scaled). */
  readonly maxServiceMs: number;
  /** One-way latency, ms (scaled). */
  readonly latencyMs: number;
  readonly stats: LinkStats;
  /** Lowest sequence number not yet acknowledged in order. */
  cum(): number;
  /** Next new sequence number. */
  nextSeq(): number;
  /** Upper-layer bytes waiting to become packets. */
  queuedBytes(): number;
  /** Whether `seq` is still unacknowledged. */
  isUnacked(seq: number): boolean;
  /** Arrival instant of the latest transmission of `seq` (Infinity before the first). */
  arrivalOf(seq: number): number;
  /** Transmission number of the latest transmission of `seq`. */
  txOf(seq: number): number;
  /** Cuts the next packet from the queue; returns its sequence number. */
  newPacket(): number;
  /** Puts `seq` on air no earlier than `t` with `flags`; returns its arrival instant. */
  transmit(seq: number, t: number, retransmission: boolean, flags: number): number;
  /** Every packet below `cum` was delivered in order: forget them. */
  acknowledge(cum: number): void;
  /** Runs `fn` once the clock passes `deadline` plus grace (skipped once the link closed). */
  afterGrace(deadline: number, fn: () => void): void;
}

/** What a scheme's receiving half can see and do. */
export interface ReceiverCore {
  /** Next sequence number to deliver. */
  expected(): number;
  /** Sequence numbers held in the receive buffer, unordered. */
  buffered(): IterableIterator<number>;
  /** Packets held in the receive buffer. */
  bufferSize(): number;
  /** Latest transmission number that has arrived (or was lost before a later one arrived). */
  lastTx(): number;
  /** Sends scheme feedback stamped to arrive at `t` + latency. */
  sendControl(t: number, body: Buffer): void;
}

/** The sending half of a scheme on one link end. */
export interface SchemeSender {
  /** Puts on air whatever the scheme allows at `t` (new data was queued or feedback arrived). */
  pump(t: number): void;
  /** Feedback from the far end's receiving half, with the instant it arrives. */
  onControl(stamp: number, body: Buffer): void;
}

/** What the receiving half does with a packet arriving at a buffer with room. */
export type Admission = 'accept' | 'discard';

/** The receiving half of a scheme on one link end. */
export interface SchemeReceiver {
  /** A new (not duplicate) packet arrives; `discard` drops it (counted as out of order). */
  admit(seq: number): Admission;
  /** A packet was buffered at `t`. */
  onBuffered(t: number, seq: number): void;
  /** A duplicate arrived at `t` with the sender's `flags`. */
  onDuplicate(t: number, seq: number, flags: number): void;
  /** The packet carrying `flags` was delivered at `t`. */
  onDelivered(t: number, flags: number): void;
}

/** A delivery scheme: both ends of a link must use the same one. */
export interface DeliveryScheme {
  /** Short name shown in link descriptions and benchmarks ("credit", "window-6"). */
  readonly name: string;
  sender(core: SenderCore): SchemeSender;
  receiver(core: ReceiverCore): SchemeReceiver;
}

/** Data description of a built-in scheme (what options and files carry). */
export type DeliverySchemeSpec =
  { readonly kind: 'credit' } | { readonly kind: 'window'; readonly n: number };
