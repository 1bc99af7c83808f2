/**
 * Choice of the replica of the next stage that gets a sample (pure): round-robin, least-loaded by
 * in-flight credited frames (ties broken round-robin so equal replicas share the work), or `seq`:
 * pinned by the sample's number, so that every sender (the coordinator and each replica of the stage
 * before) makes the same choice and consecutive samples alternate over the replicas. Each sender's
 * own round-robin or load counts do not coordinate: two senders can pick one receiver at the same
 * time while another idles, and its single radio then serves them in turn (the deployment twin
 * measured the wait). `seq` is the default with `--emulate devices`.
 */

/** The replica policies, as `--policy` and the `assign` message name them. */
export const REPLICA_POLICIES = ['least-loaded', 'round-robin', 'seq'] as const;
/** How a sender spreads samples over replicas. */
export type ReplicaPolicy = (typeof REPLICA_POLICIES)[number];

/**
 * The `seq` choice: replica floor(seq / batch) mod count (a micro-batch of `batch` samples starting at
 * `seq` is one unit, so batches alternate too).
 */
export function seqReplica(seq: number, batch: number, count: number): number {
  return count > 0 ? Math.floor(seq / Math.max(1, batch)) % count : -1;
}

/** Picks replicas among a changing set of live targets. */
export class ReplicaPicker {
  private turn = 0;

  constructor(readonly policy: ReplicaPolicy) {}

  /**
   * Index into `targets` of the chosen one; `load(i)` is the in-flight count of target i (only read
   * for least-loaded; `seq` callers use {@link seqReplica}, here it acts as round-robin). Returns -1
   * when there is no target.
   */
  pick(count: number, load: (i: number) => number): number {
    if (count <= 0) return -1;
    const start = this.turn++ % count;
    if (count === 1) return 0; // the only target: no load to read (the turn still advances)
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
