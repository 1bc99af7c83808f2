import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCHES } from '../../bench/benches.js';

describe('npm run bench', () => {
  it('its script runs a file that exists, and every benchmark it lists is a file of bench/', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts.bench.match(/bench\/[\w-]+\.ts/)?.[0];
    expect(script && existsSync(script)).toBe(true);
    for (const name of Object.keys(BENCHES))
      expect({ name, exists: existsSync(`bench/${name}.ts`) }).toEqual({ name, exists: true });
  });

  it("the README's Development table names every benchmark", () => {
    const row = readFileSync('README.md', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `npx tsx bench/<name>.ts` |'));
    expect(row).toBeDefined();
    for (const name of Object.keys(BENCHES))
      expect({ name, named: row!.includes(`\`${name}\``) }).toEqual({ name, named: true });
  });
});
