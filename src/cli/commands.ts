import type { Command } from 'commander';

/** Registers every CLI command; one line per command file. */
export function registerCommands(program: Command): void {
  void program;
}
