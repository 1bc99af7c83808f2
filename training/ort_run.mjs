// Runs ONNX models through edgesplit's onnxruntime-node backend for the Python recipes' export checks.
// Usage: node training/ort_run.mjs spec.json   (spec written by training/common.py ort_run; needs `npm run build`)
import { readFileSync, writeFileSync } from 'node:fs';
import { onnxruntimeBackend } from '../dist/backend/onnxruntime/onnxruntime-backend.js';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const values = new Map();
for (const [name, { file, dims }] of Object.entries(spec.inputs)) {
  const buf = readFileSync(file);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  values.set(name, { dtype: 'float32', dims, data });
}

function concat(tensors, axis) {
  const dims = [...tensors[0].dims];
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inners = tensors.map((t) => t.dims.slice(axis).reduce((a, b) => a * b, 1));
  dims[axis] = tensors.reduce((s, t) => s + t.dims[axis], 0);
  const total = inners.reduce((a, b) => a + b, 0);
  const data = new Float32Array(outer * total);
  for (let o = 0; o < outer; o++) {
    let off = o * total;
    tensors.forEach((t, i) => {
      data.set(t.data.subarray(o * inners[i], (o + 1) * inners[i]), off);
      off += inners[i];
    });
  }
  return { dtype: 'float32', dims, data };
}

function need(name) {
  const v = values.get(name);
  if (!v) throw new Error(`ort_run: value '${name}' is not defined`);
  return v;
}

for (const step of spec.steps) {
  if (step.concat) {
    values.set(step.out, concat(step.concat.map(need), step.axis ?? 1));
    continue;
  }
  const session = await onnxruntimeBackend.load(step.model);
  const feeds = {};
  for (const [input, value] of Object.entries(step.feeds)) feeds[input] = need(value);
  const out = await session.run(feeds);
  for (const [output, value] of Object.entries(step.outputs)) {
    if (!out[output]) throw new Error(`ort_run: ${step.model} has no output '${output}'`);
    values.set(value, out[output]);
  }
  await session.release();
}
for (const name of spec.save) {
  const t = need(name);
  writeFileSync(`${spec.outDir}/out-${name}.bin`, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileSync(`${spec.outDir}/out-${name}.json`, JSON.stringify({ dims: t.dims }));
}
