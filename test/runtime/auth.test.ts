import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { vggSmall } from '../../src/graph/builder/architectures.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import { datasetSamples, runPlan } from '../../src/runtime/run.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import type { TransportLogEvent } from '../../src/transport/transport.js';
import { writePlanDir } from './plan-fixture.js';
import { maxAbsDiff, referenceOutputs } from './reference.js';
import { spawnNode, type SpawnedNode } from './spawn-node.js';

const quiet = { log: (_e: TransportLogEvent) => undefined };

describe('pre-shared key authentication of nodes', () => {
  const key = randomBytes(32);
  let keyFile = '';
  let node: SpawnedNode;
  beforeAll(async () => {
    const model = vggSmall({ seed: 4 });
    const fx = writePlanDir(model, { cuts: [Math.floor(buildGraph(model).nodes.length / 2)] });
    keyFile = join(fx.dir, 'psk.hex');
    writeFileSync(keyFile, key.toString('hex'));
    node = await spawnNode(['--key', keyFile]);
  });
  afterAll(async () => node?.stop());

  it('refuses a client without a key and a client with a wrong key, accepts the right key', async () => {
    await expect(tcpTransport.connect({ host: '127.0.0.1', port: node.port, ...quiet })).rejects.toThrow(
      /refused the connection: unauthenticated peer/,
    );
    await expect(
      tcpTransport.connect({ host: '127.0.0.1', port: node.port, key: randomBytes(32), ...quiet }),
    ).rejects.toThrow(/proof is wrong|refused/);
    const ok = await tcpTransport.connect({ host: '127.0.0.1', port: node.port, key, ...quiet });
    expect(ok.authenticated).toBe(true);
    await ok.send({ type: 'health', streamId: 0, seq: 0, body: { op: 'health', id: 7 } });
    const reply = await ok.receive();
    expect(reply).toMatchObject({
      type: 'health',
      body: { op: 'health', id: 7, ready: true, loaded: false },
    });
    await ok.close();
    expect(node.stderr.join('\n')).toMatch(/auth-refused|auth-failed/);
  });

  it('a keyed run on local nodes (coordinator and node-to-node links authenticated) matches onnxruntime', async () => {
    const model = vggSmall({ seed: 4 });
    const n = buildGraph(model).nodes.length;
    const fx = writePlanDir(model, { cuts: [Math.floor(n / 3), Math.floor((2 * n) / 3)] });
    const plan = loadRuntimePlan(fx.dir);
    const samples = datasetSamples(plan, 'fashion-mnist-test', 30);
    const { run, report } = await runPlan({ plan, samples, key });
    expect(report.authenticated).toBe(true);
    expect(report.lost).toBe(0);
    expect(maxAbsDiff(run.outputs, await referenceOutputs(model, samples))).toBeLessThanOrEqual(1e-5);
  });
});
