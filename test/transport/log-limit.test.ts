import { describe, expect, it } from 'vitest';
import { rateLimitedLog } from '../../src/transport/log-limit.js';
import type { TransportLogEvent } from '../../src/transport/transport.js';

const ev = (event: string, level: TransportLogEvent['level'] = 'warn'): TransportLogEvent => ({
  level,
  event,
  remote: '127.0.0.1:1',
  message: 'refused',
});

describe('rate-limited refusal log', () => {
  it('lets the first N through, then one count line per interval, from a scheduled summary', () => {
    let t = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const out: TransportLogEvent[] = [];
    const log = rateLimitedLog((e) => out.push(e), {
      burst: 3,
      intervalMs: 60_000,
      now: () => t,
      schedule: (fn, ms) => timers.push({ at: t + ms, fn }),
    });
    for (let i = 0; i < 1000; i++) {
      t = i * 10;
      log(ev(i % 2 ? 'auth-failed' : 'handshake-timeout'));
    }
    log(ev('connected', 'info'));
    expect(out.map((e) => e.event)).toEqual([
      'handshake-timeout',
      'auth-failed',
      'handshake-timeout',
      'connected',
    ]);
    expect(timers).toHaveLength(1);
    expect(timers[0].at).toBe(60_000);
    t = 60_000;
    timers[0].fn();
    expect(out).toHaveLength(5);
    expect(out[4]).toMatchObject({ event: 'log-suppressed' });
    expect(out[4].message).toBe(
      '997 more refusal lines in the last 60 s not shown (auth-failed 499, handshake-timeout 498)',
    );
    // a new interval: N more lines, and nothing held means no count line on flush
    for (let i = 0; i < 3; i++) log(ev('bad-hello'));
    log.flush();
    expect(out).toHaveLength(8);
    expect(log.suppressedTotal).toBe(997);
  });
});
