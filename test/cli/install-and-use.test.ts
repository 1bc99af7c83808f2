import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/edgesplit.js', import.meta.url));

describe('usage errors', () => {
  it.each([
    [['split', 'models/local.onnx'], "required option '--node <device>' not specified", 'edgesplit split'],
    [['profile'], "missing required argument 'model'", 'edgesplit profile'],
    [['profile', 'models/local.onnx', '--bogus'], "unknown option '--bogus'", 'edgesplit profile'],
    [['bogus'], "unknown command 'bogus'", 'edgesplit'],
  ])('%j prints one line and a pointer to --help, exit 2', (args, message, cmd) => {
    const r = runCli(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`edgesplit: E_USAGE: ${message}\n(see '${cmd} --help')\n`);
  });

  it('--help still prints the whole help on stdout', () => {
    const r = runCli(['split', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--memory-overhead/);
  });
});

describe('clean install', () => {
  it("the project's npm configuration makes npm print no warning", () => {
    // .npmrc keys npm does not know (onnxruntime-node-install) make npm 11 warn on every command
    expect(existsSync(`${ROOT}.npmrc`)).toBe(false);
    const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/npm warn/i);
  });

  it('onnxruntime-node postinstall (a CUDA download) is denied, every other install script reviewed', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    // allowScripts names packages, so two installed versions of one package are one entry
    const withScripts = [
      ...new Set(
        Object.entries(lock.packages)
          .filter(([, p]) => p.hasInstallScript)
          .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
      ),
    ].sort();
    expect(Object.keys(pkg.allowScripts).sort()).toEqual(withScripts);
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  });
});

describe('running commands in a checkout', () => {
  it('several `node bin/edgesplit.js` at once all succeed with the same output', async () => {
    const run = promisify(execFile);
    const outs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, [BIN, 'profile', 'models/local.onnx', '--json'], { cwd: ROOT }),
      ),
    );
    for (const o of outs) expect(o.stdout).toBe(outs[0].stdout);
    expect(JSON.parse(outs[0].stdout).totals.macs).toBeGreaterThan(0);
  });

  it('README and docs show `node bin/edgesplit.js`, never npx (which installs the checkout into a shared cache)', () => {
    const files = ['README.md', ...readdirSync(`${ROOT}docs`).map((f) => `docs/${f}`)];
    for (const f of files.filter((x) => x.endsWith('.md'))) {
      const text = readFileSync(`${ROOT}${f}`, 'utf8');
      expect({ f, npx: text.match(/(^|\$ |&& )npx edgesplit/gm) }).toEqual({ f, npx: null });
      expect({ f, bare: text.match(/^\$ (cd \S+ && )?edgesplit /gm) }).toEqual({ f, bare: null });
    }
  });
});
