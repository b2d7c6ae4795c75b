// Commands find the repository from any subdirectory, and --base with a topology outside the
// repository is a usage error, not a crash.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { repoRoot } from '../support/compileExample.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fortress-root-'));
  mkdirSync(join(dir, 'topology'));
  writeFileSync(join(dir, 'topology/topology.yaml'), readFileSync(join(repoRoot, 'topology/topology.yaml')));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(cwd: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('the repository root', () => {
  test('validate and render from topology/ work on the repository, and render writes rendered/ at its root', async () => {
    expect(await cli(join(dir, 'topology'), 'validate')).toMatchObject({ code: 0, stdout: 'topology/topology.yaml: valid (5 hosts, 3 sites)\n' });
    const render = await cli(join(dir, 'topology'), 'render');
    expect(render.code, render.stderr).toBe(0);
    expect(existsSync(join(dir, 'rendered/manifest.json'))).toBe(true);
    expect(existsSync(join(dir, 'topology/rendered'))).toBe(false);
    expect(existsSync(join(dir, 'topology/topology.lock.json'))).toBe(true);
    expect((await cli(join(dir, 'rendered/hosts'), 'render', '--check')).code).toBe(0);
  });

  test('an explicit --topology means what it says, from where fortress runs', async () => {
    const run = await cli(join(dir, 'topology'), 'validate', '--topology', 'topology/topology.yaml');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error FT510: cannot open topology\/topology.yaml/);
  });

  test('diff --base with a topology outside the repository is a usage error', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const git = simpleGit({ baseDir: repo });
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.email', 'test@example.invalid').addConfig('user.name', 'test');
    writeFileSync(join(repo, 'README'), 'x\n');
    await git.add('.').commit('first');
    const run = await cli(repo, 'diff', '--base', 'HEAD', '--topology', join(dir, 'topology/topology.yaml'));
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.stderr).toMatch(/error FT511: --base reads .* from git, but it is outside the repository/);
  });
});
