/**
 * Steady-state CPU of one pipeline run's processes, for `bench/pipeline.ts`: this process (the
 * coordinator) from `process.cpuUsage()` and each local node from `/proc/<pid>/stat`, read every
 * {@link SNAPSHOT_EVERY} released samples. The window runs from the first reading after a warm-up
 * count of samples to the last reading at which the pipeline is still full (a whole in-flight window
 * before the end), so process start, model load, JIT warm-up and the final drain are all outside it,
 * and the work in flight at its two ends cancels.
 */
import { readFileSync } from 'node:fs';
import type { LocalPool } from '../src/runtime/local-nodes.js';
import type { NodePool } from '../src/runtime/node-pool.js';

/** Released samples between two readings (each costs the coordinator a few /proc reads). */
export const SNAPSHOT_EVERY = 50;

/** Milliseconds per clock tick of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

/** Fields after the comm of /proc/<pid>/stat (state is [0], utime [11], stime [12], cutime [13], cstime [14]). */
export function procStatFields(pid: number | 'self'): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(') ') + 2).split(' ');
}

/** User + system CPU ms of process `pid` (all its threads), from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const f = procStatFields(pid);
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** User + system CPU ms of this process and of its exited (reaped) children, from /proc/self/stat. */
export function cpuMsWithChildren(): number {
  const f = procStatFields('self');
  return [11, 12, 13, 14].reduce((t, i) => t + Number(f[i]), 0) * TICK_MS;
}

interface Reading {
  readonly done: number;
  /** performance.now() at the reading. */
  readonly at: number;
  readonly coordinatorMs: number;
  /** CPU ms per device (undefined: its process was gone or replaced). */
  readonly nodesMs: readonly (number | undefined)[];
  readonly pids: readonly (number | undefined)[];
}

/** CPU ms per sample of each process over the steady window. */
export interface SteadyWindow {
  /** Released-sample counts at the window's start and end. */
  readonly from: number;
  readonly to: number;
  readonly coordinatorMs: number;
  /** Per device, in the order given to {@link SteadyCpu}. */
  readonly nodesMs: readonly number[];
  readonly allMs: number;
  /** Samples per second released during the window (wall clock). */
  readonly throughputPerS: number;
  /** All processes' CPU ms per sample in the window's first and second half (equal when warm). */
  readonly halvesMs: readonly [number, number];
}

/** Collects readings during a run (pass `onPool` and `onProgress` to `runPlan`). */
export class SteadyCpu {
  private pool: LocalPool | undefined;
  private readonly readings: Reading[] = [];

  constructor(
    private readonly devices: readonly string[],
    private readonly warmup: number,
  ) {}

  readonly onPool = (pool: NodePool): void => {
    if ('pid' in pool) this.pool = pool as LocalPool;
  };

  readonly onProgress = (done: number): void => {
    if (done >= this.warmup && done % SNAPSHOT_EVERY === 0) this.readings.push(this.read(done));
  };

  private read(done: number): Reading {
    const c = process.cpuUsage();
    const pids = this.devices.map((d) => this.pool?.pid(d));
    const nodesMs = pids.map((pid) => {
      try {
        return pid === undefined ? undefined : processCpuMs(pid);
      } catch {
        return undefined; // the process exited between pid() and the read
      }
    });
    return { done, at: performance.now(), coordinatorMs: (c.user + c.system) / 1000, nodesMs, pids };
  }

  /**
   * The window ending `inFlight` samples before `total` (the run's in-flight window), or a reason
   * it cannot be measured (too few samples after the warm-up, a node replaced or unreadable).
   */
  window(total: number, inFlight: number): SteadyWindow | string {
    const last = total - inFlight;
    const rs = this.readings.filter((r) => r.done <= last);
    if (rs.length < 3)
      return `no steady window: ${total} samples leave fewer than 3 readings (one every ${SNAPSHOT_EVERY} samples) between the ${this.warmup}-sample warm-up and the last ${inFlight} in flight`;
    const a = rs[0];
    const b = rs[rs.length - 1];
    const mid = rs[Math.floor(rs.length / 2)];
    for (const [i, d] of this.devices.entries())
      if (
        a.pids[i] === undefined ||
        a.pids[i] !== b.pids[i] ||
        [a, mid, b].some((r) => r.nodesMs[i] === undefined)
      )
        return `no steady window: the process of ${d} was replaced or could not be read`;
    const all = (r: Reading) => r.coordinatorMs + r.nodesMs.reduce<number>((t, x) => t + x!, 0);
    const n = b.done - a.done;
    return {
      from: a.done,
      to: b.done,
      coordinatorMs: (b.coordinatorMs - a.coordinatorMs) / n,
      nodesMs: this.devices.map((_, i) => (b.nodesMs[i]! - a.nodesMs[i]!) / n),
      allMs: (all(b) - all(a)) / n,
      throughputPerS: (1000 * n) / (b.at - a.at),
      halvesMs: [(all(mid) - all(a)) / (mid.done - a.done), (all(b) - all(mid)) / (b.done - mid.done)],
    };
  }
}
