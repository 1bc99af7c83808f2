/**
 * One radio per device: a shared budget of air time that every emulated link out of and into the
 * device draws from, so a device feeding two replicas (or receiving while it sends) gets its radio's
 * rate once, not once per connection. The radio is half-duplex and does one thing at a time; a
 * reservation takes the earliest free interval at or after the instant asked for (gaps left by
 * reservations made ahead of time are filled). A device's compute can reserve it too, when the
 * device does one thing at a time (see `runtime/pacing.ts`). Instants are ms on the emulated clock.
 */

/** A reserved interval [start, end) on a radio. */
export interface RadioSlot {
  readonly start: number;
  readonly end: number;
}

/** Busy time a radio has handed out, by purpose. */
export interface RadioStats {
  /** Reservations and their total duration, ms. */
  reservations: number;
  busyMs: number;
  /** Earliest start and latest end handed out (NaN before the first reservation). */
  firstStart: number;
  lastEnd: number;
}

/** Intervals kept for gap filling; older ones are forgotten (a reservation never goes that far back). */
const KEEP = 512;

/** A device's radio: a calendar of busy intervals. */
export class Radio {
  /** Sorted, disjoint busy intervals [start, end). */
  private busy: RadioSlot[] = [];
  private readonly counters: RadioStats = { reservations: 0, busyMs: 0, firstStart: NaN, lastEnd: NaN };

  /** Bytes its links have accepted for sending but not yet put in a slot. */
  private pendingTx = 0;
  private drainWaiters: (() => void)[] = [];

  /** @param id names the radio in link descriptions (the device). */
  constructor(readonly id: string) {}

  /** A link accepted `bytes` to send (+) or put them in slots or dropped them (-). */
  pendingSend(bytes: number): void {
    this.pendingTx = Math.max(0, this.pendingTx + bytes);
    if (this.pendingTx === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves once every byte its links accepted is in a slot (a device that sends before it computes). */
  sendsDrained(): Promise<void> {
    return this.pendingTx === 0 ? Promise.resolve() : new Promise((r) => this.drainWaiters.push(r));
  }

  /** Reserves `durationMs` at the earliest free instant >= `t`; returns the slot. */
  reserve(t: number, durationMs: number): RadioSlot {
    const d = Math.max(0, durationMs);
    const b = this.busy;
    let i = lowerBoundByEnd(b, t);
    let start = t;
    for (; i < b.length; i++) {
      if (b[i].start >= start + d) break;
      start = Math.max(start, b[i].end);
    }
    const slot = { start, end: start + d };
    if (d > 0) this.insert(i, slot);
    const c = this.counters;
    c.reservations += 1;
    c.busyMs += d;
    c.firstStart = Number.isNaN(c.firstStart) ? start : Math.min(c.firstStart, start);
    c.lastEnd = Number.isNaN(c.lastEnd) ? slot.end : Math.max(c.lastEnd, slot.end);
    return slot;
  }

  /** Counters since creation (a copy). */
  stats(): RadioStats {
    return { ...this.counters };
  }

  private insert(i: number, slot: RadioSlot): void {
    const b = this.busy;
    const prev = b[i - 1];
    const next = b[i];
    if (prev && prev.end === slot.start && next && next.start === slot.end)
      b.splice(i - 1, 2, { start: prev.start, end: next.end });
    else if (prev && prev.end === slot.start) b[i - 1] = { start: prev.start, end: slot.end };
    else if (next && next.start === slot.end) b[i] = { start: slot.start, end: next.end };
    else b.splice(i, 0, slot);
    if (b.length > KEEP) b.splice(0, b.length - KEEP);
  }
}

/** First index whose interval ends after `t`. */
function lowerBoundByEnd(b: readonly RadioSlot[], t: number): number {
  let lo = 0;
  let hi = b.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b[mid].end <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
