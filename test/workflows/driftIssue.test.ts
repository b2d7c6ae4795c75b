// scripts/github/driftIssue.mjs, the drift workflow's issue logic, run as the workflow runs it
// (`node scripts/github/driftIssue.mjs <report> <status exit code>`) against a recorded GitHub API on
// 127.0.0.1: exactly one open issue labelled fortress-drift while status finds a problem (created,
// then updated, never a second), closed with a comment when all is well, nothing written when there
// is nothing to do, and every failure one clear line with a non-zero exit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { recorded, runCommand, startRecordedGitHub, withFields, type ReceivedRequest, type RecordedGitHub, type RecordedResponse } from './recordedGitHub.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const script = 'scripts/github/driftIssue.mjs';
const work = mkdtempSync(join(tmpdir(), 'fortress-drift-issue-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const marker = '<!-- fortress-drift -->';
const listing = '/repos/acme/infra/issues?state=open&labels=fortress-drift&sort=created&direction=asc&per_page=100';
/** What fortress status --format markdown prints when something is wrong (the report is status's own work). */
const report = [
  '## fortress status',
  '',
  '| host | reachable | drift | tunnel | rtt |',
  '| --- | --- | --- | --- | --- |',
  '| fra-app-01 | yes | 1 file: /etc/wireguard/wg0.conf | up, handshake 12 s ago | 21.4 ms |',
  '| lon-app-01 | **no**: connect ECONNREFUSED 192.0.2.30:22 | - | - | - |',
  '',
  '<details><summary>fra-app-01</summary>',
  '',
  '```diff',
  '-MTU = 1360',
  '+MTU = 1420',
  '```',
  '',
  '</details>',
  '',
].join('\n');

const openIssue = recorded('issue');
const closedIssue = withFields(recorded('issue'), { number: 9, state: 'closed', state_reason: 'completed', closed_at: '2025-11-19T08:17:40Z' });
// The issues listing holds pull requests too; one could carry the label.
const labelledPullRequest = withFields(recorded('issue'), {
  number: 10,
  title: 'Label the drift',
  pull_request: { url: 'https://api.github.com/repos/acme/infra/pulls/10', html_url: 'https://github.com/acme/infra/pull/10', merged_at: null },
});

let github: RecordedGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

/** The script with the recorded API serving routes; the report written to a file unless it is undefined. */
async function runDriftIssue(routes: Record<string, RecordedResponse>, exitCode: string, options: { report?: string | undefined; env?: Record<string, string> } = {}) {
  github = await startRecordedGitHub(routes);
  const reportPath = join(work, `report-${Math.random().toString(36).slice(2)}.md`);
  const text = 'report' in options ? options.report : report;
  if (text !== undefined) writeFileSync(reportPath, text);
  const env = {
    GITHUB_TOKEN: 'ghs_recordedtoken',
    GITHUB_REPOSITORY: 'acme/infra',
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '11876543210',
    ...options.env,
  };
  const run = await runCommand('node', [script, reportPath, exitCode], { cwd: repoRoot, env });
  return { ...run, requests: github.requests };
}
const calls = (requests: ReceivedRequest[]) => requests.map((r) => `${r.method} ${r.path}`);
const writes = (requests: ReceivedRequest[]) => requests.filter((r) => r.method !== 'GET');

// Each runs node: a second or so apiece on a busy machine.
describe('something is wrong (status exit 1)', { timeout: 30_000 }, () => {
  test('no open issue: opens one with the label and the report, as the job token', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [] }, 'POST /repos/acme/infra/issues': { status: 201, body: openIssue } }, '1');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('opened issue #12\n');
    expect(calls(run.requests)).toEqual([`GET ${listing}`, 'POST /repos/acme/infra/issues']);
    for (const request of run.requests) {
      expect(request.authorization).toBe('Bearer ghs_recordedtoken');
      expect(request.accept).toBe('application/vnd.github+json');
      expect(request.apiVersion).toBe('2022-11-28');
    }
    const body = run.requests[1]!.body as { title: string; body: string; labels: string[] };
    expect(body.labels).toEqual(['fortress-drift']);
    expect(body.title).toBe('fortress status: hosts drifted, down or unreachable');
    expect(body.body.startsWith(`${marker}\n`)).toBe(true);
    expect(body.body).toContain('[this run](https://github.com/acme/infra/actions/runs/11876543210)');
    // The report as status wrote it: nothing escaped twice, nothing dropped.
    expect(body.body.endsWith(`\n\n${report}`)).toBe(true);
  });

  test('an open issue: updates its body, and opens no second one', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [openIssue] }, 'PATCH /repos/acme/infra/issues/12': { body: openIssue } }, '1');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('updated issue #12\n');
    expect(calls(writes(run.requests))).toEqual(['PATCH /repos/acme/infra/issues/12']);
    expect(run.requests[1]!.body).toEqual({ body: expect.stringMatching(new RegExp(`^${marker}\\n[\\s\\S]*\\n\\n## fortress status\\n`)) });
  });

  test('a listing that also returns a closed issue and a pull request: only the open issue is updated', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [closedIssue, labelledPullRequest, openIssue] }, 'PATCH /repos/acme/infra/issues/12': { body: openIssue } }, '1');
    expect(run.code).toBe(0);
    expect(calls(writes(run.requests))).toEqual(['PATCH /repos/acme/infra/issues/12']);
  });

  test('two open drift issues (a label set by hand): the oldest is updated, the other closed pointing at it', async () => {
    const newer = withFields(recorded('issue'), { number: 15 });
    const run = await runDriftIssue(
      {
        [`GET ${listing}`]: { body: [newer, openIssue] },
        'PATCH /repos/acme/infra/issues/12': { body: openIssue },
        'POST /repos/acme/infra/issues/15/comments': { status: 201, body: recorded('issue-comment') },
        'PATCH /repos/acme/infra/issues/15': { body: withFields(newer, { state: 'closed' }) },
      },
      '1',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('updated issue #12\nclosed issue #15\n');
    expect(calls(writes(run.requests))).toEqual(['PATCH /repos/acme/infra/issues/12', 'POST /repos/acme/infra/issues/15/comments', 'PATCH /repos/acme/infra/issues/15']);
    expect((run.requests[2]!.body as { body: string }).body).toMatch(/^<!-- fortress-drift -->\n#12 is the drift issue: closing this one, so that one stays open/);
    expect(run.requests[3]!.body).toEqual({ state: 'closed', state_reason: 'not_planned' });
  });

  test('a listing with only a closed issue: one new issue, the closed one left alone', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [closedIssue, labelledPullRequest] }, 'POST /repos/acme/infra/issues': { status: 201, body: openIssue } }, '1');
    expect(run.code).toBe(0);
    expect(calls(writes(run.requests))).toEqual(['POST /repos/acme/infra/issues']);
  });

  test('an issue without the label is not the drift issue', async () => {
    const unlabelled = withFields(recorded('issue'), { number: 3, labels: [] });
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [unlabelled] }, 'POST /repos/acme/infra/issues': { status: 201, body: openIssue } }, '1');
    expect(calls(writes(run.requests))).toEqual(['POST /repos/acme/infra/issues']);
  });

  test('follows the listing page by page', async () => {
    const page2 = `/repos/acme/infra/issues?state=open&labels=fortress-drift&per_page=100&page=2`;
    const run = await runDriftIssue(
      {
        [`GET ${listing}`]: { body: [labelledPullRequest], headers: { link: `<http://127.0.0.1:{port}${page2}>; rel="next", <http://127.0.0.1:{port}${page2}>; rel="last"` } },
        [`GET ${page2}`]: { body: [openIssue] },
        'PATCH /repos/acme/infra/issues/12': { body: openIssue },
      },
      '1',
    );
    expect(run.code).toBe(0);
    expect(calls(run.requests)).toEqual([`GET ${listing}`, `GET ${page2}`, 'PATCH /repos/acme/infra/issues/12']);
  });

  test('a report over the 65,536-character limit is cut at a line, with a note', async () => {
    const huge = `## fortress status\n\n${'| fra-app-01 | yes | 1 file: /etc/haproxy/haproxy.cfg | up | 20.1 ms |\n'.repeat(2_000)}`;
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [] }, 'POST /repos/acme/infra/issues': { status: 201, body: openIssue } }, '1', { report: huge });
    expect(run.code).toBe(0);
    const { body } = run.requests[1]!.body as { body: string };
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body).toContain('\n\n## fortress status\n\n| fra-app-01 |');
    expect(body).toMatch(/\| 20\.1 ms \|\n\n…the report is cut here to fit GitHub's limit of 65,536 characters: the whole report is in the job summary of \[this run\]\(https:\/\/github\.com\/acme\/infra\/actions\/runs\/11876543210\)\.$/);
  });

  test('a report of one endless line is cut too, never inside a character', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [] }, 'POST /repos/acme/infra/issues': { status: 201, body: openIssue } }, '1', { report: '🛰'.repeat(40_000) });
    const { body } = run.requests[1]!.body as { body: string };
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('…the report is cut here');
    expect(body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('all is well (status exit 0)', { timeout: 30_000 }, () => {
  test('an open issue: a comment, then closed as completed', async () => {
    const routes = {
      [`GET ${listing}`]: { body: [openIssue] },
      'POST /repos/acme/infra/issues/12/comments': { status: 201, body: recorded('issue-comment') },
      'PATCH /repos/acme/infra/issues/12': { body: withFields(openIssue, { state: 'closed' }) },
    };
    const run = await runDriftIssue(routes, '0', { report: '## fortress status\n\nAll 5 hosts are up and in step.\n' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('closed issue #12\n');
    expect(calls(writes(run.requests))).toEqual(['POST /repos/acme/infra/issues/12/comments', 'PATCH /repos/acme/infra/issues/12']);
    expect((run.requests[1]!.body as { body: string }).body).toMatch(/^<!-- fortress-drift -->\nAll is well again: .*\[the run\]\(https:\/\/github\.com\/acme\/infra\/actions\/runs\/11876543210\)\)\. Closing\.$/);
    expect(run.requests[2]!.body).toEqual({ state: 'closed', state_reason: 'completed' });
  });

  test('no open issue: nothing is written', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [closedIssue] } }, '0');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('all is well, and no drift issue is open\n');
    expect(calls(run.requests)).toEqual([`GET ${listing}`]);
  });

  test('needs no report', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [] } }, '0', { report: undefined });
    expect(run.code).toBe(0);
    expect(writes(run.requests)).toEqual([]);
  });
});

describe('failures: one clear line, a non-zero exit, no stack trace', { timeout: 30_000 }, () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at |internal error|Error:/m);

  test('status exit 2 (a usage or I/O error): no request at all', async () => {
    for (const exitCode of ['2', '', '1; rm -rf /', '01']) {
      const run = await runDriftIssue({}, exitCode);
      expect(run.code, exitCode).toBe(2);
      expect(run.stderr).toBe(`fortress drift issue: fortress status exited with ${JSON.stringify(exitCode)} (a usage or I/O error, or it did not run): the drift issue is left as it is\n`);
      expect(run.requests).toEqual([]);
    }
  });

  test('exit 1 without a report (status refused to start: an invalid topology): no request', async () => {
    for (const report of [undefined, '', '\n']) {
      const run = await runDriftIssue({}, '1', { report });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^fortress drift issue: fortress status exited with 1 but left no report at \S+ \(it refused to start: see the status job's log\): the drift issue is left as it is\n$/);
      expect(run.requests).toEqual([]);
      await github?.close();
      github = undefined;
    }
  });

  test('the API refuses a write', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [] }, 'POST /repos/acme/infra/issues': { status: 403, body: recorded('forbidden') } }, '1');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "fortress drift issue: POST /repos/acme/infra/issues: the GitHub API answered 403 Forbidden: Resource not accessible by integration (does the job's permissions block grant this?)\n",
    );
    noStack(run.stderr);
  });

  test('GitHub drops the label of the new issue (the token may not set labels): it says so, as the next run would open another', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [] }, 'POST /repos/acme/infra/issues': { status: 201, body: withFields(openIssue, { labels: [] }) } }, '1');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'fortress drift issue: opened issue #12, but GitHub dropped its fortress-drift label, so the next run would open another: give the job `issues: write`, or create the label and add it to the issue by hand\n',
    );
  });

  test('the API fails on the listing: nothing is written', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { status: 502, body: { message: 'Server Error' } } }, '0');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`fortress drift issue: GET ${listing}: the GitHub API answered 502 Bad Gateway: Server Error\n`);
    expect(writes(run.requests)).toEqual([]);
  });

  test('the API cannot be reached', async () => {
    github = await startRecordedGitHub({});
    const closedUrl = github.url;
    await github.close();
    github = undefined;
    const reportPath = join(work, 'unreachable.md');
    writeFileSync(reportPath, report);
    const run = await runCommand('node', [script, reportPath, '1'], { cwd: repoRoot, env: { GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'acme/infra', GITHUB_API_URL: closedUrl } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^fortress drift issue: GET /repos/acme/infra/issues\\?\\S+: the GitHub API at ${closedUrl.replace(/\./g, '\\.')} could not be reached \\(.*ECONNREFUSED.*\\)\\n$`));
    noStack(run.stderr);
  });

  test('a next page at another origin: the token is not sent there', async () => {
    const run = await runDriftIssue({ [`GET ${listing}`]: { body: [], headers: { link: '<https://attacker.example/repos/acme/infra/issues?page=2>; rel="next"' } } }, '1');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`fortress drift issue: GET ${listing}: the next page is at another origin (https://attacker.example)\n`);
    expect(calls(run.requests)).toEqual([`GET ${listing}`]);
  });

  test('no token, a malformed repository, wrong arguments', async () => {
    expect((await runDriftIssue({}, '1', { env: { GITHUB_TOKEN: '' } })).stderr).toBe(
      'fortress drift issue: GITHUB_TOKEN is not set: pass the job token to the step (env: GITHUB_TOKEN: ${{ github.token }})\n',
    );
    const badRepository = await runDriftIssue({}, '1', { env: { GITHUB_REPOSITORY: 'acme/infra/../../x' } });
    expect(badRepository).toMatchObject({ code: 2, stderr: 'fortress drift issue: GITHUB_REPOSITORY is "acme/infra/../../x", not owner/name\n', requests: [] });
    const usage = await runCommand('node', [script], { cwd: repoRoot, env: {} });
    expect(usage).toEqual({ code: 2, stdout: '', stderr: 'fortress drift issue: usage: driftIssue.mjs <markdown report> <status exit code>\n' });
  });
});
