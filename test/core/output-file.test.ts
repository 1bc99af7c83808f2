import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeOutputFile } from '../../src/core/output-file.js';

describe('writeOutputFile', () => {
  it('creates the missing directories, and names the file and what it is when it cannot write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesplit-out-'));
    const nested = join(dir, 'a', 'b', 'trace.json');
    await writeOutputFile(nested, '{"x":1}', 'trace');
    expect(readFileSync(nested, 'utf8')).toBe('{"x":1}');
    const file = join(dir, 'plain');
    writeFileSync(file, 'not a directory');
    await expect(writeOutputFile(join(file, 'trace.json'), '{}', 'trace')).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringMatching(/plain\/trace\.json: cannot write trace \(/),
    });
  });
});
