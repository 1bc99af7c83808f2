import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { FrameDecoder } from '../../src/transport/codec/decoder.js';
import { decodeFrame, encodeFrame, type Frame, type TensorFrame } from '../../src/transport/codec/frame.js';
import {
  chooseQuantParams,
  float16BitsToFloat32,
  float32ToFloat16Bits,
} from '../../src/transport/codec/quant.js';
import { FrameError } from '../../src/transport/errors.js';
import type { Tensor } from '../../src/core/tensor.js';
import { mulberry32 } from '../../src/core/random.js';

const rng = mulberry32;

function randomFloats(n: number, r: () => number, spread = 10): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() - 0.3) * spread;
  return a;
}

function tensorFrame(tensor: Tensor, wire?: TensorFrame['wire']): TensorFrame {
  return { type: 'tensor', streamId: 7, seq: 42, name: 'conv1/out:0', tensor, wire };
}

describe('frame codec', () => {
  const r = rng(1);
  const f32 = randomFloats(2 * 3 * 5, r);

  it('round-trips fp32 exactly', () => {
    const back = decodeFrame(
      encodeFrame(tensorFrame({ dtype: 'float32', dims: [2, 3, 5], data: f32 })),
    ) as TensorFrame;
    expect(back.type).toBe('tensor');
    expect(back.name).toBe('conv1/out:0');
    expect([back.streamId, back.seq]).toEqual([7, 42]);
    expect(back.tensor.dims).toEqual([2, 3, 5]);
    expect(Array.from(back.tensor.data as Float32Array)).toEqual(Array.from(f32));
  });

  it('round-trips every native dtype byte-exactly', () => {
    const cases: Tensor[] = [
      { dtype: 'int8', dims: [4], data: Int8Array.from([-128, -1, 0, 127]) },
      { dtype: 'uint8', dims: [3], data: Uint8Array.from([0, 128, 255]) },
      { dtype: 'int16', dims: [2], data: Int16Array.from([-32768, 32767]) },
      { dtype: 'int32', dims: [2, 1], data: Int32Array.from([-5, 1 << 30]) },
      { dtype: 'int64', dims: [2], data: BigInt64Array.from([-(2n ** 62n), 12345678901234n]) },
      { dtype: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) },
      { dtype: 'float16', dims: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
      { dtype: 'float32', dims: [], data: Float32Array.from([3.5]) },
    ];
    for (const t of cases) {
      const back = decodeFrame(encodeFrame(tensorFrame(t, 'native'))) as TensorFrame;
      expect(back.tensor.dtype).toBe(t.dtype);
      expect(back.tensor.dims).toEqual(t.dims);
      expect(back.tensor.data.constructor).toBe(t.data.constructor);
      expect(Array.from(back.tensor.data as ArrayLike<unknown>)).toEqual(
        Array.from(t.data as ArrayLike<unknown>),
      );
    }
  });

  it('fp16 keeps values within half-precision rounding', () => {
    const back = decodeFrame(
      encodeFrame(tensorFrame({ dtype: 'float32', dims: [30], data: f32 }, 'fp16')),
    ) as TensorFrame;
    const got = back.tensor.data as Float32Array;
    expect(back.tensor.dtype).toBe('float32');
    expect(back.wire).toBe('fp16');
    for (let i = 0; i < f32.length; i++)
      expect(Math.abs(got[i] - f32[i])).toBeLessThanOrEqual(Math.abs(f32[i]) * 2 ** -11 + 2 ** -25);
  });

  it('fp16 conversion handles specials and rounds to nearest even', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(1);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
    for (let bits = 0; bits < 0x7c00; bits += 37)
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
  });

  for (const [wire, bits] of [
    ['int8', 8],
    ['int16', 16],
  ] as const) {
    it(`${wire} quantisation error is bounded by scale/2`, () => {
      const data = randomFloats(1000, r, 37);
      const back = decodeFrame(
        encodeFrame(tensorFrame({ dtype: 'float32', dims: [10, 100], data }, wire)),
      ) as TensorFrame;
      const q = chooseQuantParams(data, bits);
      expect(back.quant).toEqual(q);
      const got = back.tensor.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(got[i] - data[i]));
      expect(worst).toBeLessThanOrEqual((q.scale / 2) * (1 + 1e-5) + 1e-6);
      expect(worst).toBeGreaterThan(0);
    });
  }

  it('message frames carry JSON bodies', () => {
    const f: Frame = {
      type: 'control',
      streamId: 1,
      seq: 2,
      body: { plan: { stages: [1, 2] }, note: 'ünï' },
    };
    expect(decodeFrame(encodeFrame(f))).toEqual(f);
  });

  it('detects any single flipped bit (CRC) and refuses undefined flags', () => {
    const bytes = encodeFrame(
      tensorFrame({ dtype: 'float32', dims: [4], data: Float32Array.from([1, 2, 3, 4]) }),
    );
    for (let i = 20; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 1 << (i % 8);
      expect(() => decodeFrame(bad)).toThrow(FrameError);
    }
    const flagged = Buffer.from(bytes);
    flagged[10] = 2;
    flagged.writeUInt32BE(crc32(flagged.subarray(0, flagged.length - 4)), flagged.length - 4);
    expect(() => decodeFrame(flagged)).toThrow(/flags 0x2 are not defined/);
  });

  it('enforces limits with errors naming the field', () => {
    const t = (dims: number[], name = 'x') =>
      encodeFrame({
        type: 'tensor',
        streamId: 0,
        seq: 0,
        name,
        tensor: { dtype: 'uint8', dims, data: new Uint8Array(dims.reduce((a, b) => a * b, 1)) },
      });
    expect(() => decodeFrame(t([1, 1, 1, 1, 1, 1, 1, 1, 1]))).toThrow(/rank 9 exceeds maxRank 8/);
    expect(decodeFrame(t([2]), { limits: { maxNameBytes: 3 } }).type).toBe('tensor');
    expect(() => decodeFrame(t([2], 'long-name'), { limits: { maxNameBytes: 3 } })).toThrow(
      /name of 9 bytes/,
    );
    expect(() => decodeFrame(t([100, 100]), { limits: { maxElements: 9999 } })).toThrow(
      /10000 elements exceed maxElements/,
    );
    expect(() => decodeFrame(t([100]), { limits: { maxFrameBytes: 100 } })).toThrow(
      /exceeds maxFrameBytes 100/,
    );
    expect(() =>
      encodeFrame(tensorFrame({ dtype: 'float32', dims: [3], data: new Float32Array(2) })),
    ).toThrow(/2 elements but dims \[3\]/);
    expect(() =>
      encodeFrame(tensorFrame({ dtype: 'int32', dims: [1], data: new Int32Array(1) }, 'int8')),
    ).toThrow(/needs a float32 tensor/);
  });
});

describe('streaming decoder', () => {
  it('reassembles frames split across and combined in random chunks', () => {
    const r = rng(99);
    const frames: Frame[] = [];
    for (let i = 0; i < 60; i++) {
      frames.push(
        i % 3 === 0
          ? { type: 'credit', streamId: 0, seq: i, body: { frames: i, bytes: i * 10 } }
          : tensorFrame(
              { dtype: 'float32', dims: [1 + Math.floor(r() * 300)], data: randomFloats(0, r) },
              'fp32',
            ),
      );
      const last = frames[i];
      if (last.type === 'tensor')
        frames[i] = {
          ...last,
          seq: i,
          tensor: { dtype: 'float32', dims: last.tensor.dims, data: randomFloats(last.tensor.dims[0], r) },
        };
    }
    const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
    for (let trial = 0; trial < 5; trial++) {
      const dec = new FrameDecoder();
      const out: Frame[] = [];
      for (let o = 0; o < stream.length;) {
        const n = Math.min(stream.length - o, 1 + Math.floor(r() * (trial === 0 ? 3 : 5000)));
        dec.push(stream.subarray(o, o + n));
        o += n;
        for (let res = dec.next(); res; res = dec.next()) {
          if (!res.ok) throw res.error;
          out.push(res.frame);
        }
      }
      expect(out.length).toBe(frames.length);
      expect(out.map((f) => f.seq)).toEqual(frames.map((f) => f.seq));
      expect(out).toEqual(frames.map((f) => (f.type === 'tensor' ? { ...f, wire: 'fp32' } : f)));
      expect(dec.bufferedBytes).toBe(0);
    }
  });

  it('skips an oversize or corrupt frame and resynchronises; bad magic is fatal', () => {
    const small = (seq: number) => encodeFrame({ type: 'health', streamId: 0, seq, body: { ok: true } });
    const big = encodeFrame({ type: 'control', streamId: 0, seq: 2, body: 'x'.repeat(5000) });
    const corrupt = small(3);
    corrupt[22] ^= 0xff;
    const dec = new FrameDecoder({ limits: { maxFrameBytes: 1000 } });
    dec.push(Buffer.concat([small(1), big.subarray(0, 100)]));
    const results = [dec.next(), dec.next()];
    dec.push(Buffer.concat([big.subarray(100), corrupt, small(4)]));
    results.push(dec.next(), dec.next(), dec.next(), dec.next());
    expect(
      results.map((x) => (x ? (x.ok ? `ok:${x.frame.seq}` : `${x.error.reason}:${x.header?.seq}`) : 'none')),
    ).toEqual(['ok:1', 'too-large:2', 'bad-checksum:3', 'ok:4', 'none', 'none']);
    dec.push(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const fatal = dec.next();
    expect(fatal && !fatal.ok && fatal.error.fatal && fatal.error.reason).toBe('bad-magic');
    dec.push(small(5));
    expect(dec.next()).toBeUndefined();
  });
});
