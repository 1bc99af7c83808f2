import { registerProfileCommand } from './profile.js';
import type { Command } from 'commander';
import { registerEvalCommand } from './eval.js';

/** Registers every CLI command; one line per command file. */
export function registerCommands(program: Command): void {
  registerProfileCommand(program);
  void program;
  registerEvalCommand(program);
}
