/**
 * Plausibility of Eq. (2): HI cannot beat the remote model on its own, since every sample it keeps was
 * answered by the weaker local model. When Eq. (2) predicts more than the remote's accuracy, one of its
 * inputs is implausible; this says which, with the value that would make the prediction plausible. Pure.
 */
import { hiAccuracyFromRates } from './accounting.js';

/** One Eq. (2) evaluation that exceeds the remote's accuracy. */
export interface Eq2Warning {
  readonly offloadFraction: number;
  readonly accuracy: number;
  readonly remoteAccuracy: number;
  /** Highest remote accuracy on the offloaded samples that keeps Eq. (2) <= the remote's accuracy. */
  readonly maxRemoteOnOffloaded: number;
  /** Lowest eta_FP that keeps Eq. (2) <= the remote's accuracy (undefined when none <= eta_off can). */
  readonly minFpFraction?: number;
  /** The input named implausible: `acc-remote` or `fp-fraction`. */
  readonly implausible: 'acc-remote' | 'fp-fraction';
  readonly message: string;
}

/**
 * Checks Eq. (2) at one offload fraction; undefined when it does not exceed `accRemote`. `fpGiven`
 * says whether eta_FP was the user's (else the default 0, a perfect decision module, is blamed).
 */
export function checkEq2(
  accLocal: number,
  fp: number,
  accRemote: number,
  eta: number,
  fpGiven: boolean,
): Eq2Warning | undefined {
  const acc = hiAccuracyFromRates(accLocal, fp, accRemote, eta);
  if (acc <= accRemote + 1e-12 || eta === 0) return undefined;
  const kept = accLocal - fp;
  const maxRemote = (accRemote - kept) / eta;
  const fpNeed = accLocal + accRemote * eta - accRemote;
  const minFp = fpNeed <= Math.min(eta, accLocal) ? fpNeed : undefined;
  const implausible = fpGiven ? 'acc-remote' : 'fp-fraction';
  const offloadedWrong = eta - fp;
  const why =
    implausible === 'fp-fraction'
      ? `--fp-fraction was not given: eta_FP = 0 means no correct local answer is ever offloaded (a perfect decision module)` +
        (minFp !== undefined
          ? `; Eq. (2) stays at or below the remote only with --fp-fraction >= ${minFp.toFixed(4)}`
          : '')
      : `--acc-remote ${accRemote} is applied to the offloaded samples, the hard ones (${((offloadedWrong / eta) * 100).toFixed(1)}% of them wrong locally), ` +
        `on which a remote is usually less accurate than overall; Eq. (2) stays at or below the remote only if its accuracy on them is <= ${Math.max(0, maxRemote).toFixed(4)}` +
        (minFp !== undefined ? ` (or with --fp-fraction >= ${minFp.toFixed(4)})` : '');
  return {
    offloadFraction: eta,
    accuracy: acc,
    remoteAccuracy: accRemote,
    maxRemoteOnOffloaded: maxRemote,
    ...(minFp !== undefined ? { minFpFraction: minFp } : {}),
    implausible,
    message: `Eq. (2) at offload ${(eta * 100).toFixed(1)}% predicts ${acc.toFixed(4)}, above the remote's own accuracy ${accRemote.toFixed(4)}: implausible input ${implausible === 'fp-fraction' ? '--fp-fraction' : '--acc-remote'}. ${why}`,
  };
}
