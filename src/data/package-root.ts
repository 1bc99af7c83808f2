/** Locates the edgesplit package root so bundled data and models resolve from any working directory. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgesplitError } from '../core/errors.js';

let cached: string | undefined;

/**
 * The directory holding edgesplit's package.json, found by walking up from this module's file
 * (works from `src/` under tsx/vitest and from `dist/` after building).
 */
export function packageRoot(): string {
  if (cached) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'edgesplit') {
          cached = dir;
          return dir;
        }
      } catch {
        // an unreadable package.json on the way up is not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new EdgesplitError('E_IO', `cannot find the edgesplit package root above ${start}`);
    dir = parent;
  }
}
