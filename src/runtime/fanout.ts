/**
 * A DAG stage's way downstream: one {@link Downstream} per downstream stage (each with its replicas),
 * so every branch of a scatter gets its tensors and a gather gets each branch's. One replica of each
 * group takes a sample; a group whose replicas are all dead drops it there (the coordinator re-sends
 * after the failover), never blocking the other groups.
 */
import type { TensorFrame } from '../transport/codec/frame.js';
import type { Connection } from '../transport/transport.js';
import type { Downstream } from './downstream.js';
import type { FanoutGroup } from './protocol.js';
import type { ReplicaPolicy } from './replica-picker.js';

/** Several downstream stages of one node. */
export class Fanout {
  private groups: { readonly names: readonly string[]; readonly down: Downstream }[] = [];

  constructor(private readonly make: () => Downstream) {}

  /** True when the node is assigned a DAG stage with fan-out groups. */
  get active(): boolean {
    return this.groups.length > 0;
  }

  /** Samples some group could not deliver. */
  get dropped(): number {
    return this.groups.reduce((s, g) => s + g.down.dropped, 0);
  }

  /** A new run counts from zero. */
  resetDropped(): void {
    for (const g of this.groups) g.down.dropped = 0;
  }

  /** Replaces the groups; group i keeps its connections when its replicas are unchanged. */
  setGroups(groups: readonly FanoutGroup[], policy?: ReplicaPolicy): void {
    for (const g of this.groups.slice(groups.length)) g.down.setPeers([]);
    this.groups = groups.map((g, i) => {
      const down = this.groups[i]?.down ?? this.make();
      down.setPeers(g.downstream, policy);
      return { names: g.sends.map((s) => s.name), down };
    });
  }

  /** Sends each group its frames (picked by name from `frames`); returns the targets that took them. */
  async send(
    coordinator: Connection,
    frames: readonly TensorFrame[],
    seq: number,
  ): Promise<string | undefined> {
    const groups = this.groups;
    if (groups.length === 1)
      return groups[0].down.send(coordinator, framesNamed(frames, groups[0].names), seq);
    const targets = await Promise.all(
      groups.map((g) => g.down.send(coordinator, framesNamed(frames, g.names), seq)),
    );
    const ok = targets.filter((t): t is string => t !== undefined);
    return ok.length > 0 ? ok.join('+') : undefined;
  }
}

/** The frames of `names`, in that order (a sample has a few frames: a scan beats a map). */
function framesNamed(frames: readonly TensorFrame[], names: readonly string[]): TensorFrame[] {
  return names.map((n) => frames.find((f) => f.name === n)!);
}

/**
 * The last `cap` sample keys (`sampleKey`: epoch and seq as one number) a node completed, so a
 * hedged branch's late copy is dropped, not held.
 */
export class RecentKeys {
  private readonly keys = new Set<number>();
  /** The remembered keys in arrival order, as a ring: the oldest is evicted without a Set iterator per sample. */
  private readonly ring: Float64Array;
  private next = 0;

  constructor(private readonly cap: number) {
    this.ring = new Float64Array(Math.max(1, cap));
  }

  has(key: number): boolean {
    return this.keys.has(key);
  }

  remember(key: number): void {
    if (this.keys.has(key)) return;
    if (this.keys.size >= this.cap) this.keys.delete(this.ring[this.next]);
    this.keys.add(key);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.ring.length;
  }

  clear(): void {
    this.keys.clear();
    this.next = 0;
  }
}
