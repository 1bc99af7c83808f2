/**
 * Confinement of model files named on the wire: a node reads `assign.modelFile` only when its real
 * path (symlinks resolved) lies inside the directory the node was started with (`--model-dir`) and
 * its SHA-256 matches. Every refusal reaches the peer as one generic sentence, so a client cannot
 * tell a missing file from a directory, an unreadable file or one outside the directory.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/** What a peer is told about any refused model file. */
export const MODEL_FILE_REFUSED =
  "model file refused: it must be a readable file inside this node's --model-dir with the coordinator's SHA-256";

/** A model file read, or the refusal with the reason only the node's own log may show. */
export type ModelFileResult =
  { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: string };

/** True when `child` is `dir` itself or below it (both already real paths). */
export function isInside(dir: string, child: string): boolean {
  const rel = relative(dir, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Reads `path` (relative paths are taken from `modelDir`) if it is a file inside `modelDir` with this SHA-256. */
export async function readConfinedModel(
  modelDir: string | undefined,
  path: string,
  sha256: string,
): Promise<ModelFileResult> {
  if (!modelDir) return { ok: false, reason: `${path}: this node was started without --model-dir` };
  try {
    const dir = await realpath(modelDir);
    const real = await realpath(resolve(dir, path));
    if (!isInside(dir, real)) return { ok: false, reason: `${path} resolves to ${real}, outside ${dir}` };
    if (!(await stat(real)).isFile()) return { ok: false, reason: `${real} is not a regular file` };
    const bytes = await readFile(real);
    if (createHash('sha256').update(bytes).digest('hex') !== sha256)
      return { ok: false, reason: `${real} does not match the coordinator's SHA-256` };
    return { ok: true, bytes };
  } catch (err) {
    return { ok: false, reason: `${path}: ${(err as Error).message}` };
  }
}
