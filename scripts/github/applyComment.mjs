#!/usr/bin/env node
// Comments the result of an apply on the pull request that was merged as the commit it applied, for
// the apply workflow's comment job (.github/workflows/apply.yml):
//
//   node scripts/github/applyComment.mjs <apply JSON report> <apply job result>
//
// The pull request is found from the commit (GET /repos/{owner}/{repo}/commits/{sha}/pulls): a commit
// that no merged pull request made gets no comment. One comment per pull request, found by its hidden
// marker and updated in place when the workflow runs again.
//
// The report comes from another job, as an artifact: it is untrusted data. It is parsed as JSON and
// only known fields are read; every value goes into the table as escaped text, the same table
// `fortress apply` writes to the job summary (src/apply/formatApplyReport.ts). Nothing in it is
// evaluated, and a report that cannot be read gives a fixed sentence instead.
//
// Environment: GITHUB_TOKEN (pull-requests: write), GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SHA;
// GITHUB_SERVER_URL and GITHUB_RUN_ID for a link to the run. Exits 1 on an API error, 2 on a bad
// argument.
import { fitBody, githubFromEnvironment, readOptionalText, runMain, ScriptError } from './githubApi.mjs';

const MARKER = '<!-- fortress-apply -->';
const NAME = 'fortress apply comment';
const JOB_RESULTS = ['success', 'failure', 'cancelled', 'skipped'];
const COLUMNS = ['host', 'changed files', 'disruption', 'result', 'rtt', 'time'];
const OK_RESULTS = ['unchanged', 'planned', 'applied'];

/** One plain table cell: no line break, no HTML, no link, code, emphasis or column of its own. */
function escapeCell(text) {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

const text = (value) => (typeof value === 'string' ? value : undefined);
const number = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** A host of the JSON report as a row: the columns and wording of formatApplyMarkdown. */
function hostRow(host) {
  const name = text(host?.host) ?? '?';
  const planned = Array.isArray(host?.changedFiles) && Array.isArray(host?.removedFiles);
  const result = text(host?.result) ?? '?';
  const message = text(host?.message);
  const rtt = number(host?.rttMs);
  const seconds = number(host?.seconds);
  return [
    host?.isHub === true ? `${name} (hub)` : name,
    planned ? String(host.changedFiles.length + host.removedFiles.length) : '-',
    text(host?.disruption) ?? '-',
    message ? `${result}: ${message}` : result,
    rtt === undefined ? '-' : `${rtt.toFixed(2)} ms`,
    seconds === undefined ? '-' : `${seconds.toFixed(1)} s`,
  ];
}

function resultCounts(hosts) {
  const count = (kind) => hosts.filter((host) => host?.result === kind).length;
  const rollbackFailed = count('ROLLBACK FAILED');
  return `${count('applied')} applied, ${count('unchanged')} unchanged, ${count('planned')} planned, ${count('failed')} failed, ${count('rolled back')} rolled back, ${count('skipped')} skipped${rollbackFailed ? `, ${rollbackFailed} ROLLBACK FAILED` : ''}`;
}

/** What the comment says about a report (undefined: none), as a verdict sentence and details. */
function describeApply(reportText) {
  let report;
  try {
    report = reportText === undefined ? undefined : JSON.parse(reportText);
  } catch {
    report = undefined;
  }
  if (Array.isArray(report?.hosts)) {
    const hosts = report.hosts;
    const failed = hosts.filter((host) => !OK_RESULTS.includes(host?.result)).length;
    const verdict = hosts.length === 0 ? 'No host to apply to.' : failed === 0 ? 'Every host converged to this merge.' : `Apply failed on ${failed} of ${hosts.length} hosts.`;
    const table = [`| ${COLUMNS.join(' | ')} |`, `| ${COLUMNS.map(() => '---').join(' | ')} |`, ...hosts.map((host) => `| ${hostRow(host).map(escapeCell).join(' | ')} |`)].join('\n');
    return { dryRun: report.dryRun === true, verdict, details: `${table}\n\n${resultCounts(hosts)}\n` };
  }
  if (Array.isArray(report?.diagnostics)) {
    const problems = report.diagnostics.map((d) => `- ${escapeCell(text(d?.code) ?? '?')}: ${escapeCell(text(d?.message) ?? '?')}`);
    return { verdict: `Apply refused to start, so no host was changed: ${problems.length === 1 ? 'one problem' : `${problems.length} problems`}.`, details: `${problems.join('\n')}\n` };
  }
  return { verdict: 'Apply left no report to show: it stopped before reaching the hosts, or its report could not be read.', details: '' };
}

function commentBody(reportText, jobResult, sha, runUrl) {
  const runLink = runUrl ? `[the run](${runUrl})` : 'the run';
  const { dryRun, verdict, details } = describeApply(reportText);
  const jobNote = jobResult === 'success' ? '' : ` The apply job's result: ${jobResult}.`;
  const head = `${MARKER}\n### fortress apply${dryRun ? ' (dry run)' : ''} of ${sha.slice(0, 12)}\n\n${verdict} See ${runLink}.${jobNote}\n\n`;
  const cutNote = `…the table is cut here to fit GitHub's limit of 65,536 characters: the whole table is in the job summary of ${runLink}.`;
  return fitBody(head, details, '', cutNote);
}

/** The pull requests merged as this commit; any merged one that holds it when none was merged as it exactly. */
function mergedAs(pulls, sha) {
  const merged = pulls.filter((pull) => typeof pull?.merged_at === 'string' && Number.isInteger(pull?.number));
  const exact = merged.filter((pull) => pull.merge_commit_sha === sha);
  return exact.length > 0 ? exact : merged;
}

async function main(argv, env) {
  if (argv.length !== 2) throw new ScriptError('usage: applyComment.mjs <apply JSON report> <apply job result>', 2);
  const [reportPath, result] = argv;
  const jobResult = JOB_RESULTS.includes(result) ? result : 'unknown';
  const sha = env.GITHUB_SHA ?? '';
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new ScriptError(`GITHUB_SHA is ${JSON.stringify(sha)}, not a commit`, 2);
  const reportText = readOptionalText(reportPath);

  const github = githubFromEnvironment(env);
  const repo = `/repos/${github.repository}`;
  const pulls = mergedAs(await github.paginate(`${repo}/commits/${sha}/pulls?per_page=100`), sha);
  if (pulls.length === 0) {
    process.stdout.write(`no pull request was merged as ${sha}: nothing to comment on\n`);
    return 0;
  }
  const body = commentBody(reportText, jobResult, sha, github.runUrl);
  for (const { number } of pulls) {
    const comments = await github.paginate(`${repo}/issues/${number}/comments?per_page=100`);
    // A person's comment that quotes the marker is not ours to overwrite.
    const previous = comments.find((comment) => comment?.user?.type === 'Bot' && typeof comment?.body === 'string' && comment.body.includes(MARKER));
    if (previous) {
      await github.request('PATCH', `${repo}/issues/comments/${previous.id}`, { body });
      process.stdout.write(`updated the comment on pull request #${number}\n`);
    } else {
      await github.request('POST', `${repo}/issues/${number}/comments`, { body });
      process.stdout.write(`commented on pull request #${number}\n`);
    }
  }
  return 0;
}

await runMain(NAME, () => main(process.argv.slice(2), process.env));
