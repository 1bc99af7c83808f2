import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { onnxruntimeBackend } from '../../src/backend/onnxruntime/onnxruntime-backend.js';
import { float32Tensor } from '../../src/core/tensor.js';
import { startServer } from '../../src/serve/server.js';
import { writeTestModels } from './fixtures/models.js';
import { runV2Contract } from './v2.contract.js';

runV2Contract('gRPC (inference.GRPCInferenceService)', (s) => s.grpcUrl!);

describe('a stock @grpc/grpc-js client generated from the published .proto', () => {
  it('calls ModelInfer with raw_input_contents and reads raw_output_contents equal to onnxruntime', async () => {
    const m = writeTestModels();
    const server = await startServer({
      models: [m.dense],
      backend: onnxruntimeBackend,
      port: 0,
      grpcPort: 0,
    });
    const direct = await onnxruntimeBackend.load(m.dense);
    // default proto-loader options (camelCase names, Long ints): independent of the server's own
    const pkg = loadPackageDefinition(
      loadSync(fileURLToPath(new URL('../../proto/grpc_predict_v2.proto', import.meta.url))),
    );
    const Service = (pkg.inference as Record<string, unknown>)
      .GRPCInferenceService as ServiceClientConstructor;
    const stub = new Service(server.grpcUrl!.slice('grpc://'.length), credentials.createInsecure());
    const call = <T>(rpc: string, req: unknown) =>
      new Promise<T>((resolve, reject) =>
        (stub[rpc] as (r: unknown, cb: (e: Error | null, v: T) => void) => void).call(stub, req, (e, v) =>
          e ? reject(e) : resolve(v),
        ),
      );
    try {
      expect(await call<{ live: boolean }>('ServerLive', {})).toEqual({ live: true });
      const x = Float32Array.from([0.5, -1, 2, 0.25, 1, 1, 1, 1]);
      const res = await call<{
        outputs: { name: string; datatype: string; shape: unknown[] }[];
        rawOutputContents: Buffer[];
      }>('ModelInfer', {
        modelName: 'dense',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4] }],
        rawInputContents: [Buffer.from(x.buffer)],
      });
      expect(res.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)])).toEqual([
        ['y', 'FP32', [2, 3]],
      ]);
      const raw = res.rawOutputContents[0];
      const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      const want = (await direct.run({ x: float32Tensor([2, 4], x) })).y.data;
      expect([...got]).toEqual([...want]);
    } finally {
      stub.close();
      await direct.release();
      await server.close();
      rmSync(m.dir, { recursive: true, force: true });
    }
  });
});
