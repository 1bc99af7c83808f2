import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HandshakeTranscript } from '../../src/transport/auth/handshake.js';
import {
  RECORD_OVERHEAD_BYTES,
  RecordOpener,
  RecordSealer,
  deriveRecordKeys,
} from '../../src/transport/auth/record-layer.js';
import { FrameError } from '../../src/transport/errors.js';
import { mulberry32 } from '../../src/core/random.js';

const t: HandshakeTranscript = {
  clientNonce: 'aa',
  serverNonce: 'bb',
  clientWindow: '16,1',
  serverWindow: '8,1',
};
const psk = Buffer.alloc(32, 3);
const messages = [
  Buffer.from('{"op":"assign","id":1}'),
  Buffer.alloc(0),
  randomBytes(70_000),
  Buffer.from('tensor bytes'),
];

function pair() {
  const c = deriveRecordKeys(psk, 'client', t);
  const s = deriveRecordKeys(psk, 'server', t);
  return { sealer: new RecordSealer(c.send), opener: new RecordOpener(s.receive, 1 << 20) };
}

function rechunk(bytes: Buffer, seed: number): Buffer[] {
  const r = mulberry32(seed);
  const out: Buffer[] = [];
  for (let o = 0; o < bytes.length;) {
    const n = 1 + Math.floor(r() * 300);
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

const isBadRecord = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof FrameError && err.reason === 'bad-record' && err.fatal;
  }
  return false;
};

describe('AEAD record layer', () => {
  it('round-trips records through any chunking, adding exactly the overhead, hiding the plaintext', () => {
    const { sealer, opener } = pair();
    const records = messages.map((m) => sealer.seal(m));
    records.forEach((r, i) => expect(r.length).toBe(messages[i].length + RECORD_OVERHEAD_BYTES));
    const wire = Buffer.concat(records);
    expect(wire.includes(Buffer.from('"op"'))).toBe(false);
    expect(wire.includes(messages[2].subarray(1000, 1016))).toBe(false);
    const got = rechunk(wire, 7).flatMap((c) => opener.push(c));
    expect(Buffer.concat(got)).toEqual(Buffer.concat(messages));
    expect(opener.records).toBe(messages.length);
    expect(opener.bufferedBytes).toBe(0);
  });

  it('uses different keys per direction and per connection (nonces)', () => {
    const c = deriveRecordKeys(psk, 'client', t);
    const s = deriveRecordKeys(psk, 'server', t);
    expect(c.send.equals(s.receive) && c.receive.equals(s.send)).toBe(true);
    expect(c.send.equals(c.receive)).toBe(false);
    const other = deriveRecordKeys(psk, 'client', { ...t, serverNonce: 'bc' });
    expect(other.send.equals(c.send)).toBe(false);
    // the same plaintext under the same key seals differently as the counter advances
    const sealer = new RecordSealer(c.send);
    expect(sealer.seal(messages[0]).equals(sealer.seal(messages[0]))).toBe(false);
  });

  it('rejects any altered byte, and nothing is accepted after the first failure', () => {
    const { sealer } = pair();
    const record = sealer.seal(messages[0]);
    for (let i = 0; i < record.length; i++) {
      const bad = Buffer.from(record);
      bad[i] ^= 0x01;
      const { opener } = pair();
      // a flipped length byte may only make the record look incomplete; ending there is a truncation
      const opened = (() => {
        try {
          return opener.push(bad);
        } catch (err) {
          expect((err as FrameError).reason).toBe('bad-record');
          return undefined;
        }
      })();
      if (opened !== undefined) {
        expect(opened).toEqual([]);
        expect(opener.bufferedBytes).toBeGreaterThan(0);
      }
    }
    const { opener } = pair();
    const bad = Buffer.from(record);
    bad[10] ^= 0x80;
    expect(isBadRecord(() => opener.push(bad))).toBe(true);
    expect(isBadRecord(() => opener.push(record))).toBe(true);
  });

  it('rejects a replayed, a reordered and a dropped record', () => {
    const { sealer } = pair();
    const [r0, r1, r2] = messages.slice(0, 3).map((m) => sealer.seal(m));
    const replay = pair().opener;
    expect(replay.push(r0)).toEqual([messages[0]]);
    expect(isBadRecord(() => replay.push(r0))).toBe(true);
    expect(isBadRecord(() => pair().opener.push(Buffer.concat([r1, r0])))).toBe(true);
    const drop = pair().opener;
    expect(drop.push(r0)).toEqual([messages[0]]);
    expect(isBadRecord(() => drop.push(r2))).toBe(true);
  });

  it('rejects a different key, and shows truncation as bytes left over', () => {
    const { sealer } = pair();
    const record = sealer.seal(messages[2]);
    const wrong = new RecordOpener(deriveRecordKeys(randomBytes(32), 'server', t).receive, 1 << 20);
    expect(isBadRecord(() => wrong.push(record))).toBe(true);
    const cut = pair().opener;
    expect(cut.push(record.subarray(0, record.length - 1))).toEqual([]);
    expect(cut.bufferedBytes).toBe(record.length - 1);
  });

  it('refuses a length prefix beyond the limit before buffering it', () => {
    const opener = new RecordOpener(Buffer.alloc(32), 1000);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(0xfffffff0, 0);
    expect(isBadRecord(() => opener.push(head))).toBe(true);
    const tiny = Buffer.alloc(4);
    tiny.writeUInt32BE(3, 0);
    expect(isBadRecord(() => new RecordOpener(Buffer.alloc(32), 1000).push(tiny))).toBe(true);
    expect(() => new RecordSealer(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
