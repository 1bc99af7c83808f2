import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the request time (Unix milliseconds) of an HMAC-signed request. */
export const HMAC_DATE_HEADER = 'x-edgesplit-date';
/** Header carrying the hex HMAC-SHA256 signature of a request. */
export const HMAC_SIGNATURE_HEADER = 'x-edgesplit-signature';
/** How far a signed request's date may be from the server clock, in ms. */
export const HMAC_MAX_SKEW_MS = 5 * 60 * 1000;

/**
 * The string an HMAC signature covers: method, path (with query), date and the body's SHA-256,
 * one per line. Binding the body means a captured signature cannot carry other tensors.
 */
export function signingString(method: string, path: string, date: string, body: Uint8Array): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return `${method.toUpperCase()}\n${path}\n${date}\n${bodyHash}`;
}

/** Headers that sign a request with a pre-shared key (HMAC-SHA256). */
export function signRequest(
  key: string,
  method: string,
  path: string,
  body: Uint8Array,
  nowMs = Date.now(),
): Record<string, string> {
  const date = String(nowMs);
  const sig = createHmac('sha256', key)
    .update(signingString(method, path, date, body))
    .digest('hex');
  return { [HMAC_DATE_HEADER]: date, [HMAC_SIGNATURE_HEADER]: sig };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Checks a request against a pre-shared key: either `Authorization: Bearer <key>` or a fresh HMAC
 * signature (see `signRequest`). Returns the reason for refusal, or undefined when accepted.
 */
export function checkAuth(
  key: string,
  method: string,
  path: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Uint8Array,
  nowMs = Date.now(),
): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
    return safeEqual(auth.slice(7).trim(), key) ? undefined : 'wrong bearer token';
  }
  const date = headers[HMAC_DATE_HEADER];
  const sig = headers[HMAC_SIGNATURE_HEADER];
  if (typeof date !== 'string' || typeof sig !== 'string') {
    return `missing credentials: send 'Authorization: Bearer <key>' or ${HMAC_DATE_HEADER} + ${HMAC_SIGNATURE_HEADER}`;
  }
  const t = Number(date);
  if (!Number.isFinite(t) || Math.abs(nowMs - t) > HMAC_MAX_SKEW_MS)
    return `${HMAC_DATE_HEADER} is missing or more than 5 minutes off`;
  const want = createHmac('sha256', key)
    .update(signingString(method, path, date, body))
    .digest('hex');
  return safeEqual(sig.toLowerCase(), want) ? undefined : 'bad HMAC signature';
}
