/**
 * Health-probe latency of `edgesplit serve` while it processes large or hostile JSON bodies, one run.
 * The server runs as its own process (`node bin/edgesplit.js serve models/local.onnx`) and the bodies
 * are sent from a worker thread of this process, so the probes measure the server's event loop, not
 * this one. Phases, each with sequential GET /v2/health/ready probes (5 ms apart): idle; eight 16 MB
 * bodies nested 8M deep sent at once; valid 512-image JSON infer requests (~2.4 MB, parsed in a
 * worker) sent 8 at a time for 3 s; the same with `--parse-workers 0` (parsed on the event loop).
 * Prints p50 / p95 / max probe latency per phase and the no-workers / workers ratio.
 * Run: npm run build && npx tsx bench/serve-stall.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';

const MB16 = 16 * 1024 * 1024;

/** Sender code run in a worker thread: `post` plus one phase body that returns a number. */
const POST = `
  const { workerData, parentPort } = require('node:worker_threads');
  const { request } = require('node:http');
  const url = new URL(workerData.url);
  const post = (body) => new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/v2/models/local/infer',
      headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });`;
const DEEP = `
  const deep = Buffer.concat([Buffer.alloc(${MB16 / 2}, '['), Buffer.alloc(${MB16 / 2}, ']')]);
  const s = await Promise.all(Array.from({ length: 8 }, () => post(deep)));
  return s.filter((x) => x === 400).length;`;
const VALID = `
  const data = Array.from({ length: 512 * 784 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const valid = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [512, 1, 28, 28], datatype: 'FP32', data }] }));
  for (let i = 0; i < 3; i++) await post(valid);
  let sent = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    await Promise.all(Array.from({ length: 8 }, () => post(valid)));
    sent += 8;
  }
  return sent;`;

function startServe(extra: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const args = [
    'bin/edgesplit.js',
    'serve',
    'models/local.onnx',
    '--port',
    '0',
    '--quiet',
    '--json',
    '--max-batch',
    '512',
  ];
  const proc = spawn(process.execPath, [...args, ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const end = out.indexOf('\n}');
      if (end >= 0) resolve({ proc, url: (JSON.parse(out.slice(0, end + 2)) as { url: string }).url });
    });
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

function send(url: string, phase: string): Promise<number> {
  const w = new Worker(`${POST}\n(async () => { ${phase} })().then((v) => parentPort.postMessage(v));`, {
    eval: true,
    workerData: { url },
  });
  return new Promise((resolve, reject) => {
    w.once('message', (v: number) => void w.terminate().then(() => resolve(v)));
    w.once('error', reject);
  });
}

async function probe(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v2/health/ready`);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`probe answered ${res.status}`);
  return performance.now() - t0;
}

async function probesDuring(
  url: string,
  phase?: string,
): Promise<{ ms: number[]; wallMs: number; result: number }> {
  const ms: number[] = [];
  const t0 = performance.now();
  let busy = true;
  let result = 0;
  const job = phase
    ? send(url, phase).then((v) => {
        result = v;
        busy = false;
      })
    : Promise.resolve();
  while (phase ? busy : ms.length < 200) {
    ms.push(await probe(url));
    await new Promise((r) => setTimeout(r, 5));
  }
  await job;
  return { ms, wallMs: performance.now() - t0, result };
}

function stats(ms: number[]): { n: number; p50: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const rows: [string, ReturnType<typeof stats>, string][] = [];
  for (const workers of [undefined, '0']) {
    const { proc, url } = await startServe(workers === undefined ? [] : ['--parse-workers', workers]);
    const tag = workers === undefined ? 'workers' : 'no workers';
    try {
      if (workers === undefined) {
        rows.push(['idle', stats((await probesDuring(url)).ms), '']);
        const h = await probesDuring(url, DEEP);
        rows.push([
          '8 x 16 MB nested 8M deep',
          stats(h.ms),
          `${h.result}/8 answered 400 within ${h.wallMs.toFixed(0)} ms`,
        ]);
      }
      const v = await probesDuring(url, VALID);
      rows.push([
        `valid 512-image JSON (${tag})`,
        stats(v.ms),
        `${v.result} requests of ~2.4 MB in ${v.wallMs.toFixed(0)} ms`,
      ]);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  }
  for (const [name, s, note] of rows)
    process.stdout.write(
      `${name.padEnd(32)} probes ${String(s.n).padStart(4)}  p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  max ${s.max.toFixed(2)} ms  ${note}\n`,
    );
  const w = rows.find((r) => r[0].endsWith('(workers)'))![1];
  const nw = rows.find((r) => r[0].endsWith('(no workers)'))![1];
  process.stdout.write(
    `probe latency with large valid JSON, no workers / workers: p50 ${(nw.p50 / w.p50).toFixed(2)}x, p95 ${(nw.p95 / w.p95).toFixed(2)}x\n`,
  );
}

await main();
