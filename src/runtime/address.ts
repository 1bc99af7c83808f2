/** host:port addresses (pure). */
import { UsageError } from '../core/errors.js';

/** A parsed address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` (IPv6 as `[::1]:port`); port 0..65535. Throws a usage error naming `what`. */
export function parseAddress(text: string, what = 'address'): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${what} must be host:port (port 0..65535), got '${text}'`);
  return { host: m[1] ?? m[2], port };
}
