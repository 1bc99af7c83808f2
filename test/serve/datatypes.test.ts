import { describe, expect, it } from 'vitest';
import { DTYPES } from '../../src/core/vocabulary.js';
import { tritonDataType } from '../../src/export/triton.js';
import { ONNX_DTYPE } from '../../src/onnx/proto.js';
import { DTYPE_TO_V2, V2_DATATYPES, V2_OF_ONNX, V2_TO_DTYPE, V2_TYPES } from '../../src/serve/datatypes.js';

describe('the v2 / ONNX / Triton type table', () => {
  it('names ONNX dtypes that exist, each once', () => {
    const onnx = new Set(Object.values(ONNX_DTYPE));
    const named = V2_DATATYPES.map((v) => V2_TYPES[v].onnx);
    for (const n of named) expect(onnx.has(n), n).toBe(true);
    expect(new Set(named).size).toBe(named.length);
  });

  it('round-trips every edgesplit dtype through its v2 datatype', () => {
    for (const d of DTYPES) expect(V2_TO_DTYPE[DTYPE_TO_V2[d]]).toBe(d);
    expect(Object.keys(V2_TO_DTYPE).length).toBe(DTYPES.length);
  });

  it('gives the server and the exporter the same Triton type for an ONNX dtype', () => {
    for (const name of Object.values(ONNX_DTYPE)) {
      const v2 = V2_OF_ONNX[name];
      if (v2) expect(tritonDataType(name, 'test')).toBe(V2_TYPES[v2].triton);
    }
    expect(tritonDataType('bfloat16', 'test')).toBe('TYPE_BF16');
    expect(() => tritonDataType('complex64', 'model m')).toThrow(
      /model m: dtype complex64 has no Triton data type/,
    );
  });
});
