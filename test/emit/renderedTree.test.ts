// Once render has swapped the new rendered/ in, it has succeeded: an old tree that cannot be deleted
// (a read-only directory in it) is a warning, and it is moved out of the repository, not left beside
// rendered/. Permissions only bind a non-root user, so the built CLI runs as `nobody` when the tests
// run as root.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { repoRoot } from '../support/compileExample.js';
import { TempRepo, type CliRun } from '../support/tempRepo.js';

const bin = join(repoRoot, 'dist/cli/main.js');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

let repo: TempRepo | undefined;
let trash: string | undefined;
afterEach(() => {
  // Read-only directories must be writable again before anything in them can be removed.
  for (const dir of [repo?.dir, trash]) {
    if (dir === undefined || !existsSync(dir)) continue;
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  repo = undefined;
  trash = undefined;
});

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) makeWritable(join(dir, entry.name));
}

function chownTree(path: string): void {
  chownSync(path, NOBODY, NOBODY);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) chownTree(join(path, entry.name));
    else chownSync(join(path, entry.name), NOBODY, NOBODY);
  }
}

/** The built CLI in the repository, as a user whom permissions bind; TMPDIR is where an old tree is moved to. */
function runUnprivileged(cwd: string, tmp: string, ...argv: string[]): CliRun {
  const command = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath] : [process.execPath];
  const result = spawnSync(command[0]!, [...command.slice(1), bin, ...argv], { cwd, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A rendered example repository with a read-only directory (and a file in it) inside rendered/, then a topology change. */
async function repositoryWithReadOnlyDirectory(): Promise<{ repo: TempRepo; trash: string }> {
  expect(existsSync(bin), 'run `npm run build` first (npm test does)').toBe(true);
  repo = TempRepo.withExample();
  expect((await repo.run('render')).code).toBe(0);
  repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace(/(oslo-db-02:[\s\S]*?vm\.swappiness: )10/, '$120'));
  trash = mkdtempSync(join(tmpdir(), 'fortress-trash-'));
  if (asRoot) {
    chownTree(repo.dir);
    chownTree(trash);
  }
  chmodSync(join(repo.dir, 'rendered/hosts/oslo-db-02/etc/wireguard'), 0o555);
  return { repo, trash };
}

/** Names fortress uses only while it writes: none may stay in the repository. */
function temporaryNames(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => /\.(tmp|old)-/.test(path));
}

describe('render when the old rendered/ cannot be deleted', () => {
  test('succeeds with a warning naming the leftover, which is outside the repository', async () => {
    const { repo, trash } = await repositoryWithReadOnlyDirectory();
    const run = runUnprivileged(repo.dir, trash, 'render');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^rendered \d+ files for 5 hosts into rendered\//);
    const [leftover] = readdirSync(trash);
    expect(leftover).toMatch(/^fortress-rendered\.old-/);
    const where = join(trash, leftover!);
    expect(run.stderr).toContain(`fortress: warning FT605: rendered/ was rendered, but its previous tree could not be deleted (EACCES: permission denied`);
    expect(run.stderr).toContain(`it is left at ${where} (delete it with: chmod -R u+w '${where}' && rm -rf '${where}')`);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);

    expect(repo.read('rendered/hosts/oslo-db-02/etc/sysctl.d/90-fortress.conf')).toContain('vm.swappiness = 20');
    expect(temporaryNames(repo.dir)).toEqual([]);
    expect((await repo.run('render', '--check')).code).toBe(0);
  });

  test('--format json carries the warning in the report, with no errors', async () => {
    const { repo, trash } = await repositoryWithReadOnlyDirectory();
    const run = runUnprivileged(repo.dir, trash, 'render', '--format', 'json');

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { errorCount: number; diagnostics: { code: string; severity: string }[] };
    expect(report.errorCount).toBe(0);
    expect(report.diagnostics.map((d) => [d.code, d.severity])).toEqual([['FT605', 'warning']]);
    expect(temporaryNames(repo.dir)).toEqual([]);
  });
});
