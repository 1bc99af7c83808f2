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

const RERUN = 'EDGESPLIT_BENCH_RERUN';

/** The V8 / node flags this process runs with (not the loader arguments tsx adds). */
export function ownNodeFlags(): string[] {
  const out: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    if (a === '--require' || a === '--import' || a === '--loader') i++;
    else if (!a.startsWith('--require=') && !a.startsWith('--import=') && !a.startsWith('--loader='))
      out.push(a);
  }
  return out;
}

/**
 * True when this process was started with node flags of its own (the CLI's, or any a user chose,
 * e.g. `node --max-semi-space-size=8 --import tsx bench/pipeline.ts`) or `BENCH_V8_DEFAULTS=1`
 * asks for node's defaults; otherwise runs this same script again as a child with the CLI's flags,
 * waits, and exits with its status (never returns).
 */
export function withCliV8Flags(): true {
  if (process.env.BENCH_V8_DEFAULTS === '1') return true;
  // the rerun itself never reruns again, whatever node made of its flags
  if (process.env[RERUN] === '1' || ownNodeFlags().length > 0) return true;
  const r = spawnSync(process.execPath, [...NODE_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RERUN]: '1' },
  });
  if (r.error) {
    console.error(`could not rerun ${process.argv[1]} with ${NODE_V8_FLAGS.join(' ')}: ${r.error.message}`);
    process.exit(2);
  }
  process.exit(r.status ?? 1);
}
