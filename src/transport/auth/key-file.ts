/**
 * Pre-shared key files for `--key <file>`: either hex text (whitespace ignored, e.g. the output of
 * `openssl rand -hex 32`) or raw bytes; at least 16 bytes of key material after decoding.
 */
import { readFileSync } from 'node:fs';
import { AuthError } from '../errors.js';
import { MIN_KEY_BYTES } from './handshake.js';

/** Decodes key material from a file's bytes; `file` only names the source in errors. */
export function parseKey(content: Uint8Array, file = '<key>'): Buffer {
  const text = Buffer.from(content).toString('latin1').replace(/\s+/g, '');
  const isHex = text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text);
  const key = isHex ? Buffer.from(text, 'hex') : Buffer.from(content);
  if (key.length < MIN_KEY_BYTES) {
    throw new AuthError(
      `key file ${file}: ${key.length} bytes of key material (${isHex ? 'hex' : 'raw'}), need at least ${MIN_KEY_BYTES}`,
    );
  }
  return key;
}

/** Reads and validates a key file. */
export function loadKeyFile(file: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (err) {
    throw new AuthError(`cannot read key file ${file}: ${(err as Error).message}`);
  }
  return parseKey(content, file);
}

/** Reads a key (hex or raw) from an environment variable, so that it never appears in argv. */
export function loadKeyFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const value = env[name];
  if (value === undefined || value === '')
    throw new AuthError(`environment variable ${name} (--key-env) is not set`);
  return parseKey(Buffer.from(value, 'latin1'), `environment variable ${name}`);
}
