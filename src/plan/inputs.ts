/**
 * File inputs of planning: the RSSI curve data file, topology files, device specs, and external
 * weight data of source models (so stage models are self-contained).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceCatalog } from '../catalog/catalog.js';
import type { LinkSpec } from '../catalog/schema.js';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { ModelProto } from '../onnx/proto.js';
import {
  parseDeviceSpec,
  parseTopology,
  rssiCurveFileSchema,
  topologyPool,
  uniformPool,
  type RssiPoint,
} from '../strategy/plan/devices.js';
import type { DevicePool } from '../strategy/plan/types.js';

/** Path of the built-in RSSI -> throughput curve; resolves from both `src/plan/` and `dist/plan/`. */
export const RSSI_CURVE_FILE = fileURLToPath(
  new URL('../../src/strategy/plan/data/rssi-throughput.json', import.meta.url),
);

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EdgesplitError('E_IO', `${file}: cannot read ${what} (${errorMessage(err)})`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EdgesplitError('E_PLAN', `${file}: ${what} is not valid JSON (${errorMessage(err)})`, {
      cause: err,
    });
  }
}

/** Loads an RSSI curve file (default: the built-in one). */
export function loadRssiCurve(file = RSSI_CURVE_FILE): RssiPoint[] {
  const r = rssiCurveFileSchema.safeParse(readJson(file, 'RSSI curve'));
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new EdgesplitError('E_PLAN', `${file}: ${iss.path.join('.') || '(top level)'}: ${iss.message}`);
  }
  return r.data.curve;
}

/**
 * The device pool of a `--devices` value: a path ending in `.json` is a topology file, anything else
 * a catalog spec such as `esp32s3x8` or `esp32s3x2,rpi4bx1`.
 */
export function loadDevicePool(
  devices: string,
  catalog: DeviceCatalog,
  link: LinkSpec,
  curve?: readonly RssiPoint[],
): DevicePool {
  if (!devices.endsWith('.json')) return uniformPool(parseDeviceSpec(devices, catalog), link);
  const topology = parseTopology(readJson(devices, 'topology'), devices);
  return topologyPool(topology, devices, catalog, link, curve ?? loadRssiCurve());
}

/**
 * Replaces every initializer stored as external data with its bytes, read relative to the model
 * file's directory. Fails naming the initializer and the file when the data cannot be read.
 */
export async function inlineExternalData(model: ModelProto, modelPath: string): Promise<number> {
  const files = new Map<string, Promise<Buffer>>();
  let count = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== 1) continue;
    const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value ?? undefined;
    const location = entry('location');
    const where = `${modelPath}: initializer '${t.name}'`;
    if (!location)
      throw new EdgesplitError('E_ONNX_INVALID', `${where} is marked external but names no location`);
    const file = isAbsolute(location) ? location : resolve(dirname(modelPath), location);
    if (!files.has(file)) files.set(file, readFile(file));
    let data: Buffer;
    try {
      data = await files.get(file)!;
    } catch (err) {
      throw new EdgesplitError(
        'E_IO',
        `${where} keeps its weights in external file '${location}', which cannot be read (${errorMessage(err)}); stage models must be self-contained`,
        { cause: err },
      );
    }
    const offset = Number(entry('offset') ?? 0);
    const length = entry('length') !== undefined ? Number(entry('length')) : data.length - offset;
    if (!(offset >= 0 && length >= 0 && offset + length <= data.length)) {
      throw new EdgesplitError(
        'E_ONNX_INVALID',
        `${where}: external range [${offset}, ${offset + length}) is outside '${location}' (${data.length} bytes)`,
      );
    }
    t.rawData = new Uint8Array(data.buffer, data.byteOffset + offset, length);
    t.externalData = [];
    t.dataLocation = 0;
    count++;
  }
  return count;
}
