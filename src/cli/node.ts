import type { Command } from 'commander';
import { parseEmulationMode } from '../runtime/device-emulation.js';
import { parseTimeScale } from '../runtime/pacing.js';
import { runNodeProcess } from '../runtime/node-process.js';
import { collect } from './options.js';

interface NodeCliOptions {
  listen: string;
  key?: string;
  keyEnv?: string;
  modelDir?: string;
  insecure?: boolean;
  link?: string;
  linkCatalog?: string[];
  emulate: string;
  timeScale: string;
  exitOnStdinClose?: boolean;
  json?: boolean;
}

/** `edgesplit node`: a long-running stage node that the coordinator of `edgesplit run` assigns a stage to. */
export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description(
      'run a pipeline stage node: accepts a stage assignment from `edgesplit run`, runs it with onnxruntime and forwards outputs to the next stage',
    )
    .requiredOption('--listen <host:port>', 'address to listen on (port 0 picks a free one)')
    .option(
      '--key <file>',
      'pre-shared key file (hex or raw, >= 16 bytes): every peer must prove it; all traffic is encrypted',
    )
    .option('--key-env <name>', 'read the pre-shared key (hex) from this environment variable instead')
    .option(
      '--model-dir <dir>',
      'the only directory an assign may name a model file in (default: model bytes come over the connection)',
    )
    .option(
      '--insecure',
      'without a key: allow a non-loopback --listen and accept control from unauthenticated peers',
    )
    .option('--link <id>', 'emulate this catalog link on every connection (none: real socket)', 'none')
    .option('--link-catalog <file>', 'extra link catalog JSON for --link (repeatable)', collect)
    .option(
      '--emulate <mode>',
      'devices: pace compute to the plan device and share one radio among all links; links: each connection its own link; none: raw',
      'links',
    )
    .option('--time-scale <k>', 'run deployment time k times faster (compute pacing and links alike)', '1')
    .option(
      '--exit-on-stdin-close',
      'exit when stdin closes (used by `edgesplit run` so nodes never outlive it)',
    )
    .option('--json', 'print the ready line as JSON')
    .action(async (opts: NodeCliOptions) => {
      await runNodeProcess({
        listen: opts.listen,
        ...(opts.key ? { keyFile: opts.key } : {}),
        ...(opts.keyEnv ? { keyEnv: opts.keyEnv } : {}),
        ...(opts.modelDir ? { modelDir: opts.modelDir } : {}),
        ...(opts.insecure ? { insecure: true } : {}),
        ...(opts.link ? { link: opts.link } : {}),
        ...(opts.linkCatalog ? { linkCatalogFiles: opts.linkCatalog } : {}),
        emulate: parseEmulationMode(opts.emulate),
        timeScale: parseTimeScale(opts.timeScale),
        ...(opts.exitOnStdinClose ? { exitOnStdinClose: true } : {}),
        ...(opts.json ? { json: true } : {}),
      });
    });
}
