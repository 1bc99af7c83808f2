/**
 * `--link <id>`: the byte-stream wrapper that emulates a catalog link on every runtime connection
 * (both ends must wrap alike). "none" (or no id) means the real socket as it is.
 */
import { UsageError } from '../core/errors.js';
import type { ByteDuplex } from '../transport/transport.js';

/** A byte-stream wrapper, as `ConnectionOptions.wrap` takes it. */
export type LinkWrap = (raw: ByteDuplex) => ByteDuplex;

/** Resolves a link id to its wrapper; undefined for none. */
export function resolveLinkWrap(id: string | undefined): LinkWrap | undefined {
  if (id === undefined || id === 'none') return undefined;
  throw new UsageError(`--link ${id}: link emulation is not available in this build (transport link/ has not landed)`);
}
