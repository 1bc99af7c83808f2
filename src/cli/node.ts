import type { Command } from 'commander';
import { onnxruntimeBackend } from '../backend/onnxruntime/onnxruntime-backend.js';
import { errorMessage } from '../core/errors.js';
import { parseAddress } from '../runtime/address.js';
import { nodeEmulation, parseEmulationMode } from '../runtime/device-emulation.js';
import { startStageNode } from '../runtime/node.js';
import { loadKeyFile } from '../transport/auth/key-file.js';
import { tcpTransport } from '../transport/tcp/tcp-transport.js';
import { printJson } from './output.js';

interface NodeCliOptions {
  listen: string;
  key?: string;
  link?: string;
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
    .option('--key <file>', 'pre-shared key file (hex or raw, >= 16 bytes): every peer must prove it')
    .option('--link <id>', 'emulate this catalog link on every connection (none: real socket)', 'none')
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
      const { host, port } = parseAddress(opts.listen, '--listen');
      const key = opts.key ? loadKeyFile(opts.key) : undefined;
      const emulation = nodeEmulation({
        mode: parseEmulationMode(opts.emulate),
        link: opts.link,
        timeScale: Number(opts.timeScale),
      });
      const wrap = emulation.linkWrap;
      const handle = await startStageNode({
        transport: tcpTransport,
        backend: onnxruntimeBackend,
        host,
        port,
        connection: { ...(key ? { key } : {}) },
        ...(wrap ? { linkWrap: wrap } : {}),
        pacer: emulation.pacer,
        onShutdown: () => process.exit(0),
      });
      if (opts.json)
        printJson({
          ready: handle.address,
          pid: process.pid,
          authenticated: !!key,
          link: opts.link ?? 'none',
        });
      else process.stdout.write(`ready ${handle.address}\n`);
      const peers =
        handle.peerAddress !== handle.address
          ? `, stage-to-stage traffic on ${handle.peerAddress} over emulated ${opts.link}`
          : '';
      process.stderr.write(
        `edgesplit node: listening on ${handle.address}${peers}${key ? ' (pre-shared key required)' : ''}, pid ${process.pid}; ${emulation.description}\n`,
      );
      const stop = (why: string) => {
        process.stderr.write(`edgesplit node: ${why}; stopping\n`);
        handle.close().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`edgesplit node: ${errorMessage(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      if (opts.exitOnStdinClose) {
        process.stdin.on('end', () => stop('stdin closed'));
        process.stdin.on('error', () => stop('stdin error'));
        process.stdin.resume();
      }
      await new Promise<never>(() => undefined);
    });
}
