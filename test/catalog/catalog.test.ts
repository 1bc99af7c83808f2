import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CatalogError,
  getDevice,
  getLink,
  loadDeviceCatalog,
  loadLinkCatalog,
  parseDeviceEntries,
  parseLinkEntries,
} from '../../src/catalog/index.js';

const REQUIRED_LINKS = [
  'ble',
  'wifi',
  'nfc',
  'zigbee',
  'wifi-halow',
  'hbc',
  'lora',
  'uwb',
  'backscatter',
  'loopback',
  'ble-esp32s3',
];
const REQUIRED_DEVICES = [
  'esp32s3',
  'esp32',
  'nano33ble',
  'coral-micro',
  'rpi3bplus',
  'rpi4b',
  'jetson-orin-nano-7w',
  'jetson-orin-nano-15w',
  'phone',
  'laptop',
  't4',
  'a100',
  'distnn-asic-65nm',
];

const validLink = {
  id: 'my-link',
  name: 'Mine',
  throughputBps: '2.5 Mb/s',
  energyPerBitJ: '20 nJ/bit',
  mtuBytes: 256,
  headerBytes: 4,
  latencyS: '2 ms',
  sources: {},
};

function writeTemp(name: string, value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-catalog-'));
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function catalogError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return (err as Error).message;
  }
  throw new Error('expected a CatalogError');
}

describe('built-in catalogs', () => {
  const devices = loadDeviceCatalog();
  const links = loadLinkCatalog();

  it('hold every required device and link', () => {
    for (const id of REQUIRED_DEVICES) expect(devices.entries.has(id), id).toBe(true);
    for (const id of REQUIRED_LINKS) expect(links.entries.has(id), id).toBe(true);
  });

  it('cite a source for every number', () => {
    const check = (entry: Record<string, unknown>, sources: Record<string, string>) => {
      for (const [field, value] of Object.entries(entry)) {
        if (typeof value === 'number' || (value && typeof value === 'object' && 'min' in value)) {
          const key = field.replace(/Range(?=[A-Z]|$)/, '');
          expect(sources[field] ?? sources[key], `${entry.id as string}.${field}`).toBeTruthy();
        }
      }
    };
    for (const d of devices.entries.values()) check(d as unknown as Record<string, unknown>, d.sources);
    for (const l of links.entries.values()) check(l as unknown as Record<string, unknown>, l.sources);
  });

  it('parses unit strings into SI base units', () => {
    const ble = getLink('ble');
    expect(ble.throughputBps).toBe(125_000);
    expect(ble.energyPerBitJ).toBe(30e-9);
    expect(ble.mtuBytes).toBe(517);
    expect(ble.headerBytes).toBe(3);
    const esp = getDevice('esp32s3');
    expect(esp.sramBytes).toBe(512 * 1024);
    expect(esp.clockHz).toBe(240e6);
    expect(getLink('wifi').throughputBps).toBe(2.5e6);
    expect(getLink('loopback').throughputBps).toBe(Infinity);
  });

  it('keeps the HI seed measurements', () => {
    const m = getLink('ble-rpi4b').measured?.find((x) => x.payload === 'cifar10-image');
    expect(m?.latencyS).toBeCloseTo(0.17713, 6);
    expect(m?.energyJ).toBeCloseTo(0.395, 6);
    const coral = getDevice('coral-micro').measured?.find((x) => x.model === 'resnet50-imagenet');
    expect(coral?.energyJ).toBeCloseTo(0.93969, 6);
  });

  it('names the known ids when an id is unknown', () => {
    const msg = catalogError(() => getDevice('esp99'));
    expect(msg).toContain('unknown device "esp99"');
    expect(msg).toContain('esp32s3');
    expect(catalogError(() => getLink('carrier-pigeon'))).toContain('zigbee');
  });
});

describe('user catalog files', () => {
  it('merge in and override built-in entries by id', () => {
    const file = writeTemp('extra.json', {
      links: [validLink, { ...validLink, id: 'ble', throughputBps: 1e6 }],
    });
    const links = loadLinkCatalog([file]);
    expect(links.get('my-link').throughputBps).toBe(2.5e6);
    expect(links.get('ble').throughputBps).toBe(1e6);
    expect(links.get('ble').origin).toBe(file);
    expect(links.get('lora').origin).not.toBe(file);
    expect(loadDeviceCatalog([file]).entries.has('esp32s3')).toBe(true);
  });

  it('reject a missing field naming file, entry and field', () => {
    const noLatency: Record<string, unknown> = { ...validLink };
    delete noLatency.latencyS;
    const msg = catalogError(() => parseLinkEntries({ links: [noLatency] }, 'extra.json'));
    expect(msg).toBe('extra.json: link "my-link" (links[0]), field latencyS: required field is missing');
  });

  it('reject a negative throughput naming file, entry and field', () => {
    const msg = catalogError(() =>
      parseLinkEntries({ links: [validLink, { ...validLink, id: 'neg', throughputBps: -5 }] }, 'f.json'),
    );
    expect(msg).toContain('f.json: link "neg" (links[1]), field throughputBps: must be > 0');
  });

  it('reject an unknown unit naming file, entry, field and the accepted units', () => {
    const msg = catalogError(() =>
      parseLinkEntries({ links: [{ ...validLink, throughputBps: '3 furlongs/s' }] }, 'u.json'),
    );
    expect(msg).toContain(
      'u.json: link "my-link" (links[0]), field throughputBps: unknown unit "furlongs/s"',
    );
    expect(msg).toContain('b/s');
  });

  it('reject a unit of the wrong dimension and fractional prefixes of bytes', () => {
    expect(
      catalogError(() => parseLinkEntries({ links: [{ ...validLink, energyPerBitJ: '5 W' }] }, 'x')),
    ).toContain('field energyPerBitJ: unknown unit "W"');
    expect(
      catalogError(() => parseLinkEntries({ links: [{ ...validLink, mtuBytes: '3 mB' }] }, 'x')),
    ).toContain('field mtuBytes: unknown unit "mB"');
  });

  it('reject unknown fields, missing energy and duplicate ids', () => {
    expect(
      catalogError(() => parseLinkEntries({ links: [{ ...validLink, throughputbps: 5 }] }, 'x')),
    ).toContain('unknown field(s) throughputbps');
    const noEnergy: Record<string, unknown> = { ...validLink };
    delete noEnergy.energyPerBitJ;
    expect(catalogError(() => parseLinkEntries({ links: [noEnergy] }, 'x'))).toContain(
      'field energyPerBitJ: give energyPerBitJ or txPowerW',
    );
    expect(catalogError(() => parseLinkEntries({ links: [validLink, validLink] }, 'x'))).toContain(
      'duplicate id "my-link"',
    );
  });

  it('reject bad devices naming the entry even without an id', () => {
    const msg = catalogError(() => parseDeviceEntries({ devices: [{ name: 'x' }] }, 'd.json'));
    expect(msg).toContain('d.json: device (no id) (devices[0]), field id');
    expect(msg).toContain('field macsPerS: required field is missing');
  });

  it('reject unreadable, non-JSON and wrongly shaped files', () => {
    expect(catalogError(() => loadLinkCatalog(['/nonexistent/x.json']))).toContain(
      '/nonexistent/x.json: cannot read catalog file (ENOENT)',
    );
    const bad = writeTemp('bad.json', '{ nope');
    expect(catalogError(() => loadLinkCatalog([bad]))).toContain(`${bad}: not valid JSON`);
    expect(catalogError(() => parseLinkEntries({ link: [] }, 'y.json'))).toContain(
      'y.json: unknown top-level field(s) link',
    );
    expect(catalogError(() => parseLinkEntries({ links: {} }, 'y.json'))).toContain(
      'field links must be an array',
    );
  });
});
