/**
 * Runs a benchmark's process with the V8 flags `bin/edgesplit.js` gives the CLI's process
 * ({@link NODE_V8_FLAGS}), so the coordinator a bench measures is the one `edgesplit run` runs.
 * Under node's default flags the coordinator of a batch-1 run often made a major GC every ~0.17 s
 * (100+ per 30,000-sample run against 2-4: with its young generation grown to the maximum, V8
 * started incremental marking at ~15 MB of a ~38 MB old-space limit), 0.14-0.16 against 0.09-0.13 ms per sample
 * (docs/runtime-performance.md, "The coordinator's V8 flags, and what 0.9 x bound leaves (session 7)").
 */
import { spawnSync } from 'node:child_process';
import { NODE_V8_FLAGS } from '../src/runtime/node-process.js';

/**
 * True when this process already has the CLI's V8 flags (or `BENCH_V8_DEFAULTS=1` asks for node's
 * defaults); otherwise runs this same script again as a child with them, waits, and exits with its
 * status (never returns).
 */
export function withCliV8Flags(): true {
  if (process.env.BENCH_V8_DEFAULTS === '1') return true;
  if (NODE_V8_FLAGS.every((f) => process.execArgv.includes(f))) return true;
  const r = spawnSync(process.execPath, [...NODE_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  if (r.error) {
    console.error(`could not rerun ${process.argv[1]} with ${NODE_V8_FLAGS.join(' ')}: ${r.error.message}`);
    process.exit(2);
  }
  process.exit(r.status ?? 1);
}
