/**
 * Issue 10 rows 7 and 10 with real node processes: a raw client cannot shut a keyless node down or
 * make it read (or probe) files outside its --model-dir; 1,600 refused connections cost a bounded
 * number of log lines; a keyless node refuses a non-loopback listen address unless --insecure.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { encodeFrame, type JsonValue } from '../../src/transport/codec/frame.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { Connection, TransportLogEvent } from '../../src/transport/transport.js';
import { writePlanDir } from './plan-fixture.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

const quiet = { log: (_e: TransportLogEvent) => undefined };
const nodes: SpawnedNode[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((x) => x.stop()));
});
async function start(args: string[]): Promise<SpawnedNode> {
  const n = await spawnNode(args);
  nodes.push(n);
  return n;
}

let nextId = 1;
async function request(conn: Connection, body: Record<string, JsonValue>): Promise<Record<string, unknown>> {
  const id = nextId++;
  await conn.send({ type: 'control', streamId: 0, seq: 0, body: { ...body, id } });
  for (let f = await conn.receive(); f; f = await conn.receive())
    if (f.type !== 'tensor' && (f.body as { id?: unknown }).id === id)
      return f.body as Record<string, unknown>;
  throw new Error('connection closed before the reply');
}

describe('a raw client against real node processes', () => {
  const model = vggSmall({ seed: 5 });
  const fx = writePlanDir(model, { cuts: [Math.floor(buildGraph(model).nodes.length / 2)] });
  const plan = loadRuntimePlan(fx.dir);
  const st = plan.stages[0];
  const sha = createHash('sha256').update(readFileSync(st.modelPath)).digest('hex');
  const secret = join(mkdtempSync(join(tmpdir(), 'edgesplit-secret-')), 'secret.txt');
  writeFileSync(secret, 'top secret\n');
  mkdirSync(join(fx.dir, 'subdir'));
  symlinkSync(secret, join(fx.dir, 'link-out.onnx'));
  const assign = (path: string, hash = sha): Record<string, JsonValue> => ({
    op: 'assign',
    runId: 'hostile',
    epoch: 1,
    stageId: st.id,
    stageIndex: 0,
    expects: st.inputs.map((t) => t.name),
    modelInputs: st.inputs.map((t) => t.name),
    sends: st.outputs.map((t) => ({ name: t.name, wire: 'fp32' })),
    downstream: ['coordinator'],
    policy: 'round-robin',
    timelineBatch: 8,
    modelFile: { path, sha256: hash },
  });

  it('cannot shut down a keyless node, nor make it touch any file', async () => {
    const node = await start(['--model-dir', fx.dir]);
    const conn = await tcpTransport.connect({ host: '127.0.0.1', port: node.port, ...quiet });
    const shut = await request(conn, { op: 'shutdown' });
    expect(shut).toMatchObject({ ok: false, error: expect.stringMatching(/control operations need/) });
    const a = await request(conn, assign(st.modelPath));
    expect(a).toMatchObject({ ok: false, error: expect.stringMatching(/control operations need/) });
    const health = await request(conn, { op: 'health' });
    expect(health).toMatchObject({ ready: true, loaded: false });
    await conn.close();
    expect(node.child.exitCode).toBeNull();
  });

  it('with --insecure, files outside --model-dir get one reply that tells nothing apart', async () => {
    const node = await start(['--insecure', '--model-dir', fx.dir]);
    const conn = await tcpTransport.connect({ host: '127.0.0.1', port: node.port, ...quiet });
    const probes = [
      '/etc/shadow',
      '/etc/passwd',
      '/etc/no-such-file',
      '/etc',
      secret,
      join(fx.dir, 'link-out.onnx'),
      '../../../../etc/shadow',
      join(fx.dir, 'subdir'),
      join(fx.dir, 'missing.onnx'),
    ];
    const errors = new Set<unknown>();
    for (const p of probes) {
      const r = await request(conn, assign(p));
      expect(r.ok).toBe(false);
      errors.add(r.error);
    }
    const wrongHash = await request(conn, assign(st.modelPath, '0'.repeat(64)));
    errors.add(wrongHash.error);
    expect([...errors]).toEqual([
      `stage ${st.id}: model file refused: it must be a readable file inside this node's --model-dir with the coordinator's SHA-256`,
    ]);
    // the one legitimate request still works, so the refusals above are not a blanket failure
    expect(await request(conn, assign(st.modelPath))).toMatchObject({ ok: true });
    expect(await request(conn, assign('stage-0.onnx'))).toMatchObject({ ok: true });
    await conn.close();
    expect(node.stderr.join('\n')).toMatch(/model-file-refused .*outside/);
  });

  it('1,600 refused connections produce a bounded number of log lines, and a count', async () => {
    const node = await start([]);
    const refusedBy = async (bytes: Buffer | undefined) =>
      new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: node.port }, () => {
          if (bytes) s.write(bytes);
        });
        s.on('error', () => undefined);
        s.on('close', () => resolve());
        s.resume();
        s.setTimeout(15_000, () => s.destroy());
      });
    const garbage = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const badHello = encodeFrame({ type: 'hello', streamId: 0, seq: 0, body: { version: 9 } });
    const keyedHello = encodeFrame({
      type: 'hello',
      streamId: 0,
      seq: 0,
      body: { version: 1, window: { frames: 1, bytes: 1 }, nonce: 'ab' },
    });
    const kinds = [garbage, badHello, keyedHello];
    // 400 of each kind, 200 at a time; the slowloris ones all wait out the handshake timeout together
    const slow = Promise.all(Array.from({ length: 400 }, () => refusedBy(undefined)));
    for (let batch = 0; batch < 6; batch++)
      await Promise.all(Array.from({ length: 200 }, (_, i) => refusedBy(kinds[(batch * 200 + i) % 3])));
    await slow;
    expect(node.child.exitCode).toBeNull();
    const conn = await tcpTransport.connect({ host: '127.0.0.1', port: node.port, ...quiet });
    expect(await request(conn, { op: 'health' })).toMatchObject({ ready: true });
    await conn.close();
    await node.stop();
    const lines = node.stderr;
    const summary = lines.filter((l) => /log-suppressed/.test(l));
    const shown = lines.filter((l) => /^edgesplit transport (warn|error)/.test(l)).length - summary.length;
    const held = summary.reduce((s, l) => s + Number(/(\d+) more refusal lines/.exec(l)?.[1] ?? 0), 0);
    process.stderr.write(
      `refusal log: 1600 refused connections -> ${lines.length} stderr lines (${shown} refusals shown, ${summary.length} count line(s) holding ${held})\n`,
    );
    process.stderr.write(`${summary.join('\n')}\n`);
    if (lines.length > 40) process.stderr.write(lines.join('\n') + '\n');
    // 20 lines per minute and one count line; a very slow machine may take more than one minute
    expect(summary.length).toBeGreaterThanOrEqual(1);
    expect(shown).toBeLessThanOrEqual(20 * (summary.length + 1));
    expect(lines.length).toBeLessThanOrEqual(shown + summary.length + 4);
    expect(lines.length).toBeLessThan(100);
    expect(shown + held).toBeGreaterThanOrEqual(1600);
  }, 180_000);

  it('a keyless node refuses a non-loopback listen address unless --insecure', async () => {
    await expect(spawnNode(['--listen', '0.0.0.0:0'])).rejects.toThrow(
      /exited with 2; stderr: edgesplit: E_USAGE: --listen 0\.0\.0\.0:0: a node without --key listens on loopback only[^|]*$/,
    );
    const open = await start(['--listen', '0.0.0.0:0', '--insecure']);
    expect(open.address).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(open.stderr.join('\n')).toMatch(/warning: --insecure without a key: anyone who can reach/);
  });
});
