/**
 * `--link <id>`: the byte-stream wrapper that emulates a catalog link on every runtime connection
 * (both ends must wrap alike), using the transport's link emulation with edgesplit's credit-aware
 * delivery scheme. "none" (or no id) means the real socket as it is.
 */
import type { LinkCatalog } from '../catalog/index.js';
import { emulateLink } from '../transport/link/emulated-link.js';
import { linkParamsFromSpec } from '../transport/link/params.js';
import type { Radio } from '../transport/link/radio.js';
import type { ByteDuplex } from '../transport/transport.js';

/** A byte-stream wrapper, as `ConnectionOptions.wrap` takes it. */
export type LinkWrap = (raw: ByteDuplex) => ByteDuplex;

/**
 * Resolves a link id in `catalog` to its wrapper (undefined for none); unknown ids throw listing the
 * known ones. `timeScale` multiplies emulated durations (0.1: ten times faster); with `radio` every
 * connection the wrapper makes draws from that one device radio.
 */
export function resolveLinkWrap(
  id: string | undefined,
  catalog: LinkCatalog,
  timeScale = 1,
  radio?: Radio,
): LinkWrap | undefined {
  if (id === undefined || id === 'none') return undefined;
  const params = linkParamsFromSpec(catalog.get(id));
  let seed = 1;
  return (raw) =>
    emulateLink(raw, {
      params,
      scheme: { kind: 'credit' },
      timeScale,
      seed: seed++,
      ...(radio ? { radio } : {}),
    });
}
