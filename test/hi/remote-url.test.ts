/**
 * `hi` accounting with a remote given as a file, an http:// URL and a grpc:// URL: the same modelled
 * numbers and the same strategy table (every strategy kept), server time modelled on the hub device.
 */
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { getDevice, getLink } from '../../src/catalog/index.js';
import { loadDataset, type Dataset } from '../../src/data/datasets.js';
import { profileModelFile } from '../../src/profile/index.js';
import { runHiSystem, type HiSystemOptions, type HiSystemReport } from '../../src/serve/hi/system.js';
import { startServer, type V2Server } from '../../src/serve/server.js';
import { deviceInferenceCost, offloadCost } from '../../src/strategy/hi/costs.js';
import { writeHiModels } from './fixtures/hi-models.js';

let models: ReturnType<typeof writeHiModels>;
let server: V2Server;
let calib: Dataset;
let test: Dataset;
const reports: Record<'file' | 'http' | 'grpc', HiSystemReport> = {} as never;
let base: Omit<HiSystemOptions, 'remote'>;

beforeAll(async () => {
  calib = loadDataset('fashion-mnist-calib', { limit: 400 });
  test = loadDataset('fashion-mnist-test', { limit: 200 });
  models = writeHiModels(calib);
  server = await startServer({ models: [models.remote], backend: onnxruntimeBackend, port: 0, grpcPort: 0 });
  base = {
    local: models.local,
    decision: 'lr',
    device: getDevice('rpi4b'),
    hub: getDevice('t4'),
    link: getLink('wifi'),
    qosAccuracy: 0.6,
    test,
    calib,
    latencySamples: 6,
    tableDevices: [getDevice('rpi4b'), getDevice('jetson-orin-nano-15w')],
    backend: onnxruntimeBackend,
  };
  reports.file = await runHiSystem({ ...base, remote: models.remote });
  reports.http = await runHiSystem({ ...base, remote: `${server.url}/v2/models/remote` });
  // gRPC offloads through the emulated Wi-Fi link proxy (sped up 10x)
  reports.grpc = await runHiSystem({
    ...base,
    remote: `${server.grpcUrl}/remote`,
    offloadLink: getLink('wifi'),
    linkTimeScale: 0.1,
  });
});
afterAll(async () => {
  await server.close();
  rmSync(models.dir, { recursive: true, force: true });
});

describe('hi accounting whatever the remote is', () => {
  it('models the server time on the hub from the remote MACs, never from this host', async () => {
    const macs = (await profileModelFile(models.remote)).profile.totals.macs;
    const hub = deviceInferenceCost(getDevice('t4'), undefined, { macs });
    const want = offloadCost(getLink('wifi'), {
      requestBytes: 28 * 28 * 4,
      replyBytes: 40,
      serverMs: hub.latencyMs,
    });
    for (const r of Object.values(reports)) {
      expect(r.remoteWork.macs).toBe(macs);
      expect(r.costs.server.latencyMs).toBe(hub.latencyMs);
      expect(r.costs.server.hub).toBe('t4');
      expect(r.costs.offload.latencyMs).toBe(want.latencyMs);
      expect(r.costs.offload.energyMJ).toBe(want.energyMJ);
    }
    expect(reports.file.remoteWork.source).toBe(`from ${models.remote} (profiled)`);
    expect(reports.http.remoteWork.source).toMatch(/model config/);
  });

  it('keeps every strategy in the table for a file, an http:// and a grpc:// remote, with equal numbers', () => {
    for (const r of Object.values(reports)) {
      for (const row of r.strategyTable!)
        expect(row.candidates.map((c) => c.name)).toEqual([
          'on-device-small',
          'on-device-large',
          'remote',
          'hi',
        ]);
      expect(Object.keys(r.tableInputs!)).toEqual(['on-device-small', 'on-device-large', 'remote', 'hi']);
    }
    expect(reports.http.strategyTable).toEqual(reports.file.strategyTable);
    expect(reports.grpc.strategyTable).toEqual(reports.file.strategyTable);
    expect(reports.grpc.strategies.map((s) => [s.name, s.accuracy, s.modelLatencyMs, s.energyMJ])).toEqual(
      reports.file.strategies.map((s) => [s.name, s.accuracy, s.modelLatencyMs, s.energyMJ]),
    );
  });

  it('runs hi against grpc://host:port/model, offloads through the emulated link', () => {
    const r = reports.grpc;
    expect(r.remote).toMatchObject({ url: server.grpcUrl, model: 'remote', inProcess: false });
    expect(r.linkNote).toMatch(/over gRPC through the emulated wifi link/);
    expect(r.remoteAgreement).toBe(r.latencySamples);
    expect(r.linkTraffic!.bytesUpPerOffload).toBeGreaterThan(28 * 28 * 4);
  });

  it('for a server without model config: refuses naming --remote-onnx, and profiles --remote-onnx when given', async () => {
    // a v2 server without Triton's model-configuration extension: edgesplit's, with /config cut off
    const foreign = createServer((req, res) => {
      if (req.url?.endsWith('/config')) {
        res.writeHead(404).end('{"error":"no config"}');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const r = await fetch(`${server.url}${req.url}`, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(r.status, Object.fromEntries(r.headers)).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/v2/models/remote`;
    const opts: HiSystemOptions = { ...base, remote: url, tableDevices: undefined };
    try {
      await expect(runHiSystem(opts)).rejects.toThrow(/MACs are unknown.*--remote-onnx/);
      const r = await runHiSystem({ ...opts, remoteOnnx: models.remote });
      expect(r.remoteWork).toEqual({
        ...reports.file.remoteWork,
        source: `from --remote-onnx ${models.remote} (profiled)`,
      });
      expect(r.costs.offload).toEqual(reports.file.costs.offload);
    } finally {
      foreign.closeAllConnections();
      await new Promise((r) => foreign.close(r));
    }
  });
});
