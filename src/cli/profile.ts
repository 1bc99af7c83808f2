import type { Command } from 'commander';
import { describeUnknownOps, profileModelFile } from '../profile/index.js';
import { inputShapeOption, parseBits, parseInputShapes } from './options.js';
import { fmtBytes, fmtInt, formatTable, printJson } from './output.js';

interface ProfileCliOptions {
  bits: string;
  weightBits: string;
  cuts?: boolean;
  json?: boolean;
  inputShape?: string[];
}

/** `edgesplit profile`: per-layer MACs, params and data volume of an ONNX model. */
export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description(
      'per-layer MACs, params and data volume (DV) of an ONNX model, and the tensors live at every cut',
    )
    .argument('<model>', 'ONNX model file')
    .option('--bits <n>', 'activation (feature map) bit width for DV bytes', '32')
    .option('--weight-bits <n>', 'weight bit width for weight bytes', '32')
    .option('--cuts', 'also list every cut with its live tensors')
    .option('--json', 'print one JSON object')
    .addOption(inputShapeOption())
    .action(async (model: string, opts: ProfileCliOptions) => {
      const activationBits = parseBits('--bits', opts.bits);
      const weightBits = parseBits('--weight-bits', opts.weightBits);
      const inputShapes = parseInputShapes(opts.inputShape ?? []);
      const { graph, profile } = await profileModelFile(model, { activationBits, weightBits, inputShapes });
      const unknown = new Set(profile.unknownOps.flatMap((u) => u.nodes));
      if (opts.json) {
        printJson({
          model,
          activationBits,
          weightBits,
          inputs: graph.inputs.map((i) => ({ name: i, shape: graph.values.get(i)?.shape })),
          outputs: graph.outputs.map((o) => ({ name: o, shape: graph.values.get(o)?.shape })),
          totals: profile.totals,
          unknownOps: profile.unknownOps,
          layers: profile.nodes.map((n) => ({
            ...n,
            costKnown: !unknown.has(n.name),
            cumulativeMacs: profile.cuts[n.index + 1].cumulativeMacs,
          })),
          cuts: profile.cuts.map((c) => ({
            index: c.index,
            after: c.after,
            bytes: c.bytes,
            tensors: c.live.map((t) => t.name),
            cumulativeMacs: c.cumulativeMacs,
          })),
        });
        return;
      }
      const rows = profile.nodes.map((n) => [
        String(n.index),
        n.name,
        n.op,
        `[${n.outputShape.join('x')}]`,
        unknown.has(n.name) ? '?' : fmtInt(n.macs),
        fmtInt(n.params),
        fmtInt(n.outputBytes),
        fmtInt(profile.cuts[n.index + 1].cumulativeMacs),
      ]);
      process.stdout.write(`${model}: ${graph.nodes.length} nodes, opset ${graph.opset}\n`);
      process.stdout.write(
        `${formatTable(['#', 'name', 'op', 'output', 'MACs', 'params', `DV bytes@${activationBits}b`, 'cum. MACs'], rows)}\n`,
      );
      if (opts.cuts) {
        const cutRows = profile.cuts.map((c) => [
          String(c.index),
          c.after || '(input)',
          String(c.live.length),
          fmtInt(c.bytes),
          c.live.map((t) => t.name).join(' '),
        ]);
        process.stdout.write(
          `\n${formatTable(['cut', 'after', 'tensors', 'bytes', 'live tensors'], cutRows)}\n`,
        );
      }
      const t = profile.totals;
      process.stdout.write(
        `\ntotal: ${fmtInt(t.macs)} MACs, ${fmtInt(t.ops)} other ops, ${fmtInt(t.params)} params, ` +
          `weights ${fmtBytes(t.weightBytes)} at ${weightBits} bits\n`,
      );
      if (unknown.size)
        process.stdout.write(
          `cost unknown: ${unknown.size} node(s) (${describeUnknownOps(profile.unknownOps)}) counted as 0 MACs and 0 ops, ` +
            `so the totals are lower bounds (marked ? above)\n`,
        );
    });
}
