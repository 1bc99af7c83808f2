import { Command, CommanderError } from 'commander';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { registerCommands } from './commands.js';

/** Commander's own usage errors in the shape of every other edgesplit error: one line, the code. */
function usageLine(str: string, write: (s: string) => void): void {
  write(`edgesplit: E_USAGE: ${str.replace(/^error: /, '').trim()}\n`);
}

/** Every command, nested ones included, answers a usage error with one line and a pointer to its help. */
function pointToHelp(cmd: Command, path: string): void {
  cmd.showHelpAfterError(`(see '${path} --help')`);
  for (const sub of cmd.commands) pointToHelp(sub, `${path} ${sub.name()}`);
}

/** Runs the CLI with the given argv (as in `process.argv`); sets the exit code and never throws. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('edgesplit')
    .description('Split, pipeline, branch or offload neural-network inference across devices.')
    .configureOutput({ outputError: usageLine })
    .exitOverride();
  registerCommands(program);
  pointToHelp(program, 'edgesplit');
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help, version or a usage error)
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const prefix = err instanceof EdgesplitError ? `edgesplit: ${err.code}` : 'edgesplit: error';
    process.stderr.write(`${prefix}: ${errorMessage(err)}\n`);
    if (process.env.EDGESPLIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof EdgesplitError && err.code === 'E_USAGE' ? 2 : 1;
  }
}
