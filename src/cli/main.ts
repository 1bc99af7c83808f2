import { Command, CommanderError } from 'commander';
import { EdgesplitError, errorMessage } from '../core/errors.js';
import { registerCommands } from './commands.js';

/** Runs the CLI with the given argv (as in `process.argv`); sets the exit code and never throws. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('edgesplit')
    .description('Split, pipeline, branch or offload neural-network inference across devices.')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
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
