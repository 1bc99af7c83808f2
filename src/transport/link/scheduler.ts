/**
 * Runs callbacks at emulated instants, in time order, never before the wall clock reaches them.
 * Callbacks get their scheduled time, so decisions stay exact when a timer fires late; an event
 * scheduled in the past (it arrived late) runs at the latest instant already handed out, so
 * emulated time never goes backwards.
 */

/** Milliseconds on a clock shared by processes of one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

interface Entry {
  readonly t: number;
  readonly order: number;
  readonly fn: (t: number) => void;
}

/** A time-ordered event queue driven by one timer. */
export class Scheduler {
  private heap: Entry[] = [];
  private order = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Latest instant handed out; a late-arriving event runs at this instant, never before it. */
  private vnow = 0;

  /** Runs `fn(t)` once the clock reaches `t` (at once when `t` is past). */
  at(t: number, fn: (t: number) => void): void {
    if (this.stopped) return;
    this.push({ t, order: this.order++, fn });
    this.arm();
  }

  /** Drops every pending event. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.heap = [];
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.heap.length === 0) return;
    const wait = this.heap[0].t - nowMs();
    this.timer = wait <= 0 ? setTimeout(() => this.run(), 0) : setTimeout(() => this.run(), wait);
  }

  private run(): void {
    const horizon = nowMs();
    while (this.heap.length > 0 && this.heap[0].t <= horizon && !this.stopped) {
      const e = this.pop();
      this.vnow = Math.max(this.vnow, e.t);
      e.fn(this.vnow);
    }
    this.arm();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.t < b.t || (a.t === b.t && a.order < b.order);
}
