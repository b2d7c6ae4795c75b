// The apply workflow: on merge to main only, queued never cancelled, behind an environment, the key
// from a secret into a private file, and the same npm scripts the tests run; then the result
// commented on the merged pull request by a second job that holds the only write permission and runs
// only scripts/github/applyComment.mjs, its step run as the runner runs it against a recorded API.
// (Linted with actionlint together with every workflow in reviewWorkflow.test.ts; pins, credentials,
// the writing job and the key's lifetime are checked in hardening.test.ts; the script itself in
// applyComment.test.ts.)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../support/compileExample.js';
import { recorded, runStepScript, startRecordedGitHub } from './recordedGitHub.js';
import type { Workflow } from './securityPromises.js';

const text = readFileSync(`${repoRoot}.github/workflows/apply.yml`, 'utf8');
const workflow = parse(text) as {
  on: { push: { branches: string[]; paths: string[] } };
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: {
    apply: {
      environment: string;
      permissions: Record<string, string>;
      steps: { name?: string; if?: string; run?: string; env?: Record<string, string>; uses?: string; with?: Record<string, string> }[];
    };
  };
};
const scripts = (JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
const steps = workflow.jobs.apply.steps;

test('runs on pushes to main that touch the topology or the render, and nothing else', () => {
  expect(Object.keys(workflow.on)).toEqual(['push']);
  expect(workflow.on.push).toEqual({ branches: ['main'], paths: ['topology/**', 'rendered/**'] });
  expect(workflow.permissions).toEqual({});
  expect(workflow.jobs.apply.permissions).toEqual({ contents: 'read' });
});

test('queues rather than cancels, behind a deployment environment', () => {
  expect(workflow.concurrency).toEqual({ group: 'fortress-apply', 'cancel-in-progress': false });
  expect(workflow.jobs.apply.environment).toBe('production');
});

test('checks the render, then applies with the key from a secret, and keeps the JSON report', () => {
  const runs = steps.filter((s) => s.run).map((s) => s.run!);
  expect(runs.indexOf('npm run review:check')).toBeLessThan(runs.findIndex((r) => r.includes('apply:run')));
  for (const run of runs) {
    expect(run).not.toContain('${{');
    for (const [, script] of run.matchAll(/npm run (?:--silent )?([\w:]+)/g)) expect(scripts, script).toHaveProperty(script!);
  }
  expect(scripts['review:check']).toBe('node dist/cli/main.js render --check --format github');
  expect(scripts['apply:run']).toBe('node dist/cli/main.js apply');
  const key = steps.find((s) => s.env?.FORTRESS_SSH_PRIVATE_KEY)!;
  expect(key.env!.FORTRESS_SSH_PRIVATE_KEY).toBe('${{ secrets.FORTRESS_SSH_PRIVATE_KEY }}');
  expect(key.run).toContain('umask 077');
  expect(steps.find((s) => s.run?.includes('apply:run'))!.env).toEqual({ FORTRESS_SSH_KEY: '${{ runner.temp }}/fortress_ssh_key' });
  expect(steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!.with!.path).toBe('${{ runner.temp }}/fortress-apply.json');
});

test('removes the key whatever happened, then uploads the report of any apply that ran', () => {
  const applyIndex = steps.findIndex((s) => s.run?.includes('apply:run'));
  expect(steps.slice(applyIndex + 1).map(({ name, if: condition, run, uses }) => ({ name, if: condition, run, uses: uses?.replace(/@.*/, '') }))).toEqual([
    { name: 'Remove the SSH key', if: '${{ always() }}', run: 'rm -f "$RUNNER_TEMP/fortress_ssh_key"', uses: undefined },
    { name: 'Report', if: "${{ !cancelled() && steps.apply.outcome != 'skipped' }}", run: undefined, uses: 'actions/upload-artifact' },
  ]);
});

describe('the comment on the merged pull request', () => {
  const apply = parse(text) as Workflow;
  const comment = apply.jobs.comment!;

  test('a second job after apply, also after a failed one, that can only write to pull requests', () => {
    expect(Object.keys(apply.jobs)).toEqual(['apply', 'comment']);
    expect(comment.needs).toBe('apply');
    expect(comment.if).toBe("${{ !cancelled() && needs.apply.result != 'skipped' }}");
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(comment.environment).toBeUndefined();
  });

  test('the apply job hands over the id of the report it uploaded', () => {
    expect(apply.jobs.apply!.outputs).toEqual({ 'artifact-id': '${{ steps.report.outputs.artifact-id }}' });
    expect(steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))).toMatchObject({ name: 'Report', with: { name: 'fortress-apply-report' } });
    expect(apply.jobs.apply!.steps.find((s) => s.name === 'Report')!.id).toBe('report');
  });

  test('the scripts alone, the report by id, then the script, which never fails the run', () => {
    expect(comment.steps.map((s) => s.uses?.replace(/@.*/, '') ?? s.run)).toEqual([
      'actions/checkout',
      'actions/download-artifact',
      'node scripts/github/applyComment.mjs "$RUNNER_TEMP/fortress-apply/fortress-apply.json" "$APPLY_RESULT"',
    ]);
    const [checkout, download, post] = comment.steps;
    expect(checkout!.with).toEqual({ 'sparse-checkout': 'scripts/github', 'sparse-checkout-cone-mode': false, 'persist-credentials': false });
    expect(download).toMatchObject({
      if: "${{ needs.apply.outputs.artifact-id != '' }}",
      'continue-on-error': true,
      with: { 'artifact-ids': '${{ needs.apply.outputs.artifact-id }}', 'merge-multiple': true, path: '${{ runner.temp }}/fortress-apply' },
    });
    expect(download!.with).not.toHaveProperty('name');
    expect(post!.env).toEqual({ GITHUB_TOKEN: '${{ github.token }}', APPLY_RESULT: '${{ needs.apply.result }}' });
    expect(post!['continue-on-error']).toBe(true);
  });

  test("the comment step's script, as the runner runs it, reads the downloaded report and comments", { timeout: 30_000 }, async () => {
    const sha = recorded<{ merge_commit_sha: string }>('pull-request').merge_commit_sha;
    const github = await startRecordedGitHub({
      [`GET /repos/acme/infra/commits/${sha}/pulls`]: { body: [recorded('pull-request')] },
      'GET /repos/acme/infra/issues/7/comments': { body: [] },
      'POST /repos/acme/infra/issues/7/comments': { status: 201, body: recorded('issue-comment') },
    });
    const runnerTemp = mkdtempSync(join(tmpdir(), 'fortress-apply-comment-step-'));
    try {
      const dir = String(comment.steps[1]!.with!.path).replace('${{ runner.temp }}', runnerTemp);
      mkdirSync(dir, { recursive: true });
      // The uploaded file, under the name the apply step wrote it as.
      expect(steps.find((s) => s.run?.includes('apply:run'))!.run).toMatch(/ > "\$RUNNER_TEMP\/fortress-apply\.json"$/);
      const report = { ok: true, dryRun: false, hosts: [{ host: 'oslo-db-01', isHub: true, result: 'unchanged', seconds: 0.8, disruption: 'none', changedFiles: [], removedFiles: [] }] };
      writeFileSync(join(dir, 'fortress-apply.json'), JSON.stringify(report));
      const run = await runStepScript(comment.steps[2]!.run!, {
        cwd: repoRoot,
        env: { RUNNER_TEMP: runnerTemp, GITHUB_TOKEN: 'ghs_recordedtoken', APPLY_RESULT: 'success', GITHUB_SHA: sha, GITHUB_REPOSITORY: 'acme/infra', GITHUB_API_URL: github.url },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(github.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'POST']);
      expect((github.requests[2]!.body as { body: string }).body).toContain('| oslo-db-01 (hub) | 0 | none | unchanged | - | 0.8 s |');
    } finally {
      await github.close();
      rmSync(runnerTemp, { recursive: true, force: true });
    }
  });

  test('`fortress init` writes the same comment job', () => {
    const template = parse(readFileSync(`${repoRoot}src/init/templates/apply.yml`, 'utf8')) as Workflow;
    expect(template.jobs.comment).toEqual(comment);
    expect(template.jobs.apply!.outputs).toEqual(apply.jobs.apply!.outputs);
    expect(template.jobs.apply!.steps.find((s) => s.name === 'Report')).toEqual(apply.jobs.apply!.steps.find((s) => s.name === 'Report'));
  });
});
