import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { repoRoot } from '../support/compileExample.js';
import { TempRepo } from '../support/tempRepo.js';

let repo: TempRepo;
afterEach(() => repo?.remove());

describe('fortress render', () => {
  test('writes rendered/ and the lock, then finds nothing to do', async () => {
    repo = TempRepo.withExample();
    const first = await repo.run('render');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^rendered 31 files for 5 hosts into rendered\//);
    expect(repo.read('rendered/hosts/oslo-db-01/etc/wireguard/wg0.conf')).toContain('[Interface]\nAddress = 10.100.0.1/24\n');
    expect(statSync(join(repo.dir, 'rendered/hosts/oslo-db-01/etc/wireguard/wg0.conf')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(repo.read('topology/topology.lock.json')).addresses['oslo-db-01']).toBe('10.100.0.1');

    const before = repo.snapshot();
    const second = await repo.run('render');
    expect(second.stdout).toBe('rendered/ is up to date (31 files, 5 hosts)\n');
    expect(repo.snapshot()).toEqual(before);
  });

  test('--check names every stale, missing or stray file and writes nothing', async () => {
    repo = TempRepo.withExample();
    const missing = await repo.run('render', '--check');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('rendered/manifest.json:1:1: error FT602: missing: the topology renders this file\n');
    expect(missing.stderr).toContain('topology/topology.lock.json:1:1: error FT604: the lock file is missing\n');
    expect(existsSync(join(repo.dir, 'rendered'))).toBe(false);

    await repo.run('render');
    expect(await repo.run('render', '--check')).toMatchObject({ code: 0, stdout: 'rendered/ and topology/topology.lock.json are up to date\n' });

    repo.write('rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg', 'edited by hand\n');
    repo.write('rendered/hosts/ghost/etc/wireguard/wg0.conf', 'stray\n');
    const before = repo.snapshot();
    const drift = await repo.run('render', '--check');
    expect(drift.code).toBe(1);
    expect(drift.stderr).toBe(
      'rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg:1:1: error FT601: out of date: this file differs from what the topology renders\n' +
        'rendered/hosts/ghost/etc/wireguard/wg0.conf:1:1: error FT603: not produced by the topology: render would remove this file\n' +
        '2 errors: rendered/ or the lock is not what the topology renders; run `fortress render` and commit the result\n',
    );
    expect(repo.snapshot()).toEqual(before);

    const github = await repo.run('render', '--check', '--format', 'github');
    expect(github.stderr.split('\n')[0]).toBe(
      '::error file=rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg,line=1,col=1,endLine=1,title=fortress FT601::out of date: this file differs from what the topology renders',
    );

    expect((await repo.run('render')).code).toBe(0);
    expect(existsSync(join(repo.dir, 'rendered/hosts/ghost'))).toBe(false);
    expect(await repo.run('render', '--check')).toMatchObject({ code: 0 });
  });

  test('re-rendering after each edit gives exactly the tree a fresh render of the same topology gives', async () => {
    repo = TempRepo.withExample();
    await repo.run('render');
    const tree = (r: TempRepo) =>
      Object.fromEntries(Object.entries(r.snapshot()).filter(([p]) => !p.startsWith('topology/topology.yaml')).map(([p, v]) => [p, v.split(' ')[1]]));
    const edits: [string, string][] = [
      ['mtu: 1360', 'mtu: 1380'], // every host's wg0.conf
      ['  lon-app-01:\n    site: london', '  lon-app-02:\n    site: london'], // one host out, one in
      ['vm.swappiness: 10 }\n\n  oslo-db-02', 'vm.swappiness: 20 }\n\n  oslo-db-02'], // one file of one host
    ];
    for (const [from, to] of edits) {
      const text = repo.read('topology/topology.yaml');
      expect(text).toContain(from);
      repo.write('topology/topology.yaml', text.replace(from, to));
      expect((await repo.run('render')).code).toBe(0);

      const fresh = new TempRepo();
      try {
        fresh.write('topology/topology.yaml', repo.read('topology/topology.yaml'));
        fresh.write('topology/topology.lock.json', repo.read('topology/topology.lock.json'));
        await fresh.run('render');
        expect(tree(repo)).toEqual(tree(fresh));
      } finally {
        fresh.remove();
      }
      expect(readdirSync(repo.dir).filter((n) => n !== 'rendered' && n !== 'topology')).toEqual([]);
    }
    expect(existsSync(join(repo.dir, 'rendered/hosts/lon-app-01'))).toBe(false);
  });

  test('a topology change after the lock was written is caught by --check on the lock', async () => {
    repo = TempRepo.withExample();
    await repo.run('render');
    repo.write('topology/topology.lock.json', repo.read('topology/topology.lock.json').replace('"lon-app-01": "10.100.0.4"', '"lon-app-01": "10.100.0.40"'));
    const drift = await repo.run('render', '--check');
    expect(drift.code).toBe(1);
    // The lock is the source of truth for addresses: London's files follow it, so they are stale too.
    expect(drift.stderr).toContain('rendered/hosts/lon-app-01/etc/wireguard/wg0.conf:1:1: error FT601: out of date');
  });

  test('an I/O failure while writing is exit 2 with a message, and the old tree and lock survive', async () => {
    repo = TempRepo.withExample();
    await repo.run('render');
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('mtu: 1360', 'mtu: 1380'));
    const before = repo.snapshot();
    // A read-only directory stops the staging tree from being created next to rendered/, even for root
    // (chattr is not everywhere); a file where the out directory's parent should be does the same.
    repo.write('blocker', 'a file, not a directory\n');
    const result = await repo.run('render', '--out', 'blocker/rendered');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^fortress: error FT510: cannot (mkdir|open) .*blocker\/rendered.*: not a directory\n$/);
    delete before['blocker'];
    const after = repo.snapshot();
    delete after['blocker'];
    expect(after).toEqual(before);
    expect(readdirSync(repo.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('fortress validate and usage', () => {
  test('a valid topology', async () => {
    repo = TempRepo.withExample();
    expect(await repo.run('validate')).toEqual({ code: 0, stdout: 'topology/topology.yaml: valid (5 hosts, 3 sites)\n', stderr: '' });
    expect(JSON.parse((await repo.run('validate', '--format', 'json')).stdout)).toEqual({ errorCount: 0, diagnostics: [] });
  });

  test('every problem at once, as path:line:col: error CODE: message, then a count', async () => {
    repo = TempRepo.withExample();
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('site: frankfurt', 'site: frankfrut'));
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('{ host: oslo-db-02, service: postgres, backup: true }', '{ host: oslo-db-03, service: postgres, backup: true }'));
    const result = await repo.run('validate');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'topology/topology.yaml:44:11: error FT301: host "fra-app-01" refers to unknown site "frankfrut" (did you mean "frankfurt"?)\n' +
        'topology/topology.yaml:82:21: error FT301: backend "database_nodes" refers to unknown host "oslo-db-03" (did you mean "oslo-db-01"?)\n' +
        '2 errors\n',
    );
    const json = JSON.parse((await repo.run('validate', '--format', 'json')).stdout);
    expect(json.errorCount).toBe(2);
    expect(json.diagnostics[0]).toMatchObject({ code: 'FT301', severity: 'error', span: { file: 'topology/topology.yaml', start: { line: 44, col: 11 } }, hint: 'did you mean "frankfurt"?' });
    expect((await repo.run('validate', '--format', 'github')).stderr.split('\n')[0]).toBe(
      '::error file=topology/topology.yaml,line=44,col=11,endLine=44,title=fortress FT301::host "fra-app-01" refers to unknown site "frankfrut" (did you mean "frankfurt"?)',
    );
  });

  test.each([
    [['frobnicate'], /^fortress: error FT501: unknown command "frobnicate"/],
    [['render', '--verbose'], /^fortress: error FT502: unknown option "--verbose"\n/],
    [['render', '--chek'], /^fortress: error FT502: unknown option "--chek" \(did you mean "--check"\?\)\n/],
    [['validate', '--format', 'xml'], /^fortress: error FT504: --format of validate must be text, json or github, not "xml"/],
    [['diff', '--format', 'yaml'], /^fortress: error FT504: --format of diff must be text, markdown or json, not "yaml"/],
    [['render', '--base', 'main'], /^fortress: error FT505: --base only applies to diff/],
    [['validate', '--check'], /^fortress: error FT505: --check only applies to render/],
    [['render', '--confirm-timeout', '5'], /^fortress: error FT505: --confirm-timeout only applies to apply/],
    [[], /^fortress: error FT501: no command given/],
  ])('usage error %j is exit 2: one diagnostic line and a pointer to the help', async (argv, message) => {
    repo = TempRepo.withExample();
    const result = await repo.run(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.split('\n')).toHaveLength(3);
    // The pointer names the command's own help when the line names a command.
    const command = argv[0] === 'frobnicate' ? undefined : argv[0];
    expect(result.stderr).toMatch(command ? new RegExp(`\\nrun \`fortress ${command} --help\` for its options\\n$`) : /\nrun `fortress --help` for the commands and their options\n$/);
    expect(result.stderr).not.toContain('Usage: fortress <command>');
  });

  test('a missing topology file is exit 2, no stack trace', async () => {
    repo = new TempRepo();
    const result = await repo.run('validate', '--topology', 'nope.yaml');
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'fortress: error FT510: cannot open nope.yaml: no such file or directory\n' });
  });
});

describe('the installed executable', () => {
  const bin = join(repoRoot, 'dist/cli/main.js');

  test('sets the exit status and prints diagnostics without a stack trace', () => {
    expect(existsSync(bin), 'run `npm run build` first (npm test does)').toBe(true);
    repo = TempRepo.withExample();
    repo.write('topology/topology.yaml', 'version: 1\nname: x\nmesh: { cidr: 10.0.0.0/24 }\nsites: {}\nhosts: {}\nbogus: 1\n');
    const result = spawnSync(process.execPath, [bin, 'validate'], { cwd: repo.dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('topology/topology.yaml:6:1: error FT201: unknown key "bogus" in the topology');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toMatch(/^fortress \d+\.\d+\.\d+\n$/);
  });

  test('is executable as the package bin, straight from the build', () => {
    expect(statSync(bin).mode & 0o111, 'npm run build marks dist/cli/main.js executable').toBe(0o111);
    expect(spawnSync(bin, ['--help'], { encoding: 'utf8' }).stdout).toContain('Usage: fortress');
  });
});
