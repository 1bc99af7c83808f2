/**
 * Throughput of `edgesplit serve` with dynamic batching vs without, same model, same load, one run.
 * Load: 1,500 single-image requests, 64 in flight at a time, binary tensors, over loopback HTTP.
 * Prints requests/s for both and the ratio batched / unbatched.
 * Run: npx tsx bench/serve.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxruntimeBackend } from '../src/backend/onnxruntime/onnxruntime-backend.js';
import { float32Tensor } from '../src/core/tensor.js';
import { vggSmall } from '../src/graph/builder/architectures.js';
import { encodeModel } from '../src/onnx/io.js';
import { V2Client } from '../src/serve/client.js';
import { startServer } from '../src/serve/server.js';

const REQUESTS = 1500;
const IN_FLIGHT = 64;

async function load(url: string): Promise<number> {
  const client = new V2Client(url);
  const x = float32Tensor(
    [1, 1, 28, 28],
    Float32Array.from({ length: 784 }, (_, i) => (i % 17) / 17),
  );
  for (let i = 0; i < 20; i++) await client.infer('vgg', { input: x });
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < REQUESTS) {
      next++;
      await client.infer('vgg', { input: x });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return REQUESTS / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edgesplit-bench-serve-'));
  const path = join(dir, 'vgg.onnx');
  writeFileSync(path, encodeModel(vggSmall({ seed: 1 })));
  try {
    const results: Record<string, { rps: number; runs: number; maxBatch: number }> = {};
    for (const [name, maxBatch] of [
      ['unbatched', 1],
      ['batched', 64],
    ] as const) {
      const server = await startServer({
        models: [path],
        backend: onnxruntimeBackend,
        port: 0,
        maxDelayMs: 2,
        limits: { maxBatch },
      });
      const rps = await load(server.url);
      const st = server.models.get('vgg')!.stats;
      results[name] = { rps, runs: st.runs, maxBatch: st.maxRunBatch };
      await server.close();
    }
    const ratio = results.batched.rps / results.unbatched.rps;
    for (const [k, v] of Object.entries(results)) {
      process.stdout.write(
        `${k.padEnd(10)} ${v.rps.toFixed(0).padStart(6)} requests/s  (${v.runs} onnxruntime runs, largest batch ${v.maxBatch})\n`,
      );
    }
    process.stdout.write(
      `batched / unbatched throughput: ${ratio.toFixed(2)}x (${REQUESTS} requests, ${IN_FLIGHT} in flight, vgg-small 28x28)\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
