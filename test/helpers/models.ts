import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';

/** Writes a model into a fresh temp dir and returns its path. */
export function writeTempModel(model: ModelProto, file = 'model.onnx'): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-test-'));
  const path = join(dir, file);
  writeFileSync(path, encodeModel(model));
  return path;
}

/** Deterministic pseudo-random floats in [0, 1) for test inputs. */
export function seededInput(n: number, seed = 7): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}
