/**
 * Where a node may listen (pure): without a pre-shared key only on loopback, unless the operator
 * says `--insecure`; the returned warning says what that exposes.
 */
import { isIP } from 'node:net';
import { UsageError } from '../core/errors.js';

/** True for localhost, 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Decides a node's listen address; throws a usage error when refused, returns a warning line when insecure. */
export function checkListenPolicy(o: {
  readonly host: string;
  readonly port: number;
  readonly keyed: boolean;
  readonly insecure: boolean;
}): string | undefined {
  if (o.keyed) return o.insecure ? 'warning: --insecure has no effect with a key' : undefined;
  const where = `${o.host}:${o.port}`;
  if (!o.insecure && !isLoopbackHost(o.host))
    throw new UsageError(
      `--listen ${where}: a node without --key listens on loopback only; give --key <file>, or --insecure to accept unauthenticated peers there`,
    );
  return o.insecure
    ? `warning: --insecure without a key: anyone who can reach ${where} can assign stages, send tensors and shut this node down, and traffic is plaintext`
    : undefined;
}
