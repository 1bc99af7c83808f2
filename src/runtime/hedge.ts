/**
 * Hedged sends (pure): with `run --hedge` the coordinator sends a branch's sample to every replica
 * and the gather keeps the first answer. A straggler must not hold the run up: the coordinator goes
 * on as soon as one replica took the sample, and the other copies wait for credit in the background.
 * A replica that answers samples has at most the run's window of sends waiting (each waits for an
 * incomplete sample), so one with more is a straggler the others are answering for: it gets no
 * further copies until it catches up, which bounds what waits for it.
 */

/** The replicas a hedged sample goes to: those with at most `window` sends waiting for credit; every one when none is. */
export function hedgeTargets<T>(replicas: readonly T[], pendingSends: (r: T) => number, window: number): T[] {
  const keeping = replicas.filter((r) => pendingSends(r) <= window);
  return keeping.length > 0 ? keeping : [...replicas];
}

/** Resolves true as soon as one of `sends` resolved true, false once all resolved false. */
export function firstSuccess(sends: readonly Promise<boolean>[]): Promise<boolean> {
  return new Promise((resolve) => {
    let left = sends.length;
    if (left === 0) resolve(false);
    for (const s of sends)
      void s.then(
        (ok) => {
          left -= 1;
          if (ok || left === 0) resolve(ok);
        },
        () => {
          left -= 1;
          if (left === 0) resolve(false);
        },
      );
  });
}
