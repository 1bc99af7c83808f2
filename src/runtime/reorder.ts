/**
 * In-order release of results that complete out of order, with deduplication (pure). Sequence
 * numbers run 0, 1, 2, ...; the first result for a seq wins, later ones are counted and dropped.
 */
import { EdgesplitError } from '../core/errors.js';

/** Reorder buffer keyed by sequence number. */
export class ReorderBuffer<T> {
  private next = 0;
  private readonly held = new Map<number, T>();
  /** Results dropped because their seq was already accepted. */
  duplicates = 0;
  /** Most results ever held waiting for an earlier seq. */
  maxHeld = 0;

  /** The next seq to be released. */
  get released(): number {
    return this.next;
  }

  /** True when `seq` was already accepted (released or held). */
  has(seq: number): boolean {
    return seq < this.next || this.held.has(seq);
  }

  /**
   * Offers the result for `seq`; returns the results now releasable, in order (empty when `seq`
   * is a duplicate or an earlier seq is still missing).
   */
  push(seq: number, value: T): T[] {
    const out: T[] = [];
    this.offer(seq, value, (v) => out.push(v));
    return out;
  }

  /**
   * {@link push} without the array: `release` gets each result now releasable, in order, with its
   * seq; returns how many were released.
   */
  offer(seq: number, value: T, release: (value: T, seq: number) => void): number {
    if (!Number.isInteger(seq) || seq < 0)
      throw new EdgesplitError('E_PROTOCOL', `result seq must be a non-negative integer, got ${seq}`);
    if (this.has(seq)) {
      this.duplicates += 1;
      return 0;
    }
    if (seq === this.next && this.held.size === 0) {
      // in order and nothing waiting (the usual case): no map entry
      this.next += 1;
      if (this.maxHeld < 1) this.maxHeld = 1;
      release(value, seq);
      return 1;
    }
    this.held.set(seq, value);
    const from = this.next;
    while (this.held.has(this.next)) this.next += 1;
    const n = this.next - from;
    this.maxHeld = Math.max(this.maxHeld, this.held.size);
    for (let s = from; s < this.next; s++) {
      const v = this.held.get(s) as T;
      this.held.delete(s);
      release(v, s);
    }
    return n;
  }
}
