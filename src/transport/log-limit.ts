/**
 * A rate-limited log sink for refusals (bad handshakes, wrong keys, hostile frames, floods): the
 * first `burst` warnings of each interval pass, the rest are counted by event and reported as one
 * summary line when the interval ends (or on {@link LimitedLog.flush}). Info events pass unchanged.
 * So a flood costs at most `burst + 1` lines per interval however many connections it opens.
 */
import type { TransportLogEvent } from './transport.js';

/** Options of {@link rateLimitedLog}. */
export interface LogLimitOptions {
  /** Lines let through per interval (default 20). */
  readonly burst?: number;
  /** Interval length (default 60 000 ms). */
  readonly intervalMs?: number;
  /** Clock (default Date.now). */
  readonly now?: () => number;
  /** Schedules the end-of-interval summary (default an unref'd setTimeout). */
  readonly schedule?: (fn: () => void, ms: number) => void;
}

/** A log sink that limits itself; `flush` reports what it held back so far. */
export interface LimitedLog {
  (event: TransportLogEvent): void;
  /** Emits the summary of suppressed lines now, if any, and starts a new interval. */
  flush(): void;
  /** Lines suppressed since the sink was made. */
  readonly suppressedTotal: number;
}

/** Wraps `sink` with the limit. */
export function rateLimitedLog(sink: (e: TransportLogEvent) => void, o: LogLimitOptions = {}): LimitedLog {
  const burst = o.burst ?? 20;
  const intervalMs = o.intervalMs ?? 60_000;
  const now = o.now ?? Date.now;
  const schedule =
    o.schedule ??
    ((fn: () => void, ms: number) => {
      setTimeout(fn, ms).unref();
    });
  let windowStart = -Infinity;
  let shown = 0;
  let held = new Map<string, number>();
  let total = 0;
  let summaryDue = false;

  const flush = () => {
    const n = [...held.values()].reduce((a, b) => a + b, 0);
    if (n > 0) {
      const parts = [...held.entries()].map(([event, k]) => `${event} ${k}`).join(', ');
      const seconds = Math.max(1, Math.round((now() - windowStart) / 1000));
      sink({
        level: 'warn',
        event: 'log-suppressed',
        remote: '-',
        message: `${n} more refusal lines in the last ${seconds} s not shown (${parts})`,
      });
    }
    held = new Map();
    shown = 0;
    windowStart = now();
    summaryDue = false;
  };

  const log = ((e: TransportLogEvent) => {
    if (e.level === 'info') return sink(e);
    if (now() - windowStart >= intervalMs) flush();
    if (shown < burst) {
      shown += 1;
      return sink(e);
    }
    held.set(e.event, (held.get(e.event) ?? 0) + 1);
    total += 1;
    if (!summaryDue) {
      summaryDue = true;
      const at = windowStart;
      schedule(
        () => {
          if (windowStart === at) flush();
        },
        Math.max(0, windowStart + intervalMs - now()),
      );
    }
  }) as LimitedLog;
  log.flush = flush;
  Object.defineProperty(log, 'suppressedTotal', { get: () => total });
  return log;
}
