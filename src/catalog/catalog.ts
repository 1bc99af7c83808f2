/**
 * Device and link catalogs: the built-in JSON data under `src/catalog/data/` plus user files of the
 * same schema. Later files override earlier entries with the same id. Invalid entries are rejected
 * with the file, the entry id and the field named.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { EdgesplitError } from '../core/errors.js';
import { deviceSchema, linkSchema, type DeviceSpec, type LinkSpec } from './schema.js';

/** A catalog file or entry was missing, unreadable or invalid, or an id is unknown. */
export class CatalogError extends EdgesplitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CATALOG', message, options);
    this.name = 'CatalogError';
  }
}

/** Entries by id, with a lookup that names the known ids when it fails. */
export interface Catalog<T extends { readonly id: string }> {
  readonly kind: 'device' | 'link';
  readonly entries: ReadonlyMap<string, T>;
  /** Returns the entry or throws a CatalogError listing the known ids. */
  get(id: string): T;
}

/** Devices by id. */
export type DeviceCatalog = Catalog<DeviceSpec>;
/** Links by id. */
export type LinkCatalog = Catalog<LinkSpec>;

/** Path of a built-in data file; resolves from both `src/catalog/` (tsx, vitest) and `dist/catalog/`. */
function builtinPath(name: string): string {
  return fileURLToPath(new URL(`../../src/catalog/data/${name}`, import.meta.url));
}

/** Path of the built-in device catalog file. */
export const BUILTIN_DEVICES_FILE = builtinPath('devices.json');
/** Path of the built-in link catalog file. */
export const BUILTIN_LINKS_FILE = builtinPath('links.json');

function makeCatalog<T extends { readonly id: string }>(
  kind: 'device' | 'link',
  entries: Map<string, T>,
): Catalog<T> {
  return {
    kind,
    entries,
    get(id: string): T {
      const e = entries.get(id);
      if (!e)
        throw new CatalogError(
          `unknown ${kind} "${id}"; known ${kind}s: ${[...entries.keys()].sort().join(', ')}`,
        );
      return e;
    },
  };
}

function formatIssues(
  file: string,
  key: 'devices' | 'links',
  raw: unknown[],
  issues: readonly z.core.$ZodIssue[],
): string {
  const kind = key === 'devices' ? 'device' : 'link';
  const lines = issues.map((iss) => {
    const [index, ...field] = iss.path;
    const rawEntry = typeof index === 'number' ? raw[index] : undefined;
    const entryId =
      rawEntry && typeof rawEntry === 'object' && typeof (rawEntry as { id?: unknown }).id === 'string'
        ? `"${(rawEntry as { id: string }).id}"`
        : '(no id)';
    const where = typeof index === 'number' ? `${kind} ${entryId} (${key}[${index}])` : key;
    const fieldName =
      iss.code === 'unrecognized_keys'
        ? `unknown field(s) ${iss.keys.join(', ')}`
        : `field ${field.length ? field.join('.') : '(entry)'}`;
    return `${file}: ${where}, ${fieldName}: ${iss.message}`;
  });
  return lines.join('\n');
}

function parseEntries<T>(
  json: unknown,
  file: string,
  key: 'devices' | 'links',
  schema: typeof deviceSchema | typeof linkSchema,
): T[] {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new CatalogError(
      `${file}: a catalog file must be a JSON object with "devices" and/or "links" arrays`,
    );
  }
  const obj = json as Record<string, unknown>;
  const unknownKeys = Object.keys(obj).filter((k) => k !== 'devices' && k !== 'links' && k !== '$comment');
  if (unknownKeys.length)
    throw new CatalogError(
      `${file}: unknown top-level field(s) ${unknownKeys.join(', ')}; expected devices, links`,
    );
  if (!('devices' in obj) && !('links' in obj))
    throw new CatalogError(`${file}: has neither "devices" nor "links"`);
  const raw = obj[key];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new CatalogError(`${file}: field ${key} must be an array`);
  const issues: z.core.$ZodIssue[] = [];
  const out: T[] = [];
  const seen = new Set<string>();
  raw.forEach((entry, i) => {
    const r = schema.safeParse(entry);
    if (!r.success) {
      issues.push(...r.error.issues.map((iss) => ({ ...iss, path: [i, ...iss.path] }) as z.core.$ZodIssue));
      return;
    }
    if (seen.has(r.data.id)) {
      issues.push({
        code: 'custom',
        path: [i, 'id'],
        message: `duplicate id "${r.data.id}" in this file`,
        input: r.data.id,
      });
      return;
    }
    seen.add(r.data.id);
    out.push({ ...r.data, origin: file } as T);
  });
  if (issues.length) throw new CatalogError(formatIssues(file, key, raw, issues));
  return out;
}

/** Validates the `devices` array of a parsed catalog file; `file` names the file in error messages. */
export function parseDeviceEntries(json: unknown, file: string): DeviceSpec[] {
  return parseEntries<DeviceSpec>(json, file, 'devices', deviceSchema);
}

/** Validates the `links` array of a parsed catalog file; `file` names the file in error messages. */
export function parseLinkEntries(json: unknown, file: string): LinkSpec[] {
  return parseEntries<LinkSpec>(json, file, 'links', linkSchema);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogError(
      `${file}: cannot read catalog file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      { cause: err },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CatalogError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function load<T extends { readonly id: string }>(
  kind: 'device' | 'link',
  files: readonly string[],
  parse: (json: unknown, file: string) => T[],
): Catalog<T> {
  const entries = new Map<string, T>();
  for (const file of files) for (const e of parse(readJson(file), file)) entries.set(e.id, e);
  return makeCatalog(kind, entries);
}

/** Loads the built-in devices plus `extraFiles` (later files override entries with the same id). */
export function loadDeviceCatalog(extraFiles: readonly string[] = []): DeviceCatalog {
  return load('device', [BUILTIN_DEVICES_FILE, ...extraFiles], parseDeviceEntries);
}

/** Loads the built-in links plus `extraFiles` (later files override entries with the same id). */
export function loadLinkCatalog(extraFiles: readonly string[] = []): LinkCatalog {
  return load('link', [BUILTIN_LINKS_FILE, ...extraFiles], parseLinkEntries);
}

let builtinDevices: DeviceCatalog | undefined;
let builtinLinks: LinkCatalog | undefined;

/** Looks up a device in `catalog` (default: the built-in catalog); unknown ids throw listing the known ones. */
export function getDevice(id: string, catalog?: DeviceCatalog): DeviceSpec {
  if (catalog) return catalog.get(id);
  builtinDevices ??= loadDeviceCatalog();
  return builtinDevices.get(id);
}

/** Looks up a link in `catalog` (default: the built-in catalog); unknown ids throw listing the known ones. */
export function getLink(id: string, catalog?: LinkCatalog): LinkSpec {
  if (catalog) return catalog.get(id);
  builtinLinks ??= loadLinkCatalog();
  return builtinLinks.get(id);
}
