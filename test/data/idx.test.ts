import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EdgesplitError } from '../../src/core/errors.js';
import { loadIdxFile, loadIdxImageSet, parseIdx } from '../../src/data/idx.js';

function idxBytes(dims: number[], data: Uint8Array, typeCode = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

const pixels = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 7) % 256);
const images = idxBytes([3, 4, 5], pixels);
const labels = idxBytes([3], Uint8Array.from([2, 0, 9]));

function expectDataError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EdgesplitError);
    expect((err as EdgesplitError).code).toBe('E_DATA');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected an E_DATA error');
}

describe('parseIdx', () => {
  it('reads raw and gzip bytes to the same dims and data', () => {
    for (const bytes of [images, gzipSync(images)]) {
      const arr = parseIdx(bytes, 'x.idx');
      expect(arr.dims).toEqual([3, 4, 5]);
      expect([...arr.data]).toEqual([...pixels]);
    }
    expect([...parseIdx(gzipSync(labels), 'l.idx', 1).data]).toEqual([2, 0, 9]);
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bad = images.slice();
    bad[0] = 0x42;
    expectDataError(() => parseIdx(bad, 'imgs.gz'), /imgs\.gz: wrong IDX magic number 42 00 08 03/);
  });

  it('rejects unsupported type codes', () => {
    expectDataError(() => parseIdx(idxBytes([2], new Uint8Array(8), 0x0d), 'f.idx'), /f\.idx: unsupported IDX type code 0x0d \(float32\)/);
    expectDataError(() => parseIdx(idxBytes([2], new Uint8Array(2), 0x42), 'f.idx'), /0x42 \(not an IDX type\)/);
  });

  it('rejects truncated headers and data', () => {
    expectDataError(() => parseIdx(images.subarray(0, 3), 't.idx'), /t\.idx: truncated IDX header: 3 bytes/);
    expectDataError(() => parseIdx(images.subarray(0, 10), 't.idx'), /truncated IDX header: 10 bytes, 3 dims need 16/);
    expectDataError(
      () => parseIdx(gzipSync(images.subarray(0, images.length - 1)), 't.idx'),
      /t\.idx: truncated IDX file: dims \[3,4,5\] need 60 data bytes, found 59/,
    );
  });

  it('rejects trailing garbage', () => {
    const extra = new Uint8Array(images.length + 5);
    extra.set(images);
    expectDataError(() => parseIdx(extra, 'g.idx'), /g\.idx: 5 bytes of trailing garbage/);
  });

  it('rejects bad and truncated gzip streams', () => {
    const gz = gzipSync(images);
    expectDataError(() => parseIdx(gz.subarray(0, gz.length - 12), 'z.gz'), /z\.gz: bad gzip data/);
    const corrupt = gz.slice();
    for (let i = 12; i < corrupt.length - 8; i++) corrupt[i] ^= 0x5a;
    expectDataError(() => parseIdx(corrupt, 'z.gz'), /z\.gz: bad gzip data/);
  });

  it('rejects a wrong number of dims and absurd declared sizes', () => {
    expectDataError(() => parseIdx(labels, 'l.idx', 3), /l\.idx: IDX file has 1 dimensions, expected 3/);
    expectDataError(() => parseIdx(idxBytes([65536, 65536], new Uint8Array(0)), 'big.idx'), /over the limit/);
    const zeroDims = new Uint8Array([0, 0, 8, 0]);
    expectDataError(() => parseIdx(zeroDims, 'z.idx'), /declares 0 dimensions/);
  });
});

describe('loadIdxImageSet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-idx-'));
  const write = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  it('pairs images and labels from files', () => {
    const set = loadIdxImageSet(write('i.gz', gzipSync(images)), write('l.gz', gzipSync(labels)));
    expect(set).toMatchObject({ count: 3, height: 4, width: 5 });
    expect([...set.labels]).toEqual([2, 0, 9]);
    expect(set.pixels[59]).toBe(pixels[59]);
  });

  it('rejects a label/image count mismatch naming both files', () => {
    const l4 = write('l4.gz', gzipSync(idxBytes([4], new Uint8Array(4))));
    expectDataError(() => loadIdxImageSet(write('i3.gz', images), l4), /label\/image count mismatch: 4 labels in .*l4\.gz but 3 images in .*i3\.gz/);
  });

  it('rejects swapped files and reports missing files as E_IO', () => {
    const i = write('i.raw', images);
    const l = write('l.raw', labels);
    expectDataError(() => loadIdxImageSet(l, i), /l\.raw: IDX file has 1 dimensions, expected 3/);
    expect(() => loadIdxFile(join(dir, 'missing.gz'))).toThrow(/cannot read IDX file .*missing\.gz/);
  });
});
