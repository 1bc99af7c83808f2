/**
 * Writes the README's profiling examples into docs/examples/ (the same bytes the tests build):
 * custom-lstm.onnx (a com.acme.Mystery op whose cost is unknown, feeding an LSTM) and lenet-dyn.onnx
 * (LeNet-5 with input [N,1,H,W]).
 *
 *   npx tsx scripts/write-example-models.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/data/package-root.js';
import { encodeModel } from '../src/onnx/io.js';
import { EXAMPLE_MODELS } from '../test/helpers/example-models.js';

for (const [file, build] of Object.entries(EXAMPLE_MODELS)) {
  const path = join(packageRoot(), 'docs', 'examples', file);
  writeFileSync(path, encodeModel(build()));
  console.log(`wrote ${path}`);
}
