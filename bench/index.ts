/**
 * `npm run bench -- <name> [<name> ...]`: builds (the npm script does), then runs the named
 * benchmarks one after another, each as its own `node --import tsx bench/<name>.ts` process with this
 * process's environment (so `BENCH_*` variables reach them). Without a name it lists them. Each
 * prints its own measured ratios; the README's Benchmarks table shows one run of each.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHES } from './benches.js';

const HERE = dirname(fileURLToPath(import.meta.url));

function main(names: readonly string[]): number {
  if (names.length === 0) {
    console.log('usage: npm run bench -- <name> [<name> ...]   (runs after npm run build)\n');
    for (const [name, what] of Object.entries(BENCHES)) console.log(`  ${name.padEnd(12)} ${what}`);
    return 0;
  }
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown benchmark '${unknown.join("', '")}' (benchmarks: ${Object.keys(BENCHES).join(', ')})`,
    );
    return 2;
  }
  for (const name of names) {
    console.log(`== bench/${name}.ts`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, `${name}.ts`)], {
      stdio: 'inherit',
    });
    if (r.error) {
      console.error(`bench: could not start bench/${name}.ts: ${r.error.message}`);
      return 2;
    }
    if (r.status !== 0) {
      console.error(`bench: bench/${name}.ts exited with ${r.status ?? r.signal}`);
      return r.status ?? 1;
    }
  }
  return 0;
}

process.exit(main(process.argv.slice(2)));
