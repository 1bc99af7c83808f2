/**
 * Hedged sends (pure): with `run --hedge` the coordinator sends a branch's sample to every replica
 * and the gather keeps the first answer. A straggler must not hold the run up: a replica whose
 * connection still has a send waiting for credit (it has not read what it was given) gets no further
 * copies until it catches up, and the coordinator goes on as soon as one replica took the sample.
 */

/** The replicas a hedged sample goes to: those with no send waiting for credit; every one when none is free. */
export function hedgeTargets<T>(replicas: readonly T[], pendingSends: (r: T) => number): T[] {
  const free = replicas.filter((r) => pendingSends(r) === 0);
  return free.length > 0 ? free : [...replicas];
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
