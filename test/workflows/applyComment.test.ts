// scripts/github/applyComment.mjs, the apply workflow's comment job, run as the workflow runs it
// (`node scripts/github/applyComment.mjs <apply JSON report> <apply job result>`) against a recorded
// GitHub API on 127.0.0.1: the pull request merged as the commit gets one comment with the table
// `fortress apply` writes to the job summary, updated when the workflow runs again; a commit no pull
// request merged gets nothing; the report is untrusted data, shown only as escaped cells; failures are
// one clear line with a non-zero exit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import type { HostResult } from '../../src/apply/applyHost.js';
import type { HostPlan, PlannedChange } from '../../src/apply/hostPlan.js';
import { formatApplyJson, formatApplyMarkdown, summarizeResults } from '../../src/apply/formatApplyReport.js';
import { remoteText } from '../../src/apply/remoteText.js';
import { recorded, runCommand, startRecordedGitHub, withFields, type ReceivedRequest, type RecordedGitHub, type RecordedResponse } from './recordedGitHub.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const script = 'scripts/github/applyComment.mjs';
const work = mkdtempSync(join(tmpdir(), 'fortress-apply-comment-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const marker = '<!-- fortress-apply -->';
const sha = '9f2c1e7b4a5d6c3e8f0a1b2c3d4e5f60718293a4';
const runUrl = 'https://github.com/acme/infra/actions/runs/11876549999';
const pullsOfCommit = `/repos/acme/infra/commits/${sha}/pulls?per_page=100`;
const commentsOf7 = '/repos/acme/infra/issues/7/comments?per_page=100';

const change = (action: PlannedChange['action'], hostPath: string, reload: PlannedChange['reload']): PlannedChange => ({
  action,
  path: `hosts/x${hostPath}`,
  hostPath,
  mode: '0600',
  reload,
  content: '',
  sha256: '0'.repeat(64),
  expected: undefined,
});
const plan = (host: string, isHub: boolean, changes: PlannedChange[], disruption: HostPlan['disruption']): HostPlan => ({
  host,
  isHub,
  changes,
  wireguard: disruption,
  haproxy: 'none',
  disruption,
  rotateKey: false,
});
/** What apply reports after a merge that moved the hub: the hub and one spoke applied, one host unchanged. */
const converged: HostResult[] = [
  { host: 'oslo-db-01', isHub: true, result: 'applied', plan: plan('oslo-db-01', true, [change('put', '/etc/wireguard/wg0.conf', 'wireguard')], 'restart'), rttMs: 0.41, seconds: 3.2 },
  {
    host: 'fra-app-01',
    isHub: false,
    result: 'applied',
    plan: plan('fra-app-01', false, [change('put', '/etc/wireguard/wg0.conf', 'wireguard'), change('remove', '/etc/haproxy/haproxy.cfg', 'haproxy')], 'live'),
    rttMs: 21.37,
    seconds: 4.05,
  },
  { host: 'lon-app-01', isHub: false, result: 'unchanged', plan: plan('lon-app-01', false, [], 'none'), rttMs: 24.9, seconds: 0.9 },
];
const jsonReport = (results: HostResult[]) => `${JSON.stringify(formatApplyJson(results, false), null, 2)}\n`;

const mergedPull = recorded('pull-request');
const botComment = recorded('issue-comment');

let github: RecordedGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

async function runApplyComment(routes: Record<string, RecordedResponse>, options: { report?: string | undefined; result?: string; env?: Record<string, string> } = {}) {
  github = await startRecordedGitHub(routes);
  const reportPath = join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  const text = 'report' in options ? options.report : jsonReport(converged);
  if (text !== undefined) writeFileSync(reportPath, text);
  const env = {
    GITHUB_TOKEN: 'ghs_recordedtoken',
    GITHUB_REPOSITORY: 'acme/infra',
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '11876549999',
    GITHUB_SHA: sha,
    ...options.env,
  };
  const run = await runCommand('node', [script, reportPath, options.result ?? 'success'], { cwd: repoRoot, env });
  return { ...run, requests: github.requests };
}
const calls = (requests: ReceivedRequest[]) => requests.map((r) => `${r.method} ${r.path}`);
const writes = (requests: ReceivedRequest[]) => requests.filter((r) => r.method !== 'GET');
const postedBody = (requests: ReceivedRequest[]) => {
  const posted = writes(requests);
  expect(posted).toHaveLength(1);
  return (posted[0]!.body as { body: string }).body;
};
/** One merged pull request, no comment yet: the comment is created. */
const firstRun = { [`GET ${pullsOfCommit}`]: { body: [mergedPull] }, [`GET ${commentsOf7}`]: { body: [] }, 'POST /repos/acme/infra/issues/7/comments': { status: 201, body: botComment } };

// Each runs node: a second or so apiece on a busy machine.
describe('which pull request', { timeout: 30_000 }, () => {
  test('a commit no pull request made: nothing is written', async () => {
    const run = await runApplyComment({ [`GET ${pullsOfCommit}`]: { body: [] } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`no pull request was merged as ${sha}: nothing to comment on\n`);
    expect(calls(run.requests)).toEqual([`GET ${pullsOfCommit}`]);
  });

  test('a commit that only an open pull request holds: nothing is written', async () => {
    const open = withFields(mergedPull, { number: 8, state: 'open', merged_at: null, closed_at: null, merge_commit_sha: null });
    const run = await runApplyComment({ [`GET ${pullsOfCommit}`]: { body: [open] } });
    expect(run.code).toBe(0);
    expect(calls(run.requests)).toEqual([`GET ${pullsOfCommit}`]);
  });

  test('one merged pull request: one comment on it, as the job token', async () => {
    const run = await runApplyComment(firstRun);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('commented on pull request #7\n');
    expect(calls(run.requests)).toEqual([`GET ${pullsOfCommit}`, `GET ${commentsOf7}`, 'POST /repos/acme/infra/issues/7/comments']);
    for (const request of run.requests) expect([request.authorization, request.apiVersion]).toEqual(['Bearer ghs_recordedtoken', '2022-11-28']);
  });

  test('the pull request merged as this commit, not another merged one that holds it', async () => {
    const older = withFields(mergedPull, { number: 5, merge_commit_sha: '1'.repeat(40) });
    const run = await runApplyComment({ ...firstRun, [`GET ${pullsOfCommit}`]: { body: [older, mergedPull] } });
    expect(calls(writes(run.requests))).toEqual(['POST /repos/acme/infra/issues/7/comments']);
  });

  test('the workflow run again: the same comment is updated, not a person\'s comment that quotes the marker', async () => {
    const quoting = withFields(recorded('issue-comment'), { id: 2498100001, user: mergedPull.user, body: `what does ${marker} mean?` });
    const run = await runApplyComment({
      [`GET ${pullsOfCommit}`]: { body: [mergedPull] },
      [`GET ${commentsOf7}`]: { body: [quoting, botComment] },
      'PATCH /repos/acme/infra/issues/comments/2498113370': { body: botComment },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('updated the comment on pull request #7\n');
    expect(calls(writes(run.requests))).toEqual(['PATCH /repos/acme/infra/issues/comments/2498113370']);
    expect(postedBody(run.requests)).toContain(formatApplyMarkdown(converged));
  });

  test('finds its comment on a later page of a long thread', async () => {
    const page2 = '/repos/acme/infra/issues/7/comments?per_page=100&page=2';
    const run = await runApplyComment({
      [`GET ${pullsOfCommit}`]: { body: [mergedPull] },
      [`GET ${commentsOf7}`]: { body: [withFields(botComment, { id: 1, body: 'unrelated' })], headers: { link: `<http://127.0.0.1:{port}${page2}>; rel="next"` } },
      [`GET ${page2}`]: { body: [botComment] },
      'PATCH /repos/acme/infra/issues/comments/2498113370': { body: botComment },
    });
    expect(calls(run.requests)).toEqual([`GET ${pullsOfCommit}`, `GET ${commentsOf7}`, `GET ${page2}`, 'PATCH /repos/acme/infra/issues/comments/2498113370']);
  });
});

describe('what the comment says', { timeout: 60_000 }, () => {
  test("the table and counts fortress apply writes to the job summary, under the marker, with the commit and the run", async () => {
    const body = postedBody((await runApplyComment(firstRun)).requests);
    expect(body).toBe(
      `${marker}\n### fortress apply of ${sha.slice(0, 12)}\n\nEvery host converged to this merge. See [the run](${runUrl}).\n\n` +
        `${formatApplyMarkdown(converged)}\n${summarizeResults(converged)}\n`,
    );
    expect(body).toContain('| oslo-db-01 (hub) | 1 | restart | applied | 0.41 ms | 3.2 s |');
    expect(body).toContain('| fra-app-01 | 2 | live | applied | 21.37 ms | 4.0 s |');
  });

  test('a failed apply: how many hosts failed, the job result, and the hosts\' messages as plain cells', async () => {
    const hostile = remoteText('verify: no handshake\n\n# Approved by security\n[click](https://evil.example) | cell <img src=x> @kari');
    const failed: HostResult[] = [
      converged[0]!,
      { host: 'fra-app-01', isHub: false, result: 'rolled back', plan: converged[1]!.plan!, seconds: 31.5, message: hostile },
      { host: 'lon-app-01', isHub: false, result: 'skipped', seconds: 0, message: 'the hub failed' },
    ];
    const body = postedBody((await runApplyComment(firstRun, { report: jsonReport(failed), result: 'failure' })).requests);
    expect(body).toContain(`Apply failed on 2 of 3 hosts. See [the run](${runUrl}). The apply job's result: failure.\n`);
    expect(body).toContain(formatApplyMarkdown(failed));
    expect(body).not.toMatch(/(^|[^\\])\[click\]\(/);
    expect(body).not.toContain('<img');
    expect(body).not.toMatch(/^# Approved/m);
  });

  test('a refused apply (render out of date): its problems, and that no host was changed', async () => {
    const refused = { errorCount: 2, diagnostics: [
      { code: 'FT601', severity: 'error', message: 'out of date: this file differs from what the topology renders', span: { file: 'rendered/hosts/fra-app-01/etc/wireguard/wg0.conf' } },
      { code: 'FT602', severity: 'error', message: 'missing: the topology renders this file', span: { file: 'rendered/hosts/fra-app-01/cloud-init.yaml' } },
    ] };
    const body = postedBody((await runApplyComment(firstRun, { report: JSON.stringify(refused), result: 'failure' })).requests);
    expect(body).toContain('Apply refused to start, so no host was changed: 2 problems.');
    expect(body).toContain('- FT601: out of date: this file differs from what the topology renders\n- FT602: missing: the topology renders this file\n');
  });

  test('no report (the apply job stopped before apply, or was rejected): a fixed sentence', async () => {
    for (const report of [undefined, '', 'not json', '{"hosts": "many"}', 'null']) {
      const body = postedBody((await runApplyComment(firstRun, { report, result: 'failure' })).requests);
      expect(body, String(report)).toBe(
        `${marker}\n### fortress apply of ${sha.slice(0, 12)}\n\nApply left no report to show: it stopped before reaching the hosts, or its report could not be read. See [the run](${runUrl}). The apply job's result: failure.\n\n`,
      );
      await github?.close();
      github = undefined;
    }
  });

  test('an untrusted report: only known fields, every value escaped, nothing evaluated', async () => {
    const forged = {
      ok: true,
      hosts: [
        { host: 'h1 | <script>alert(1)</script>\n### Approved', isHub: 'yes', result: 'applied', seconds: '1', rttMs: Infinity, disruption: { toString: 1 } },
        { host: ['x'], result: '${process.exit(1)}`', changedFiles: 'all', removedFiles: [], message: '<!-- fortress-apply -->' },
        null,
      ],
      comment: '<!-- fortress-apply -->\n@everyone',
    };
    const body = postedBody((await runApplyComment(firstRun, { report: JSON.stringify(forged), result: 'not-a-result' })).requests);
    const rows = body.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| host') && !line.startsWith('| ---'));
    expect(rows).toEqual([
      String.raw`| h1 \| &lt;script&gt;alert(1)&lt;/script&gt; ### Approved | - | - | applied | - | - |`,
      String.raw`| ? | - | - | ${'${'}process.exit(1)}\`: &lt;!-- fortress-apply --&gt; | - | - |`,
      '| ? | - | - | ? | - | - |',
    ]);
    expect(body).not.toContain('@everyone');
    expect(body.split(marker)).toHaveLength(2);
    expect(body).toContain("The apply job's result: unknown.");
  });

  test('a table over the 65,536-character limit is cut at a row, with a note', async () => {
    const many: HostResult[] = Array.from({ length: 2_000 }, (_, i) => ({ host: `app-${String(i).padStart(4, '0')}`, isHub: false, result: 'unchanged', plan: plan(`app-${i}`, false, [], 'none'), rttMs: 20, seconds: 1 }));
    const body = postedBody((await runApplyComment(firstRun, { report: jsonReport(many) })).requests);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/\| app-\d{4} \| 0 \| none \| unchanged \| 20\.00 ms \| 1\.0 s \|\n\n…the table is cut here to fit GitHub's limit of 65,536 characters: the whole table is in the job summary of \[the run\]\(.*\)\.$/);
  });
});

describe('failures: one clear line, a non-zero exit, no stack trace', { timeout: 30_000 }, () => {
  test('the API refuses the comment', async () => {
    const run = await runApplyComment({ ...firstRun, 'POST /repos/acme/infra/issues/7/comments': { status: 403, body: recorded('forbidden') } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "fortress apply comment: POST /repos/acme/infra/issues/7/comments: the GitHub API answered 403 Forbidden: Resource not accessible by integration (does the job's permissions block grant this?)\n",
    );
  });

  test('the commit lookup fails: nothing is written', async () => {
    const run = await runApplyComment({ [`GET ${pullsOfCommit}`]: { status: 422, body: { message: 'No commit found for SHA: 9f2c1e7b' } } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`fortress apply comment: GET ${pullsOfCommit}: the GitHub API answered 422 Unprocessable Entity: No commit found for SHA: 9f2c1e7b\n`);
    expect(writes(run.requests)).toEqual([]);
  });

  test('no commit, or no token: no request', async () => {
    const noSha = await runApplyComment(firstRun, { env: { GITHUB_SHA: 'main; echo' } });
    expect(noSha).toMatchObject({ code: 2, stderr: 'fortress apply comment: GITHUB_SHA is "main; echo", not a commit\n', requests: [] });
    await github?.close();
    const noToken = await runApplyComment(firstRun, { env: { GITHUB_TOKEN: '' } });
    expect(noToken).toMatchObject({ code: 2, requests: [] });
    expect(noToken.stderr).toMatch(/^fortress apply comment: GITHUB_TOKEN is not set/);
  });
});
