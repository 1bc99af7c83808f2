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
    // a file system error that no command wrapped still gets a code: its message names the path
    const prefix =
      err instanceof EdgesplitError
        ? `edgesplit: ${err.code}`
        : isSystemError(err)
          ? 'edgesplit: E_IO'
          : 'edgesplit: error';
    process.stderr.write(`${prefix}: ${errorMessage(err)}\n`);
    if (process.env.EDGESPLIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof EdgesplitError && err.code === 'E_USAGE' ? 2 : 1;
  }
}

/** A Node.js system error (ENOENT, ENOTDIR, EACCES, ...) from a file or socket call. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    /^E[A-Z0-9]+$/.test((err as NodeJS.ErrnoException).code!) &&
    typeof (err as NodeJS.ErrnoException).syscall === 'string'
  );
}
