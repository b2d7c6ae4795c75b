// The apply workflow: on merge to main only, queued never cancelled, behind an environment, the key
// from a secret into a private file, and the same npm scripts the tests run. (Linted with actionlint
// together with every workflow in reviewWorkflow.test.ts; pins, credentials and the key's lifetime
// are checked in hardening.test.ts.)
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { expect, test } from 'vitest';
import { repoRoot } from '../support/compileExample.js';

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
