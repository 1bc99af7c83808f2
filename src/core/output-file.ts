/**
 * Writing one output file (a trace, a report page, a model): the directory is created when missing,
 * and a failure is one `E_IO` line naming the file and what it is, never a bare errno.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EdgesplitError, errorMessage } from './errors.js';

/** Writes `data` to `path` (its directory created if needed); `what` names the file in errors ("trace"). */
export async function writeOutputFile(path: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  } catch (err) {
    throw new EdgesplitError('E_IO', `${path}: cannot write ${what} (${errorMessage(err)})`, { cause: err });
  }
}
