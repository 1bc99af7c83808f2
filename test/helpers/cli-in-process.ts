import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** Output and exit code of one in-process CLI run. */
export interface InProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs the CLI inside the test process (no build needed), capturing stdout, stderr and the exit code. */
export async function runCliInProcess(args: readonly string[]): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    stdout += String(c);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    stderr += String(c);
    return true;
  });
  process.exitCode = 0;
  try {
    await main(['node', 'edgesplit', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, exitCode };
}
