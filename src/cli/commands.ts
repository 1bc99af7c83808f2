import { registerProfileCommand } from './profile.js';
import type { Command } from 'commander';
import { registerDemoCommand } from './demo.js';
import { registerNodeCommand } from './node.js';
import { registerRunCommand } from './run.js';
import { registerSplitCommand } from './split.js';
import { registerExploreCommand } from './explore.js';
import { registerEvalCommand } from './eval.js';
import { registerServeCommand } from './serve.js';
import { registerHiCommand } from './hi.js';
import { registerPlanCommand } from './plan.js';
import { registerLcpCommand } from './lcp.js';
import { registerExportCommand } from './export.js';
import { registerQuantizeCommand } from './quantize.js';
import { registerPrecisionCommand } from './precision.js';
import { registerWearableCommand } from './wearable.js';

/** Registers every CLI command; one line per command file. */
export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerProfileCommand(program);
  registerSplitCommand(program);
  registerExploreCommand(program);
  void program;
  registerEvalCommand(program);
  registerQuantizeCommand(program);
  registerPrecisionCommand(program);
  registerWearableCommand(program);
  registerServeCommand(program);
  registerHiCommand(program);
  registerPlanCommand(program);
  registerLcpCommand(program);
  registerNodeCommand(program);
  registerRunCommand(program);
  registerExportCommand(program);
}
