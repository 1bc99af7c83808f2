/**
 * Credit accounting (pure). The receiver grants a window of frames and bytes and reports cumulative
 * consumption; the sender keeps (sent - consumed) within the window. One frame larger than the byte
 * window may travel when nothing else is in flight, so any frame under the size limit can pass.
 *
 * Reports are batched: one per half of the window consumed (frames or bytes), so a steady stream
 * costs a credit frame per 8 data frames at the default window, not one each (a quarter window, as
 * before session 5, cost 0.26 credit records per data frame at batch 1, half of it 0.14), and the
 * half not yet reported still covers a report's round trip. A sender can only be waiting with less
 * than a window in flight when its next frame is larger than the rest of the byte window; the
 * receiver reports at once when the frames it has seen are that large and its queue is empty, and
 * otherwise its connection reports what is owed after a short delay ({@link ReceiveCredit.flush}).
 */
import type { FrameType } from './codec/frame.js';
import type { CreditWindow } from './transport.js';

/** Frame types that consume credit (everything else is protocol traffic and always passes). */
export const CREDITED_TYPES: ReadonlySet<FrameType> = new Set<FrameType>([
  'tensor',
  'control',
  'health',
  'ack',
]);

/** A report is due once 1/this of the window was consumed since the last one. */
export const REPORT_DIVISOR = 2;

/** Cumulative consumption reported in a credit frame. */
export interface CreditGrant {
  readonly frames: number;
  readonly bytes: number;
}

/** The sender's side: may this frame go now? */
export class SendCredit {
  private sentFrames = 0;
  private sentBytes = 0;
  private consumedFrames = 0;
  private consumedBytes = 0;
  /** Highest in-flight frame count ever reached. */
  maxInFlightFrames = 0;
  /** Highest in-flight byte count ever reached. */
  maxInFlightBytes = 0;

  constructor(readonly window: CreditWindow) {}

  /** Frames sent but not yet reported consumed. */
  get inFlightFrames(): number {
    return Math.max(0, this.sentFrames - this.consumedFrames);
  }

  /** Bytes sent but not yet reported consumed. */
  get inFlightBytes(): number {
    return Math.max(0, this.sentBytes - this.consumedBytes);
  }

  /** True when a frame of `bytes` fits the window now. */
  canSend(bytes: number): boolean {
    const f = this.inFlightFrames;
    if (f === 0) return true;
    return f + 1 <= this.window.frames && this.inFlightBytes + bytes <= this.window.bytes;
  }

  /** Records a sent credited frame. */
  onSent(bytes: number): void {
    this.sentFrames += 1;
    this.sentBytes += bytes;
    this.maxInFlightFrames = Math.max(this.maxInFlightFrames, this.inFlightFrames);
    this.maxInFlightBytes = Math.max(this.maxInFlightBytes, this.inFlightBytes);
  }

  /** Applies a cumulative grant; stale (smaller) grants are ignored. */
  onGrant(g: CreditGrant): void {
    this.consumedFrames = Math.max(this.consumedFrames, g.frames);
    this.consumedBytes = Math.max(this.consumedBytes, g.bytes);
  }
}

/** The receiver's side: is the peer within its window, and when to report consumption. */
export class ReceiveCredit {
  private consumedFrames = 0;
  private consumedBytes = 0;
  private grantedFrames = 0;
  private grantedBytes = 0;
  /** Credited frames waiting to be consumed. */
  queuedFrames = 0;
  /** Their bytes. */
  queuedBytes = 0;
  /**
   * Rejected frames were credited back although the sender may never have counted them (injected or
   * replayed); each one may let an honest sender exceed the window by one frame, so it is tolerated.
   */
  private slackFrames = 0;
  private slackBytes = 0;
  /** Largest credited frame the peer sent so far. */
  private largestBytes = 0;

  constructor(readonly window: CreditWindow) {}

  /** Records an arriving credited frame; false when the peer overran the window (protocol violation). */
  onArrive(bytes: number): boolean {
    const ok =
      this.queuedFrames === 0 ||
      (this.queuedFrames + 1 <= this.window.frames + this.slackFrames &&
        this.queuedBytes + bytes <= this.window.bytes + this.slackBytes);
    this.queuedFrames += 1;
    this.queuedBytes += bytes;
    this.largestBytes = Math.max(this.largestBytes, bytes);
    return ok;
  }

  /** Records consumption of a queued frame; returns a grant to send, when one is due. */
  onConsume(bytes: number): CreditGrant | undefined {
    this.queuedFrames -= 1;
    this.queuedBytes -= bytes;
    return this.grant(bytes);
  }

  /** Counts a credited frame that was rejected without being queued (its credit must still return). */
  onDiscard(bytes: number): CreditGrant | undefined {
    this.slackFrames += 1;
    this.slackBytes += bytes;
    return this.grant(bytes);
  }

  /** True when consumption was not reported yet. */
  get owed(): boolean {
    return this.consumedFrames !== this.grantedFrames;
  }

  /** Reports whatever consumption is owed (the delayed report), or undefined when nothing is. */
  flush(): CreditGrant | undefined {
    return this.owed ? this.take() : undefined;
  }

  private grant(bytes: number): CreditGrant | undefined {
    this.consumedFrames += 1;
    this.consumedBytes += bytes;
    const frames = this.consumedFrames - this.grantedFrames;
    const owedBytes = this.consumedBytes - this.grantedBytes;
    const due =
      frames >= Math.max(1, Math.floor(this.window.frames / REPORT_DIVISOR)) ||
      owedBytes >= this.window.bytes / REPORT_DIVISOR ||
      (this.queuedFrames === 0 && owedBytes + this.largestBytes > this.window.bytes);
    return due ? this.take() : undefined;
  }

  private take(): CreditGrant {
    this.grantedFrames = this.consumedFrames;
    this.grantedBytes = this.consumedBytes;
    return { frames: this.consumedFrames, bytes: this.consumedBytes };
  }
}
