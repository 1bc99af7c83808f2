/**
 * Writes models/manifest.json from training/zoo.json (params/MACs from the profiler, metrics measured through
 * onnxruntime-node on the full Fashion-MNIST test split) and refreshes the zoo and LCP tables in docs/data-and-zoo.md.
 *
 *   npx tsx scripts/build-manifest.ts [--only name,name] [--no-docs]
 *
 * With --only, the other models keep the metric already recorded in models/manifest.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/data/package-root.js';
import {
  buildManifest,
  lcpMarkdownTable,
  manifestMarkdownTable,
  readTrainingRecord,
  replaceZooTable,
} from '../src/zoo/build-manifest.js';
import { defaultManifestPath, loadManifest } from '../src/zoo/manifest.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, 'no-docs': { type: 'boolean' } } });
const manifestPath = defaultManifestPath();
const started = performance.now();
const manifest = await buildManifest(readTrainingRecord(), {
  only: values.only?.split(','),
  previous: existsSync(manifestPath) ? loadManifest(manifestPath) : undefined,
  onModel: (name, what) =>
    process.stderr.write(`${what} ${name} (${((performance.now() - started) / 1000).toFixed(0)}s)\n`),
});
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`wrote ${manifestPath}: ${manifest.models.length} models\n`);
const table = manifestMarkdownTable(manifest);
if (!values['no-docs']) {
  const docPath = join(packageRoot(), 'docs', 'data-and-zoo.md');
  const doc = replaceZooTable(readFileSync(docPath, 'utf8'), table);
  writeFileSync(docPath, replaceZooTable(doc, lcpMarkdownTable(manifest), 'lcp-table'));
  process.stderr.write(`updated the zoo table in ${docPath}\n`);
}
process.stdout.write(`${table}\n`);
