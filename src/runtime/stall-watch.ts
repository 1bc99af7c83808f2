/**
 * Stall detection: a node that sent nothing (no result, timeline, reply or health answer) for the
 * stall timeout is declared dead, exactly like a node whose socket closed. Quiet nodes are probed
 * with a health request once a quarter of the timeout passed, so a healthy idle node always answers
 * in time; a SIGSTOPped or wedged one cannot.
 */
import { nowMs } from './clock.js';
import type { NodeLink } from './node-link.js';

/** Options of {@link StallWatch}. */
export interface StallWatchOptions {
  readonly timeoutMs: number;
  /** The links to watch (read at every tick; dead ones are skipped). */
  readonly links: () => readonly NodeLink[];
  readonly onStall: (link: NodeLink, reason: string) => void;
}

/** Periodic liveness check of the coordinator's nodes. */
export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly probing = new WeakSet<NodeLink>();
  private readonly stalled = new WeakSet<NodeLink>();

  constructor(private readonly o: StallWatchOptions) {}

  /** Starts ticking every quarter timeout (at least every 250 ms). */
  start(): void {
    const every = Math.max(250, Math.floor(this.o.timeoutMs / 4));
    this.timer = setInterval(() => this.tick(), every);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = nowMs();
    for (const link of this.o.links()) {
      if (!link.alive || this.stalled.has(link)) continue;
      const quiet = now - link.lastHeardMs;
      if (quiet > this.o.timeoutMs) {
        this.stalled.add(link);
        this.o.onStall(
          link,
          `stalled: no output and no health reply for ${Math.round(quiet)} ms (--stall-timeout ${this.o.timeoutMs} ms)`,
        );
      } else if (quiet > this.o.timeoutMs / 4 && !this.probing.has(link)) {
        this.probing.add(link);
        void link
          .health(this.o.timeoutMs)
          .catch(() => undefined)
          .finally(() => this.probing.delete(link));
      }
    }
  }
}
