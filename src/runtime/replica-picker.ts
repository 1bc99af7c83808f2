/**
 * Choice of the replica of the next stage that gets a sample (pure): round-robin, or least-loaded by
 * in-flight credited frames (ties broken round-robin so equal replicas share the work).
 */

/** How a sender spreads samples over replicas. */
export type ReplicaPolicy = 'round-robin' | 'least-loaded';

/** Picks replicas among a changing set of live targets. */
export class ReplicaPicker {
  private turn = 0;

  constructor(readonly policy: ReplicaPolicy) {}

  /**
   * Index into `targets` of the chosen one; `load(i)` is the in-flight count of target i (only read
   * for least-loaded). Returns -1 when there is no target.
   */
  pick(count: number, load: (i: number) => number): number {
    if (count <= 0) return -1;
    const start = this.turn++ % count;
    if (this.policy === 'round-robin') return start;
    let best = start;
    let bestLoad = load(start);
    for (let j = 1; j < count; j++) {
      const i = (start + j) % count;
      const l = load(i);
      if (l < bestLoad) {
        best = i;
        bestLoad = l;
      }
    }
    return best;
  }
}
