import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { float32Tensor } from '../../src/core/tensor.js';
import { JsonlResults } from '../../src/runtime/result-sink.js';

describe('JsonlResults (run --out)', () => {
  it('writes into a directory it creates, and names the file when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesplit-results-'));
    const file = join(dir, 'new', 'results.jsonl');
    const r = new JsonlResults(file);
    r.add(3, { y: float32Tensor([1, 2], new Float32Array([0.5, 1.5])) });
    r.close();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      seq: 3,
      outputs: { y: { dtype: 'float32', dims: [1, 2], data: [0.5, 1.5] } },
    });
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'x');
    expect(() => new JsonlResults(join(plain, 'r.jsonl'))).toThrow(
      /cannot write results file .*plain\/r\.jsonl/,
    );
  });
});
