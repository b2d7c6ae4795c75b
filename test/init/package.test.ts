// The package end to end, as a team adopts it: `npm pack` of this repository (built in a copy, so the
// working tree's dist/ is left alone), a fresh scratch git repository, `npm i -D <the tarball>`
// (dependencies from the npm registry), then `npx fortress init`, `validate` and `render` there, from
// the root and from topology/; then the review workflow init wrote, its checks job's steps run as the
// scratch repository's npm scripts against a real second commit. Takes about a minute; it needs the
// npm registry to be reachable.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { parse } from 'yaml';

const repoRoot = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'fortress-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });

test('npm pack, npm i -D the tarball, npx fortress init, validate and render', { timeout: 180_000 }, () => {
  // A copy of what the package is built from, with this repository's node_modules for the build.
  const source = join(work, 'source');
  for (const entry of ['src', 'scripts', 'schema', 'docs', 'README.md', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(repoRoot, entry), join(source, entry), { recursive: true });
  }
  rmSync(join(source, 'src/validate/generated'), { recursive: true, force: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(source, 'node_modules'));
  const tarball = join(work, sh('npm', ['pack', '--silent', '--pack-destination', work], source).trim().split('\n').pop()!);

  const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const needed of ['package/dist/cli/main.js', 'package/schema/topology.schema.json', 'package/dist/init/templates/topology.yaml', 'package/dist/apply/start.sh', 'package/dist/render/wireguard/wg0.conf.hbs']) {
    expect(listing).toContain(needed);
  }
  expect(listing.filter((p) => p.startsWith('package/src/') || p.startsWith('package/test/') || p.startsWith('package/topology/'))).toEqual([]);

  const infra = join(work, 'infra');
  mkdirSync(infra);
  sh('git', ['init', '-q'], infra);
  writeFileSync(join(infra, 'package.json'), JSON.stringify({ name: 'infra', version: '1.0.0', private: true }, null, 2));
  sh('npm', ['i', '-D', '--silent', tarball], infra);

  const npx = (cwd: string, ...args: string[]) => sh('npx', ['--no-install', 'fortress', ...args], cwd);
  expect(npx(infra, '--version')).toMatch(/^fortress \d+\.\d+\.\d+/);
  expect(npx(infra, 'init')).toContain('wrote topology/topology.yaml');
  // The modeline's schema is where the topology says it is.
  expect(existsSync(join(infra, 'topology', '../node_modules/fortress/schema/topology.schema.json'))).toBe(true);
  expect(npx(infra, 'validate')).toContain('topology/topology.yaml: valid (5 hosts, 3 sites)');
  expect(npx(infra, 'render')).toMatch(/^rendered \d+ files for 5 hosts into rendered\//);
  expect(readdirSync(join(infra, 'rendered')).length).toBeGreaterThan(0);
  expect(npx(join(infra, 'topology'), 'validate')).toContain('valid (5 hosts, 3 sites)');
  expect(npx(join(infra, 'topology'), 'render', '--check')).toContain('up to date');
  // The package's exports: the CLI and the schema resolve from the infrastructure repository.
  const resolved = sh('node', ['--input-type=module', '-e', "console.log(import.meta.resolve('fortress/cli'), import.meta.resolve('fortress/schema/topology.schema.json'))"], infra);
  expect(resolved).toMatch(/node_modules\/fortress\/dist\/cli\/main\.js .*node_modules\/fortress\/schema\/topology\.schema\.json/);

  // A pull request: the init commit as the base branch, then a commit that moves a host.
  const git = (...args: string[]) => sh('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], infra);
  git('add', '-A');
  git('commit', '-qm', 'fortress init');
  git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  const topology = join(infra, 'topology/topology.yaml');
  writeFileSync(topology, readFileSync(topology, 'utf8').replace('endpoint: 192.0.2.10', 'endpoint: 192.0.2.99'));
  npx(infra, 'render');
  git('commit', '-qam', 'move the hub');

  // The checks job's own steps, exactly as written, as npm scripts of the scratch repository.
  const workflow = parse(readFileSync(join(infra, '.github/workflows/review.yml'), 'utf8')) as { jobs: { checks: { steps: { id?: string; run?: string }[] } } };
  const steps = Object.fromEntries(workflow.jobs.checks.steps.filter((step) => step.id && step.run).map((step) => [`review:${step.id}`, step.run!]));
  expect(Object.keys(steps)).toEqual(['review:validate', 'review:check', 'review:diff']);
  const manifest = JSON.parse(readFileSync(join(infra, 'package.json'), 'utf8'));
  writeFileSync(join(infra, 'package.json'), JSON.stringify({ ...manifest, scripts: steps }, null, 2));
  const runnerTemp = mkdtempSync(join(work, 'runner-'));
  const npmRun = (script: string) => execFileSync('npm', ['run', '--silent', script], { cwd: infra, encoding: 'utf8', env: { ...process.env, BASE_REF: 'main', RUNNER_TEMP: runnerTemp } });
  expect(npmRun('review:validate')).toBe('');
  expect(npmRun('review:check')).toBe('');
  npmRun('review:diff');
  const review = readFileSync(join(runnerTemp, 'review.md'), 'utf8');
  expect(review).toContain('oslo-db-01');
  expect(review).toMatch(/192\.0\.2\.99/);
});
