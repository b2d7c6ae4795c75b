// Both workflows keep GitHub's hardening guidance: actions pinned to verified commit SHAs,
// checkouts that leave no token behind, the pull request's code only in read-only jobs, no
// expression pasted into a script, and apply's deploy key on disk only around the apply step. The
// review comment is computed by the base branch's fortress in a job that runs no code from the pull
// request. Each check is also shown failing on a workflow that breaks its promise.
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
  deployKeyProblems,
  effectivePermissions,
  expressionsInScripts,
  parseWorkflow,
  reviewJobProblems,
  securityProblems,
  unpinnedActions,
  verifiedPins,
  workflowWidePermissions,
  type Step,
  type Workflow,
} from './securityPromises.js';

const workflowsDir = new URL('../../.github/workflows/', import.meta.url).pathname;
const reviewText = readFileSync(join(workflowsDir, 'review.yml'), 'utf8');
const applyText = readFileSync(join(workflowsDir, 'apply.yml'), 'utf8');

/** A changed copy of a workflow, written back as YAML (comments are not kept). */
function changed(text: string, change: (workflow: Workflow) => void): Workflow {
  const workflow = structuredClone(parseWorkflow(text));
  change(workflow);
  return parseWorkflow(stringify(workflow));
}

describe.each([
  ['review.yml', reviewText],
  ['apply.yml', applyText],
])('%s', (_file, text) => {
  test('keeps every promise', () => {
    expect(securityProblems(text)).toEqual([]);
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
});
