/**
 * The sending side of one connection: sends wait here, in order, until the peer's credit admits
 * them and the byte stream takes more, then go into the {@link Outbox}. Once both ends agreed to
 * `credit-ask`, a sender the byte window holds back asks the peer for a report.
 */
import type { EncodedFrame, MessageFrame } from './codec/frame.js';
import { SendCredit } from './credit.js';
import type { Outbox } from './outbox.js';
import { TransportError } from './errors.js';
import type { CreditWindow } from './transport.js';

interface PendingSend {
  readonly frame: EncodedFrame;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** A tensor frame that owns its bytes, which a hold may keep (others go out in the callback they were sent in). */
  readonly holdable: boolean;
}

/** Credit-gated, ordered sends of one connection. */
export class SendQueue {
  /** Frames and bytes handed to the outbox. */
  framesSent = 0;
  bytesSent = 0;
  private readonly pending: PendingSend[] = [];
  private sendCredit: SendCredit | undefined;
  private awaitingDrain = false;
  private creditAsk = false;
  /** This end asked and no report came since. */
  private asked = false;
  private closed = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly writeControl: (frame: MessageFrame) => void,
  ) {}

  /** The peer's credit once the handshake is done (undefined before). */
  get credit(): SendCredit | undefined {
    return this.sendCredit;
  }

  /** Sends waiting for credit or for the byte stream. */
  get length(): number {
    return this.pending.length;
  }

  /** The handshake is done: sends may go within the `window` the peer granted. */
  start(window: CreditWindow, creditAsk: boolean): void {
    this.sendCredit = new SendCredit(window);
    this.creditAsk = creditAsk;
    this.pump();
  }

  /** Queues an encoded frame; `resolve` runs once the outbox wrote it (or its hold kept it). */
  push(frame: EncodedFrame, resolve: () => void, reject: (err: Error) => void, holdable = false): void {
    this.pending.push({ frame, resolve, reject, holdable });
    this.pump();
  }

  /** The peer reported consumption (cumulative). */
  onGrant(frames: number, bytes: number): void {
    this.sendCredit?.onGrant({ frames, bytes });
    this.asked = false;
    this.pump();
  }

  /** No more sends: every waiting one fails with `reason`. */
  close(reason: string): void {
    this.closed = true;
    for (const p of this.pending.splice(0)) p.reject(new TransportError(reason));
  }

  private pump(): void {
    const credit = this.sendCredit;
    if (!credit) return;
    if (this.awaitingDrain) return this.outbox.flushHeld();
    while (this.pending.length > 0 && !this.closed && credit.canSend(this.pending[0].frame.length)) {
      if (this.outbox.blocked) {
        this.awaitingDrain = true;
        void this.outbox.drained().then(() => {
          this.awaitingDrain = false;
          this.pump();
        });
        return;
      }
      const p = this.pending.shift()!;
      credit.onSent(p.frame.length);
      this.framesSent += 1;
      this.bytesSent += p.frame.length;
      this.outbox.push(p.frame, p.resolve, p.holdable);
    }
    // a send waits (credit or the byte stream): frames the hold keeps must not wait with it, or
    // the peer, which reports credit only for frames it got, could never let it go on
    if (this.pending.length > 0) this.outbox.flushHeld();
    if (
      this.creditAsk &&
      !this.asked &&
      this.pending.length > 0 &&
      !this.closed &&
      credit.inFlightFrames < credit.window.frames
    ) {
      // held back by the byte window: the peer's half-window reports may never come (a frame
      // larger than the rest), and it sends no delayed ones. Held back by frames, they will.
      this.asked = true;
      this.writeControl({ type: 'credit', streamId: 0, seq: 0, body: { ask: true } });
    }
  }
}
