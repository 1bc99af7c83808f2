/** Loads the early-exit pieces that sit next to an `ee-full.onnx` and their cumulative device MACs per exit. */
import { dirname, join } from 'node:path';
import type { InferenceBackend, InferenceSession } from '../../backend/backend.js';
import { profileModelFile } from '../../profile/index.js';
import type { EarlyExitPieces } from './latency.js';

/** Piece files of an early-exit model, in run order (zoo convention). */
export const EE_PIECES = ['ee-prefix1', 'ee-head1', 'ee-prefix2', 'ee-head2', 'ee-rest'] as const;

/** Sessions of the pieces and the MACs run up to exit 1, exit 2 and the final exit (heads included). */
export async function loadPieces(
  backend: InferenceBackend,
  eeFull: string,
): Promise<{ pieces: EarlyExitPieces; macs: number[] }> {
  const dir = dirname(eeFull);
  const names = EE_PIECES;
  const macs: Record<string, number> = {};
  const sessions: Record<string, InferenceSession> = {};
  for (const n of names) {
    const p = join(dir, `${n}.onnx`);
    macs[n] = (await profileModelFile(p)).profile.totals.macs;
    sessions[n] = await backend.load(p);
  }
  const cum1 = macs['ee-prefix1'] + macs['ee-head1'];
  const cum2 = cum1 + macs['ee-prefix2'] + macs['ee-head2'];
  return {
    pieces: {
      prefixes: [sessions['ee-prefix1'], sessions['ee-prefix2']],
      heads: [sessions['ee-head1'], sessions['ee-head2']],
      rest: sessions['ee-rest'],
    },
    macs: [cum1, cum2, cum2 + macs['ee-rest']],
  };
}
