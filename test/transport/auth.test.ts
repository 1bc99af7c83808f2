import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeProof, verifyProof } from '../../src/transport/auth/handshake.js';
import { loadKeyFile, parseKey } from '../../src/transport/auth/key-file.js';
import { AuthError } from '../../src/transport/errors.js';
import { ReceiveCredit, SendCredit } from '../../src/transport/credit.js';

describe('key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-key-'));
  it('reads hex (whitespace ignored) and raw keys', () => {
    const hex = join(dir, 'hex.key');
    writeFileSync(hex, '00112233445566778899aabbccddeeff\n0011\n');
    expect(loadKeyFile(hex).toString('hex')).toBe('00112233445566778899aabbccddeeff0011');
    const raw = Buffer.from(Array.from({ length: 20 }, (_, i) => 200 + i));
    expect(parseKey(raw)).toEqual(raw);
  });
  it('rejects short keys and missing files, naming the file', () => {
    expect(() => parseKey(Buffer.from('abcd'), 'k.hex')).toThrow(/k\.hex: 2 bytes .*need at least 16/);
    expect(() => loadKeyFile(join(dir, 'nope'))).toThrow(AuthError);
  });
});

describe('handshake proofs', () => {
  const t = { clientNonce: 'aa', serverNonce: 'bb', clientWindow: '16,100', serverWindow: '8,50' };
  const key = Buffer.alloc(16, 9);
  it('verify only with the same key, role and transcript', () => {
    const p = computeProof(key, 'client', t);
    expect(verifyProof(key, 'client', t, p)).toBe(true);
    expect(verifyProof(key, 'server', t, p)).toBe(false);
    expect(verifyProof(Buffer.alloc(16, 8), 'client', t, p)).toBe(false);
    expect(verifyProof(key, 'client', { ...t, serverWindow: '9999,50' }, p)).toBe(false);
    expect(verifyProof(key, 'client', t, 42)).toBe(false);
  });
});

describe('credit accounting', () => {
  it('never lets more than the window be in flight, and returns credit on consumption', () => {
    const w = { frames: 3, bytes: 300 };
    const s = new SendCredit(w);
    const r = new ReceiveCredit(w);
    let sent = 0;
    let delivered = 0;
    const wire: number[] = [];
    for (let step = 0; step < 200; step++) {
      const size = 50 + ((step * 37) % 120);
      if (s.canSend(size)) {
        s.onSent(size);
        wire.push(size);
        expect(r.onArrive(size)).toBe(true);
        sent++;
      }
      if (step % 3 === 0 && wire.length > 0) {
        const g = r.onConsume(wire.shift()!);
        delivered++;
        if (g) s.onGrant(g);
      }
      expect(s.inFlightFrames).toBeLessThanOrEqual(3);
    }
    expect(sent).toBeGreaterThan(50);
    expect(delivered).toBeGreaterThan(50);
    expect(s.maxInFlightBytes).toBeLessThanOrEqual(300);
  });
  it('batches reports: one per half window, at once when a large frame could not fit, the rest on flush', () => {
    const r = new ReceiveCredit({ frames: 16, bytes: 2000 });
    const grants: (number | undefined)[] = [];
    for (let i = 0; i < 16; i++) {
      expect(r.onArrive(10)).toBe(true);
      grants.push(r.onConsume(10)?.frames);
    }
    // the queue is empty after every consume, yet only every 8th consume reports
    const none = Array<undefined>(7).fill(undefined);
    expect(grants).toEqual([...none, 8, ...none, 16]);
    expect(r.owed).toBe(false);
    r.onArrive(10);
    expect(r.onConsume(10)).toBeUndefined();
    expect(r.owed).toBe(true);
    expect(r.flush()).toEqual({ frames: 17, bytes: 170 });
    expect(r.flush()).toBeUndefined();
    // half the byte window consumed: report at once
    r.onArrive(1500);
    expect(r.onConsume(1500)).toEqual({ frames: 18, bytes: 1670 });
    // 600 B is under half the window, but a next frame as large as the 1,500 B one would not fit beside it
    r.onArrive(600);
    expect(r.onConsume(600)).toEqual({ frames: 19, bytes: 2270 });
  });
  it('flags a peer that overruns the window', () => {
    const r = new ReceiveCredit({ frames: 2, bytes: 1000 });
    expect([r.onArrive(10), r.onArrive(10), r.onArrive(10)]).toEqual([true, true, false]);
  });
});
