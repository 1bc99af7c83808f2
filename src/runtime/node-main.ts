/** Entry of a node process spawned by {@link spawnNodeProcess}: one JSON argument of options. */
import { errorMessage } from '../core/errors.js';
import { runNodeProcess, type NodeProcessOptions } from './node-process.js';

try {
  await runNodeProcess(JSON.parse(process.argv[2] ?? '{}') as NodeProcessOptions);
} catch (err) {
  process.stderr.write(`edgesplit node: ${errorMessage(err)}\n`);
  process.exit(1);
}
