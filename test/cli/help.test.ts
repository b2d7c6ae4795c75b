// Every command has its own --help, listing only the options it takes; `fortress help <command>` says
// the same; an unknown command in either gets "did you mean".
import { describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { COMMANDS } from '../../src/cli/options.js';

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { cwd: '/', stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('help', () => {
  test.each(COMMANDS)('fortress %s --help and fortress help %s print that command\'s own help', async (command) => {
    const flag = await cli(command, '--help');
    expect(flag).toMatchObject({ code: 0, stderr: '' });
    expect(flag.stdout).toMatch(new RegExp(`^Usage: fortress ${command} `));
    expect(flag.stdout).not.toContain('Commands:');
    expect(await cli('help', command)).toEqual(flag);
  });

  test('a command lists only its own options', async () => {
    const render = (await cli('render', '--help')).stdout;
    expect(render).toContain('--check');
    expect(render).not.toMatch(/--dry-run|--base|--hosts|--exit-code/);
    const apply = (await cli('apply', '-h')).stdout;
    expect(apply).toMatch(/--dry-run[\s\S]*--hosts a,b[\s\S]*--confirm-timeout S/);
    expect(apply).not.toContain('--check');
    expect((await cli('diff', '--help')).stdout).toContain('--format text|markdown|json');
  });

  test('fortress help and fortress --help print every command; an unknown topic gets did-you-mean', async () => {
    const all = await cli('help');
    expect(all.code).toBe(0);
    for (const command of COMMANDS) expect(all.stdout).toContain(`  ${command}`);
    expect(await cli('--help')).toEqual(all);
    expect(await cli('help', 'rendr')).toEqual({ code: 2, stdout: '', stderr: 'fortress: error FT501: unknown command "rendr" (did you mean "render"?)\nrun `fortress --help` for the commands and their options\n' });
  });
});
