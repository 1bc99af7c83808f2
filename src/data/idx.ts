/**
 * IDX files (the MNIST / Fashion-MNIST container): a 4-byte magic (0, 0, type code, number of dims),
 * one big-endian uint32 per dim, then the elements in row-major order. Only unsigned-byte data
 * (type code 0x08) is supported, which is what image (idx3) and label (idx1) files hold.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { EdgesplitError, errorMessage } from '../core/errors.js';

/** Largest IDX file (compressed or raw) the loader reads from disk. */
export const MAX_IDX_FILE_BYTES = 128 * 1024 * 1024;
/** Largest decompressed IDX payload accepted (the 60k Fashion-MNIST train images are ~47 MB). */
export const MAX_IDX_DECODED_BYTES = 256 * 1024 * 1024;
/** Largest number of dimensions accepted in an IDX header. */
export const MAX_IDX_DIMS = 8;

/** IDX type code of unsigned bytes, the only element type supported. */
export const IDX_TYPE_UINT8 = 0x08;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  /** Dimensions from the header, e.g. [10000, 28, 28] for images, [10000] for labels. */
  readonly dims: readonly number[];
  /** Elements in row-major order (a view into the decoded bytes). */
  readonly data: Uint8Array;
}

function dataError(sourceName: string, message: string, cause?: unknown): EdgesplitError {
  return new EdgesplitError('E_DATA', `${sourceName}: ${message}`, cause === undefined ? undefined : { cause });
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes (bounded by MAX_IDX_DECODED_BYTES); returns raw bytes unchanged. */
export function gunzipIfNeeded(bytes: Uint8Array, sourceName: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_IDX_DECODED_BYTES });
  } catch (err) {
    throw dataError(sourceName, `bad gzip data (${errorMessage(err)})`, err);
  }
}

/**
 * Parses IDX bytes (gzip-compressed or raw). `sourceName` names the file in error messages;
 * `expectDims`, when given, is the required number of dimensions (3 for images, 1 for labels).
 */
export function parseIdx(bytes: Uint8Array, sourceName: string, expectDims?: number): IdxArray {
  const raw = gunzipIfNeeded(bytes, sourceName);
  if (raw.length < 4) throw dataError(sourceName, `truncated IDX header: ${raw.length} bytes, need at least 4`);
  if (raw[0] !== 0 || raw[1] !== 0) {
    const magic = [...raw.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw dataError(sourceName, `wrong IDX magic number ${magic} (expected 00 00 <type> <ndims>)`);
  }
  const typeCode = raw[2];
  if (typeCode !== IDX_TYPE_UINT8) {
    const known = TYPE_NAMES[typeCode] ? ` (${TYPE_NAMES[typeCode]})` : ' (not an IDX type)';
    throw dataError(
      sourceName,
      `unsupported IDX type code 0x${typeCode.toString(16).padStart(2, '0')}${known}; only 0x08 (uint8) is supported`,
    );
  }
  const ndims = raw[3];
  if (ndims < 1 || ndims > MAX_IDX_DIMS) {
    throw dataError(sourceName, `IDX header declares ${ndims} dimensions; supported are 1..${MAX_IDX_DIMS}`);
  }
  if (expectDims !== undefined && ndims !== expectDims) {
    throw dataError(sourceName, `IDX file has ${ndims} dimensions, expected ${expectDims}`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    throw dataError(sourceName, `truncated IDX header: ${raw.length} bytes, ${ndims} dims need ${headerBytes}`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (count > MAX_IDX_DECODED_BYTES) {
    throw dataError(sourceName, `IDX dims [${dims.join(',')}] declare ${count} bytes, over the limit of ${MAX_IDX_DECODED_BYTES}`);
  }
  const available = raw.length - headerBytes;
  if (available < count) {
    throw dataError(sourceName, `truncated IDX file: dims [${dims.join(',')}] need ${count} data bytes, found ${available}`);
  }
  if (available > count) {
    throw dataError(sourceName, `${available - count} bytes of trailing garbage after the IDX data (dims [${dims.join(',')}])`);
  }
  return { dims, data: raw.subarray(headerBytes, headerBytes + count) };
}

/** Reads and parses one IDX file (gzip or raw), refusing files over MAX_IDX_FILE_BYTES. */
export function loadIdxFile(path: string, expectDims?: number): IdxArray {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > MAX_IDX_FILE_BYTES) {
      throw dataError(path, `file is ${size} bytes, over the limit of ${MAX_IDX_FILE_BYTES}`);
    }
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof EdgesplitError) throw err;
    throw new EdgesplitError('E_IO', `cannot read IDX file ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return parseIdx(bytes, path, expectDims);
}

/** Images [N,H,W] and their labels [N], checked to agree in count. */
export interface IdxImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** N*H*W bytes, row-major. */
  readonly pixels: Uint8Array;
  /** N class labels. */
  readonly labels: Uint8Array;
}

/** Checks an idx3 image array and an idx1 label array for agreement; pure. */
export function pairIdx(images: IdxArray, labels: IdxArray, imagesName: string, labelsName: string): IdxImageSet {
  if (images.dims.length !== 3) {
    throw dataError(imagesName, `image file must have 3 dims [N,H,W], has [${images.dims.join(',')}]`);
  }
  if (labels.dims.length !== 1) {
    throw dataError(labelsName, `label file must have 1 dim [N], has [${labels.dims.join(',')}]`);
  }
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw dataError(
      labelsName,
      `label/image count mismatch: ${labels.dims[0]} labels in ${labelsName} but ${n} images in ${imagesName}`,
    );
  }
  return { count: n, height: h, width: w, pixels: images.data, labels: labels.data };
}

/** Loads an idx3 image file and its idx1 label file and checks that their counts agree. */
export function loadIdxImageSet(imagesPath: string, labelsPath: string): IdxImageSet {
  return pairIdx(loadIdxFile(imagesPath, 3), loadIdxFile(labelsPath, 1), imagesPath, labelsPath);
}
