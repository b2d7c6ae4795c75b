// Text that reaches a GitHub job log is data: escaped inside workflow commands, and never a command
// of its own elsewhere, including what hosts say during apply.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import type { CliIo } from '../../src/cli/io.js';
import { annotation, commandSafeJson, escapeData, escapeProperty, neutralizeWorkflowCommands } from '../../src/cli/workflowCommands.js';
import { formatDiagnostics } from '../../src/cli/formatDiagnostics.js';
import { TempRepo } from '../support/tempRepo.js';
import { logLines, workflowCommandOf, workflowCommandsIn } from './githubRunner.js';

let repo: TempRepo;
afterEach(() => repo?.remove());

describe('escaping', () => {
  test('data: %, CR and LF; properties also : and ,', () => {
    expect(escapeData('50% done\r\nnext: a,b')).toBe('50%25 done%0D%0Anext: a,b');
    expect(escapeProperty('50% done\r\nnext: a,b')).toBe('50%25 done%0D%0Anext%3A a%2Cb');
  });

  test.each(['plain', 'a\nb', '%0A', '%250A', 'x::y', 'a,b=c', '\r\n::warning::x', '%%%', '##[error]x'])('an annotation round-trips %j through the runner', (text) => {
    const line = annotation('error', { file: text, title: text }, text);
    expect(logLines(line)).toHaveLength(1);
    expect(workflowCommandOf(line)).toEqual({ command: 'error', properties: { file: text, title: text }, data: text });
  });

  test('plain text never reads as a command, and text without one is unchanged', () => {
    const hostile = '::warning::a\n  ::error file=x::b\r::notice::c\nsee ##[warning]d\n';
    expect(workflowCommandsIn(neutralizeWorkflowCommands(hostile))).toEqual([]);
    expect(neutralizeWorkflowCommands(hostile)).toBe(': :warning::a\n  : :error file=x::b\r: :notice::c\nsee # #[warning]d\n');
    const ordinary = 'oslo-db-01: 2 files to change (reload)\n  /etc/wireguard/wg0.conf (syncconf)\n';
    expect(neutralizeWorkflowCommands(ordinary)).toBe(ordinary);
  });

  test('JSON keeps its values and loses its commands', () => {
    const json = JSON.stringify({ message: '##[warning]x', list: ['::error::y'] }, null, 2);
    expect(workflowCommandsIn(commandSafeJson(json))).toEqual([]);
    expect(JSON.parse(commandSafeJson(json))).toEqual({ message: '##[warning]x', list: ['::error::y'] });
  });

  test('diagnostics quoting hostile input: text and json carry no command, github exactly one per diagnostic', () => {
    const diagnostics = [
      { code: 'FT201' as const, severity: 'error' as const, message: 'unknown key "##[warning]k"\n::notice::n', span: { file: 'topology.yaml', start: { line: 3, col: 1 }, end: { line: 3, col: 5 } } },
      { code: 'FT502' as const, severity: 'error' as const, message: 'unknown option "--::error::x"' },
    ];
    expect(workflowCommandsIn(formatDiagnostics(diagnostics, 'text'))).toEqual([]);
    expect(workflowCommandsIn(formatDiagnostics(diagnostics, 'json'))).toEqual([]);
    expect(workflowCommandsIn(formatDiagnostics(diagnostics, 'github')).map((c) => [c.command, c.properties.title])).toEqual([
      ['error', 'fortress FT201'],
      ['error', 'fortress FT502'],
    ]);
  });
});

describe("apply's output in a job log", () => {
  // What a host (or anything between) can make fortress print: here, the error of a failed connection.
  const HOSTILE = 'refused\n::warning::forged by a host\n##[error]forged the old way\r::set-output name=x::y';

  async function applyWithHostileHosts(format: string): Promise<{ code: number; stdout: string; stderr: string; summary: string }> {
    repo = TempRepo.withExample();
    expect((await repo.run('render')).code).toBe(0);
    let stdout = '';
    let stderr = '';
    const summaryFile = join(repo.dir, 'step-summary.md');
    const io: CliIo = {
      cwd: repo.dir,
      env: { sshAuthSock: '/nonexistent/agent.sock', githubStepSummary: summaryFile },
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      connect: async () => {
        throw new Error(HOSTILE);
      },
    };
    const code = await runCli(['apply', '--format', format], io);
    return { code, stdout, stderr, summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '' };
  }

  test('text: the table, the progress and the step summary hold no command', async () => {
    const run = await applyWithHostileHosts('text');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('failed: cannot connect: refused');
    for (const output of [run.stdout, run.stderr, run.summary]) expect(workflowCommandsIn(output)).toEqual([]);
    expect(run.summary).toContain('| oslo-db-01 (hub) |');
  });

  test('github: one error annotation per failed host, carrying the host text as data only', async () => {
    const run = await applyWithHostileHosts('github');
    expect(run.code).toBe(1);
    expect(workflowCommandsIn(run.stdout)).toEqual([]);
    const commands = workflowCommandsIn(run.stderr);
    expect(commands.map((c) => c.command)).toEqual(commands.map(() => 'error'));
    expect(commands.map((c) => c.properties.title)).toContain('fortress apply oslo-db-01');
    expect(commands.every((c) => !/[\r\n]/.test(c.data))).toBe(true);
    // Every annotation line is a whole annotation; every other line of stderr is plain text.
    for (const line of logLines(run.stderr)) if (line.trimStart().startsWith('::')) expect(line).toMatch(/^::error title=fortress apply [a-z0-9-]+::/);
    expect(workflowCommandsIn(run.summary)).toEqual([]);
  });

  test('json: the report parses, and no line of it is a command', async () => {
    const run = await applyWithHostileHosts('json');
    expect(workflowCommandsIn(run.stdout)).toEqual([]);
    expect(workflowCommandsIn(run.stderr)).toEqual([]);
    const report = JSON.parse(run.stdout) as { ok: boolean; hosts: { host: string; message?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.hosts.find((h) => h.host === 'oslo-db-01')?.message).toMatch(/^cannot connect: refused ::warning::forged by a host ##\[error\]forged/);
  });
});
