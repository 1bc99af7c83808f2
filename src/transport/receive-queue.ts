/**
 * The receiving side of one connection: credited frames wait here (within the receive window the
 * credit accounting enforces) until the application reads them; a frame counts as consumed, and
 * its credit goes back to the peer, when it is read.
 */
import type { Frame } from './codec/frame.js';

/** Received frames not yet read, and readers waiting for one. */
export class ReceiveQueue {
  /** The most frames queued at once. */
  maxQueuedFrames = 0;
  private readonly queue: { frame: Frame; bytes: number }[] = [];
  private readonly waiters: ((f: Frame | undefined) => void)[] = [];
  private ended = false;

  /** `consumed(bytes)` runs when a frame of that many wire bytes is read. */
  constructor(private readonly consumed: (bytes: number) => void) {}

  /** Frames queued. */
  get length(): number {
    return this.queue.length;
  }

  /** A credited frame of `bytes` arrived: to a waiting reader, else to the queue. */
  arrive(frame: Frame, bytes: number): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.consumed(bytes);
      waiter(frame);
      return;
    }
    this.queue.push({ frame, bytes });
    if (this.queue.length > this.maxQueuedFrames) this.maxQueuedFrames = this.queue.length;
  }

  /** The next frame; undefined once the connection ended and nothing is queued. */
  receive(): Promise<Frame | undefined> {
    const next = this.queue.shift();
    if (next) {
      this.consumed(next.bytes);
      return Promise.resolve(next.frame);
    }
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The connection closed: waiting readers get undefined; queued frames stay readable. */
  end(): void {
    this.ended = true;
    if (this.queue.length === 0) for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Drops the queued frames (a local close or a failure). */
  clear(): void {
    this.queue.length = 0;
  }
}
