// Mistakes on the command line are catalogue diagnostics (FT5xx), exit 2, printed in the --format
// asked for when that much could be read, all of them at once, with one line pointing at --help.
import { afterEach, describe, expect, test } from 'vitest';
import { TempRepo } from '../support/tempRepo.js';
import { parseOptions } from '../../src/cli/options.js';

let repo: TempRepo;
afterEach(() => repo?.remove());

const HELP = 'run `fortress render --help` for its options';

describe('parseOptions', () => {
  test.each([
    [['frobnicate'], 'FT501', 'unknown command "frobnicate"'],
    [['rendr'], 'FT501', 'unknown command "rendr"'],
    [['render', '--chek'], 'FT502', 'unknown option "--chek"'],
    [['render', '-x'], 'FT502', 'unknown option "-x"'],
    [['validate', '--format'], 'FT503', '--format needs a value'],
    [['render', '--out', '--check'], 'FT503', '--out needs a value, and "--check" looks like an option'],
    [['render', '--check=yes'], 'FT503', '--check takes no value, but was given "yes"'],
    [['validate', '--format', 'xml'], 'FT504', '--format of validate must be text, json or github, not "xml"'],
    [['apply', '--concurrency', '0'], 'FT504', '--concurrency must be a whole number from 1 to 100, not "0"'],
    [['apply', '--concurrency', 'many'], 'FT504', '--concurrency must be a whole number from 1 to 100, not "many"'],
    [['apply', '--confirm-timeout', '1'], 'FT504', '--confirm-timeout must be a whole number of seconds from 2 to 3600, not "1"'],
    [['apply', '--hosts', ','], 'FT504', '--hosts names no host'],
    [['validate', '--dry-run'], 'FT505', '--dry-run only applies to apply, not to validate'],
    [['apply', '--base', 'main'], 'FT505', '--base only applies to diff, not to apply'],
    [['render', 'extra'], 'FT506', 'unexpected argument "extra": render takes no arguments, only options'],
    [['keys'], 'FT506', 'keys needs a subcommand and a host: fortress keys bootstrap <host>, or fortress keys rotate <host>'],
    [['keys', 'revoke', 'a'], 'FT506', 'keys needs a subcommand and a host: fortress keys bootstrap <host>, or fortress keys rotate <host>'],
  ])('%j is %s', (argv, code, message) => {
    const parsed = parseOptions(argv);
    expect(parsed.options).toBeUndefined();
    expect(parsed.diagnostics).toEqual([expect.objectContaining({ code, severity: 'error', message })]);
    expect(parsed.diagnostics[0]!.span).toBeUndefined();
  });

  test('"did you mean" for commands, options and formats', () => {
    expect(parseOptions(['rendr']).diagnostics[0]!.hint).toBe('did you mean "render"?');
    expect(parseOptions(['render', '--chek']).diagnostics[0]!.hint).toBe('did you mean "--check"?');
    expect(parseOptions(['render', '--format', 'jsno']).diagnostics[0]!.hint).toBe('did you mean "json"?');
  });

  test('every mistake at once, and the format to report them in when it could be read', () => {
    const parsed = parseOptions(['render', '--chek', '--frobnicate', '--concurrency', '0', '--format', 'json']);
    expect(parsed.format).toBe('json');
    // --concurrency is apply's: named as such, its value neither checked nor taken for an argument.
    expect(parsed.diagnostics.map((d) => d.code).sort()).toEqual(['FT502', 'FT502', 'FT505']);
    expect(parseOptions(['diff', '--format', 'markdown', '--nope']).format).toBe('text');
    expect(parseOptions(['diff', '--format', 'github']).format).toBe('github');
  });

  test('a valid command line still parses as before', () => {
    expect(parseOptions(['apply', '--hosts', 'a, b', '--dry-run', '--concurrency=3', '--format', 'github'])).toEqual({
      options: expect.objectContaining({ command: 'apply', values: { hosts: 'a, b', 'dry-run': true, concurrency: '3', 'confirm-timeout': '30' }, format: 'github' }),
      diagnostics: [],
      format: 'github',
      command: expect.objectContaining({ name: 'apply' }),
    });
    expect(parseOptions(['keys', 'bootstrap', 'oslo-db-01']).options).toMatchObject({ command: 'keys', arguments: ['bootstrap', 'oslo-db-01'] });
    expect(parseOptions(['keys', 'rotate', 'oslo-db-01']).options).toMatchObject({ command: 'keys', arguments: ['rotate', 'oslo-db-01'] });
    expect(parseOptions(['render', '--help']).print).toMatch(/^Usage: fortress render /);
    expect(parseOptions(['--topology', 'x.yaml', 'render', '--check']).options).toMatchObject({ command: 'render', topology: 'x.yaml', values: { check: true } });
    expect(parseOptions(['render', '--out=-weird']).options?.out).toBe('-weird');
  });
});

describe('usage errors through the CLI', () => {
  test('text: one line per mistake, then the pointer to --help, exit 2', async () => {
    repo = TempRepo.withExample();
    const run = await repo.run('render', '--chek', '--frobnicate');
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `fortress: error FT502: unknown option "--chek" (did you mean "--check"?)\nfortress: error FT502: unknown option "--frobnicate"\n${HELP}\n`,
    });
  });

  test('--format json: the diagnostics report on stdout, with no span', async () => {
    repo = TempRepo.withExample();
    const run = await repo.run('apply', '--concurrency', '0', '--format', 'json');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      errorCount: 1,
      diagnostics: [{ code: 'FT504', severity: 'error', message: '--concurrency must be a whole number from 1 to 100, not "0"' }],
    });
  });

  test('--format github: an annotation without a file', async () => {
    repo = TempRepo.withExample();
    const run = await repo.run('validate', '--verbose', '--format', 'github');
    expect(run).toEqual({ code: 2, stdout: '', stderr: '::error title=fortress FT502::unknown option "--verbose"\n' });
  });

  test('a file that cannot be read is FT510, exit 2, in the format asked for', async () => {
    repo = new TempRepo();
    const run = await repo.run('validate', '--topology', 'nope.yaml', '--format', 'json');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).diagnostics).toEqual([{ code: 'FT510', severity: 'error', message: 'cannot open nope.yaml: no such file or directory' }]);
  });

  test('--base outside a git repository is FT511, exit 2', async () => {
    repo = TempRepo.withExample();
    const run = await repo.run('diff', '--base', 'main');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^fortress: error FT511: --base needs a git repository/);
  });
});
