import { relative } from 'node:path';
import type { Command } from 'commander';
import { loadDeviceCatalog } from '../catalog/catalog.js';
import { UsageError } from '../core/errors.js';
import { exportTriton } from '../export/triton-repo.js';
import { parseChoice, parsePositiveInt } from './options.js';
import { formatTable, printJson } from './output.js';

interface ExportTritonCliOptions {
  out: string;
  name?: string;
  stages?: string;
  maxBatch: string;
  maxDelayUs: string;
  instances: string;
  instanceKind: string;
  storageUri?: string;
  manifest?: string;
  deviceCatalog?: string[];
  json?: boolean;
}

/** `edgesplit export triton`: a Triton model repository (+ KServe manifest) for a model or a plan's hub stages. */
export function registerExportCommand(program: Command): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const exp = program.command('export').description('export models to serving engines (Triton, KServe)');
  exp
    .command('triton')
    .description(
      "write a Triton model repository for an ONNX model or a plan directory's hub-side stages (+ an ensemble chaining them), and a KServe InferenceService manifest",
    )
    .argument('<model.onnx|plan-dir>', 'ONNX model file or plan directory')
    .requiredOption('--out <repo>', 'model repository directory to write')
    .option('--name <name>', 'model (or ensemble) name; default from the file or directory name')
    .option('--stages <ids>', 'plan stages to export, comma-separated (default: those on hub devices)')
    .option('--max-batch <n>', 'max_batch_size for models with a symbolic batch dim', '64')
    .option('--max-delay-us <n>', 'dynamic batcher max_queue_delay_microseconds', '2000')
    .option('--instances <n>', 'instances per model (instance_group count)', '1')
    .option('--instance-kind <kind>', 'instance_group kind: cpu|gpu', 'cpu')
    .option('--storage-uri <uri>', 'storageUri of the KServe manifest (where you upload the repository)')
    .option('--manifest <file>', 'KServe manifest path (default <repo>.inferenceservice.yaml)')
    .option(
      '--device-catalog <file>',
      'extra device catalog JSON for plan stage devices (repeatable)',
      collect,
    )
    .option('--json', 'print one JSON object')
    .action(async (source: string, opts: ExportTritonCliOptions) => {
      const stages = opts.stages?.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0)
          throw new UsageError(`--stages must list stage ids, got '${opts.stages}'`);
        return n;
      });
      const r = await exportTriton(source, {
        out: opts.out,
        name: opts.name,
        stages,
        maxBatchSize: parsePositiveInt('--max-batch', opts.maxBatch),
        maxQueueDelayUs: parsePositiveInt('--max-delay-us', opts.maxDelayUs),
        instances: parsePositiveInt('--instances', opts.instances),
        instanceKind: parseChoice('--instance-kind', opts.instanceKind, ['cpu', 'gpu'] as const),
        storageUri: opts.storageUri,
        manifestPath: opts.manifest,
        deviceCatalog: loadDeviceCatalog(opts.deviceCatalog ?? []),
      });
      if (opts.json) {
        printJson(r);
        return;
      }
      const rows = r.models.map((m) => [
        m.name,
        m.kind,
        m.stage === undefined ? '-' : String(m.stage),
        relative(process.cwd(), m.configPath),
      ]);
      process.stdout.write(`${formatTable(['model', 'kind', 'stage', 'config'], rows)}\n\n`);
      const manifest = relative(process.cwd(), r.manifestPath);
      process.stdout.write(
        `wrote ${relative(process.cwd(), r.repository) || '.'} (serve it with: tritonserver --model-repository=${r.repository})\n`,
      );
      process.stdout.write(
        `wrote ${manifest} (kubectl apply -f ${manifest}; clients call model '${r.entry}')\n`,
      );
    });
}
