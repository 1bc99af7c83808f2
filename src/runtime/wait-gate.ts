/**
 * What the coordinator's stream loop waits on: one promise shared by every waiter until the next
 * wake, and one timer for the whole run that fires `onStall` once a single wait (from the first
 * wait after a wake, or the last {@link WaitGate.progress}, to the next wake) lasted `limitMs`. Not a
 * promise and a timer per wait: the stream waits for the whole run, and each delivery is progress.
 */
import { nowMs } from './clock.js';

/** A shared wait with a stall limit. */
export class WaitGate {
  private gate: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  /** When the current wait began. */
  private sinceMs = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `now` is the clock the limit is measured on (tests inject one). */
  constructor(
    private readonly limitMs: number,
    private readonly onStall: () => void,
    private readonly now: () => number = nowMs,
  ) {}

  /** Resolves at the next {@link wake}. */
  wait(): Promise<void> {
    if (!this.gate) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.gate = { promise, resolve };
      this.sinceMs = this.now();
      this.timer ??= setTimeout(() => this.check(), this.limitMs);
    }
    return this.gate.promise;
  }

  /**
   * Progress at `atMs` without ending the wait: the stall limit counts from here, as if a wait began
   * now (no promise, so it may run once per sample).
   */
  progress(atMs: number): void {
    if (this.gate) this.sinceMs = atMs;
  }

  /** Ends the current wait (its timer stays armed for the next one, or lapses). */
  wake(): void {
    const g = this.gate;
    if (!g) return;
    this.gate = undefined;
    g.resolve();
  }

  /** Disarms the timer (the run is over). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (!this.gate) return;
    const left = this.sinceMs + this.limitMs - this.now();
    if (left > 0) this.timer = setTimeout(() => this.check(), left);
    else this.onStall();
  }
}
