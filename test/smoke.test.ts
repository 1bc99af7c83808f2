import { describe, expect, it } from 'vitest';
import { shapeSize, float32Tensor } from '../src/core/tensor.js';

describe('tensor', () => {
  it('checks data length against dims', () => {
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(() => float32Tensor([2, 2], new Float32Array(3))).toThrow(/3 elements/);
  });
});
