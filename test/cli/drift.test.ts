// `render --check` reports drift as catalogue diagnostics (FT601-FT604), in all three formats, and a
// file name in rendered/ is data: it cannot forge a workflow command or a second diagnostic.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { TempRepo } from '../support/tempRepo.js';
import { logLines, workflowCommandOf, workflowCommandsIn } from './githubRunner.js';

let repo: TempRepo;
afterEach(() => repo?.remove());

interface Report {
  errorCount: number;
  diagnostics: { code: string; severity: string; message: string; span: { file: string; start: { line: number; col: number } } }[];
}

async function renderedRepo(): Promise<TempRepo> {
  repo = TempRepo.withExample();
  expect((await repo.run('render')).code).toBe(0);
  return repo;
}

describe('render --check', () => {
  test('--format json prints the diagnostics report on stdout, one diagnostic per drifted file', async () => {
    await renderedRepo();
    repo.write('rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg', 'edited by hand\n');
    repo.write('rendered/hosts/ghost/etc/wireguard/wg0.conf', 'stray\n');
    repo.write('topology/topology.lock.json', `${repo.read('topology/topology.lock.json')}\n`);
    const before = repo.snapshot();
    const run = await repo.run('render', '--check', '--format', 'json');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.errorCount).toBe(3);
    expect(report.diagnostics.map((d) => [d.code, d.span.file, d.span.start.line, d.span.start.col])).toEqual([
      ['FT601', 'rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg', 1, 1],
      ['FT603', 'rendered/hosts/ghost/etc/wireguard/wg0.conf', 1, 1],
      ['FT604', 'topology/topology.lock.json', 1, 1],
    ]);
    expect(repo.snapshot()).toEqual(before);
  });

  test('a missing file is FT602, a missing lock FT604; paths are relative to where fortress runs', async () => {
    await renderedRepo();
    repo.write('sub/.keep', '');
    const { rmSync } = await import('node:fs');
    rmSync(join(repo.dir, 'rendered/manifest.json'));
    rmSync(join(repo.dir, 'topology/topology.lock.json'));
    const run = await repo.run('render', '--check', '--format', 'json');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.diagnostics.map((d) => [d.code, d.span.file, d.message])).toEqual([
      ['FT602', 'rendered/manifest.json', 'missing: the topology renders this file'],
      ['FT604', 'topology/topology.lock.json', 'the lock file is missing'],
    ]);
  });

  test('--format json with nothing drifted is an empty report, exit 0', async () => {
    await renderedRepo();
    expect(await repo.run('render', '--check', '--format', 'json')).toEqual({ code: 0, stdout: '{\n  "errorCount": 0,\n  "diagnostics": []\n}\n', stderr: '' });
    expect(JSON.parse((await repo.run('render', '--format', 'json')).stdout)).toEqual({ errorCount: 0, diagnostics: [] });
  });

  test('--format github annotates each drifted file', async () => {
    await renderedRepo();
    repo.write('rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg', 'edited by hand\n');
    const run = await repo.run('render', '--check', '--format', 'github');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('::error file=rendered/hosts/fra-app-01/etc/haproxy/haproxy.cfg,line=1,col=1,endLine=1,title=fortress FT601::out of date: this file differs from what the topology renders\n');
  });
});

describe('file names in rendered/ cannot forge workflow commands', () => {
  // Each name is a real file under rendered/hosts/; Linux allows every byte but / and NUL.
  const hostile = [
    'x\n::warning::forged by a newline',
    'y%0A::warning::forged by an escape',
    'z\r::notice::forged by a carriage return',
    'w,title=forged::notice,line=9',
    'legacy ##[warning]forged the old way',
    '%25%0D%3A%2C',
    '::error::at the start',
  ];

  async function repoWithHostileFiles(): Promise<string[]> {
    await renderedRepo();
    for (const name of hostile) writeFileSync(join(repo.dir, 'rendered/hosts', name), 'stray\n');
    const names = readdirSync(join(repo.dir, 'rendered/hosts')).filter((n) => hostile.includes(n));
    expect(names.sort(), 'the file system kept every name').toEqual([...hostile].sort());
    return hostile.map((n) => `rendered/hosts/${n}`);
  }

  test('--format github: every line is one error annotation for one real file', async () => {
    const paths = await repoWithHostileFiles();
    const run = await repo.run('render', '--check', '--format', 'github');
    expect(run.code).toBe(1);
    const lines = logLines(run.stderr.replace(/\n$/, ''));
    expect(lines).toHaveLength(hostile.length);
    const commands = lines.map((line) => workflowCommandOf(line));
    for (const command of commands) {
      expect(command).toMatchObject({ command: 'error', properties: { line: '1', col: '1', endLine: '1', title: 'fortress FT603' } });
      expect(Object.keys(command!.properties).sort()).toEqual(['col', 'endLine', 'file', 'line', 'title']);
      expect(command!.data).toBe('not produced by the topology: render would remove this file');
    }
    // The runner, undoing the escapes, gets back exactly the names on disk.
    expect(commands.map((c) => c!.properties.file).sort()).toEqual([...paths].sort());
    expect(workflowCommandsIn(run.stderr).map((c) => c.command)).toEqual(hostile.map(() => 'error'));
  });

  test('--format text: one diagnostic per line, then the count, and no command', async () => {
    await repoWithHostileFiles();
    const run = await repo.run('render', '--check');
    const lines = logLines(run.stderr.replace(/\n$/, ''));
    expect(lines).toHaveLength(hostile.length + 1);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^rendered\/hosts\/.+:1:1: error FT603: not produced by the topology: render would remove this file$/);
    expect(lines.at(-1)).toMatch(/^7 errors: /);
    expect(workflowCommandsIn(run.stderr)).toEqual([]);
    expect(run.stderr).toContain('rendered/hosts/x\\n::warning::forged by a newline:1:1: error FT603');
    expect(run.stderr).toContain('rendered/hosts/legacy # #[warning]forged the old way:1:1: error FT603');
  });

  test('--format json: the names survive exactly, and no line of the report is a command', async () => {
    const paths = await repoWithHostileFiles();
    const run = await repo.run('render', '--check', '--format', 'json');
    expect(workflowCommandsIn(run.stdout)).toEqual([]);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.diagnostics.map((d) => d.span.file).sort()).toEqual([...paths].sort());
  });
});
