// apply and keys bootstrap refuse what they cannot do before they connect anywhere (and before they
// read SSH credentials): every reason at once, at its place in topology.yaml, exit 1.
import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import type { CliIo } from '../../src/cli/io.js';
import { TempRepo, type CliRun } from '../support/tempRepo.js';

let repo: TempRepo;
afterEach(() => repo?.remove());

let connections = 0;

/** The CLI with SSH credentials that do not exist and a connect that only counts: neither may be reached. */
async function run(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    cwd: repo.dir,
    env: { sshKeyFile: 'no-such-key' },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    connect: async () => {
      connections += 1;
      throw new Error('connect must not be reached');
    },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** The example with hosts fortress cannot connect to, rendered, so only the preconditions are left. */
async function exampleWithUnreachableHosts(): Promise<void> {
  repo = TempRepo.withExample();
  const text = repo.read('topology/topology.yaml');
  const edited = text
    .replace(/\n    ssh: \{ address: 198\.51\.100\.22[^\n]*/, '')
    .replace(/(ssh: \{ address: 203\.0\.113\.31, user: deploy), hostKey: "[^"]*" \}/, '$1 }');
  expect(edited.split('\n').length).toBe(text.split('\n').length - 1);
  repo.write('topology/topology.yaml', edited);
  expect((await repo.run('render')).code).toBe(0);
  connections = 0;
}

const NO_SSH = 'topology/topology.yaml:50:3: error FT520: host "fra-app-02" has no ssh settings, so fortress cannot connect to it (add ssh: { address, user, hostKey })';
const NO_HOST_KEY = 'topology/topology.yaml:60:5: error FT521: host "lon-app-01" pins no ssh.hostKey, and fortress only connects to a pinned host key (add ssh.hostKey: the host\'s public host key)';

describe('apply preconditions', () => {
  test('every reason at once, at the offending node, before any connection or credential', async () => {
    await exampleWithUnreachableHosts();
    const result = await run('apply');
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${NO_SSH}\n${NO_HOST_KEY}\n2 errors\n` });
    expect(connections).toBe(0);
  });

  test('--dry-run is refused the same way', async () => {
    await exampleWithUnreachableHosts();
    expect((await run('apply', '--dry-run')).stderr).toBe(`${NO_SSH}\n${NO_HOST_KEY}\n2 errors\n`);
  });

  test('--hosts checks only the hosts it selects, and names unknown ones with a suggestion', async () => {
    await exampleWithUnreachableHosts();
    const result = await run('apply', '--hosts', 'lon-app-01,lon-app-1,oslo-db-01');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'topology/topology.yaml:22:1: error FT523: --hosts names "lon-app-1", but the topology has no such host (did you mean "lon-app-01"?)\n' +
        `${NO_HOST_KEY}\n2 errors\n`,
    );
  });

  test('--format json and github', async () => {
    await exampleWithUnreachableHosts();
    const json = await run('apply', '--format', 'json');
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const report = JSON.parse(json.stdout) as { errorCount: number; diagnostics: { code: string; span: { file: string; start: { line: number; col: number } } }[] };
    expect(report.errorCount).toBe(2);
    expect(report.diagnostics.map((d) => `${d.code} ${d.span.file}:${d.span.start.line}:${d.span.start.col}`)).toEqual([
      'FT520 topology/topology.yaml:50:3',
      'FT521 topology/topology.yaml:60:5',
    ]);
    const github = await run('apply', '--format', 'github');
    expect(github.stderr.split('\n')[0]).toBe(
      '::error file=topology/topology.yaml,line=50,col=3,endLine=50,title=fortress FT520::host "fra-app-02" has no ssh settings, so fortress cannot connect to it (add ssh: { address, user, hostKey })',
    );
  });

  test('drift and preconditions are reported together', async () => {
    await exampleWithUnreachableHosts();
    repo.write('rendered/hosts/oslo-db-01/etc/sysctl.d/90-fortress.conf', 'edited\n');
    const result = await run('apply');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'rendered/hosts/oslo-db-01/etc/sysctl.d/90-fortress.conf:1:1: error FT601: out of date: this file differs from what the topology renders\n' +
        `${NO_SSH}\n${NO_HOST_KEY}\n` +
        '3 errors\n', // not all of them drift, so the drift summary would blame rendered/ for all three
    );
    expect(connections).toBe(0);
  });

  test('with the preconditions met, apply goes on to read the credentials (exit 2 here: the key file is missing)', async () => {
    await exampleWithUnreachableHosts();
    const result = await run('apply', '--hosts', 'oslo-db-01');
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'fortress: error FT510: cannot open no-such-key: no such file or directory\n' });
    expect(connections).toBe(0);
  });
});

describe('keys bootstrap preconditions', () => {
  test.each([
    ['fra-app-02', NO_SSH],
    ['lon-app-01', NO_HOST_KEY],
    ['lon-app-1', 'topology/topology.yaml:22:1: error FT523: keys bootstrap names "lon-app-1", but the topology has no such host (did you mean "lon-app-01"?)'],
  ])('%s', async (host, line) => {
    await exampleWithUnreachableHosts();
    expect(await run('keys', 'bootstrap', host)).toEqual({ code: 1, stdout: '', stderr: `${line}\n1 error\n` });
    expect(connections).toBe(0);
  });

  test('--format json', async () => {
    await exampleWithUnreachableHosts();
    const result = await run('keys', 'bootstrap', 'fra-app-02', '--format', 'json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).diagnostics[0]).toMatchObject({ code: 'FT520', span: { file: 'topology/topology.yaml', start: { line: 50, col: 3 } } });
  });
});
