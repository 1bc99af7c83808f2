#!/usr/bin/env -S node --max-semi-space-size=1 --initial-old-space-size=64
import { main } from '../dist/cli/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`edgesplit: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
