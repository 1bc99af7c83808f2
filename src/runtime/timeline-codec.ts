/**
 * Node timelines in binary (pure): a node records each sample's (or micro-batch's) passage as ten
 * float64 fields in a growing buffer, and sends a batch of records as the bytes of one uint8 tensor
 * frame named {@link TIMELINE_TENSOR_NAME} to the coordinator, which decodes it with a DataView: no
 * JSON and no per-record objects on either side. Layout, little-endian:
 *
 *   u32 magic "ESTL" | u32 records | u32 fields (10) | u32 targets
 *   targets x (u16 byte length, UTF-8)   -- the distinct receivers named in this batch
 *   zero padding to a multiple of 8
 *   records x fields float64: epoch, seq, received, inferStart, inferEnd, sendStart, sendEnd,
 *                             bytesSent, target (index into the targets, -1: dropped), count
 *
 * Times are the node's clock (ms since the epoch, fractional). A micro-batch of `count` samples
 * (seq, seq + 1, ...) is one record.
 */
import { EdgesplitError } from '../core/errors.js';

/** Name of the uint8 tensor frame that carries a batch of timeline records (node -> coordinator). */
export const TIMELINE_TENSOR_NAME = '__edgesplit_timeline__';

/** Field order of a record. */
export const TIMELINE_FIELDS = [
  'epoch',
  'seq',
  'received',
  'inferStart',
  'inferEnd',
  'sendStart',
  'sendEnd',
  'bytes',
  'target',
  'count',
] as const;

const F = TIMELINE_FIELDS.length;
const MAGIC = 0x4c545345; // "ESTL" read as a little-endian u32
const HEAD = 16;
/** Records one frame may carry (the protocol's timelineBatch limit, with room). */
const MAX_RECORDS = 65_536;

/** Decoded records: `values[r * 10 + f]` is field f of record r (see {@link TIMELINE_FIELDS}). */
export interface TimelineBatch {
  readonly records: number;
  readonly values: Float64Array;
  /** Receivers by index ('' never appears: a dropped sample has target -1). */
  readonly targets: readonly string[];
}

/** A node's pending timeline records. */
export class TimelineWriter {
  private values = new Float64Array(64 * F);
  private n = 0;
  private targets: string[] = [];
  private readonly targetIndex = new Map<string, number>();

  /** Records held. */
  get length(): number {
    return this.n;
  }

  /** Appends one record; `target` '' means the sample went nowhere (dropped). */
  push(
    epoch: number,
    seq: number,
    received: number,
    inferStart: number,
    inferEnd: number,
    sendStart: number,
    sendEnd: number,
    bytes: number,
    target: string,
    count: number,
  ): void {
    if ((this.n + 1) * F > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    let t = -1;
    if (target !== '') {
      t = this.targetIndex.get(target) ?? -1;
      if (t < 0) {
        t = this.targets.push(target) - 1;
        this.targetIndex.set(target, t);
      }
    }
    const o = this.n * F;
    const v = this.values;
    v[o] = epoch;
    v[o + 1] = seq;
    v[o + 2] = received;
    v[o + 3] = inferStart;
    v[o + 4] = inferEnd;
    v[o + 5] = sendStart;
    v[o + 6] = sendEnd;
    v[o + 7] = bytes;
    v[o + 8] = t;
    v[o + 9] = count;
    this.n += 1;
  }

  /** Encodes the held records and starts empty. */
  take(): Uint8Array {
    const names = this.targets.map((t) => Buffer.from(t, 'utf8'));
    const strings = names.reduce((s, b) => s + 2 + b.length, 0);
    const start = align8(HEAD + strings);
    const out = new Uint8Array(start + this.n * F * 8);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, this.n, true);
    dv.setUint32(8, F, true);
    dv.setUint32(12, names.length, true);
    let at = HEAD;
    for (const b of names) {
      dv.setUint16(at, b.length, true);
      out.set(b, at + 2);
      at += 2 + b.length;
    }
    for (let i = 0; i < this.n * F; i++) dv.setFloat64(start + 8 * i, this.values[i], true);
    this.clear();
    return out;
  }

  /** Drops the held records. */
  clear(): void {
    this.n = 0;
    this.targets = [];
    this.targetIndex.clear();
  }
}

/** Decodes a timeline frame's bytes; a malformed one is an E_PROTOCOL error naming `from`. */
export function decodeTimeline(bytes: Uint8Array, from: string): TimelineBatch {
  const bad = (why: string) => new EdgesplitError('E_PROTOCOL', `${from}: bad timeline frame: ${why}`);
  if (bytes.byteLength < HEAD) throw bad(`${bytes.byteLength} bytes, below the ${HEAD}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw bad('wrong magic');
  const records = dv.getUint32(4, true);
  const fields = dv.getUint32(8, true);
  const count = dv.getUint32(12, true);
  if (fields !== F) throw bad(`${fields} fields per record, expected ${F}`);
  if (records > MAX_RECORDS) throw bad(`${records} records, at most ${MAX_RECORDS}`);
  const targets: string[] = [];
  let at = HEAD;
  const text = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < count; i++) {
    if (at + 2 > bytes.byteLength) throw bad('target table runs past the frame');
    const len = dv.getUint16(at, true);
    if (at + 2 + len > bytes.byteLength) throw bad('target table runs past the frame');
    try {
      targets.push(text.decode(bytes.subarray(at + 2, at + 2 + len)));
    } catch {
      throw bad(`target ${i} is not UTF-8`);
    }
    at += 2 + len;
  }
  const start = align8(at);
  if (bytes.byteLength !== start + records * F * 8)
    throw bad(`${bytes.byteLength} bytes, expected ${start + records * F * 8} for ${records} records`);
  const values = new Float64Array(records * F);
  for (let i = 0; i < values.length; i++) values[i] = dv.getFloat64(start + 8 * i, true);
  for (let r = 0; r < records; r++) {
    const o = r * F;
    const t = values[o + 8];
    if (!Number.isInteger(t) || t < -1 || t >= count) throw bad(`record ${r}: target index ${t}`);
    if (!Number.isInteger(values[o + 9]) || values[o + 9] < 1)
      throw bad(`record ${r}: count ${values[o + 9]}`);
    if (!Number.isInteger(values[o]) || !Number.isInteger(values[o + 1]))
      throw bad(`record ${r}: epoch and seq must be integers`);
    for (let f = 2; f < 8; f++)
      if (!Number.isFinite(values[o + f])) throw bad(`record ${r}: ${TIMELINE_FIELDS[f]}`);
  }
  return { records, values, targets };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
