#!/usr/bin/env node
// Keeps one open issue labelled fortress-drift in step with `fortress status`, for the drift
// workflow (.github/workflows/drift.yml):
//
//   node scripts/github/driftIssue.mjs <markdown report> <status exit code>
//
// Exit code 1 (a host drifted, down or unreachable): the open issue's body becomes the report, or a
// new issue is opened with it (a second open one, should there be one, is closed). Exit code 0 (all is well): the open issue gets a comment and is closed;
// with none open, nothing is written. Any other exit code (a usage or I/O error of status) changes
// nothing and fails. The report is posted as status wrote it (status made it safe markdown), cut to
// GitHub's body limit.
//
// Environment: GITHUB_TOKEN (issues: write), GITHUB_REPOSITORY and GITHUB_API_URL; GITHUB_SERVER_URL
// and GITHUB_RUN_ID for a link to the run. Exits 1 on an API error, 2 on a bad argument.
import { fitBody, githubFromEnvironment, readOptionalText, runMain, ScriptError } from './githubApi.mjs';

const LABEL = 'fortress-drift';
const MARKER = '<!-- fortress-drift -->';
const TITLE = 'fortress status: hosts drifted, down or unreachable';
const NAME = 'fortress drift issue';

/**
 * What to do, given the open issues labelled fortress-drift (oldest first) and whether anything is
 * wrong: the oldest is the drift issue; any other is a duplicate (a race before concurrency, or a
 * label set by hand) and is closed, so that exactly one stays open.
 */
function planDriftIssue(openIssues, somethingWrong) {
  if (!somethingWrong) return { close: openIssues, reason: 'well' };
  const [oldest, ...duplicates] = openIssues;
  return oldest === undefined ? { create: true, close: [] } : { update: oldest, close: duplicates, reason: 'duplicate' };
}

const hasLabel = (issue) => Array.isArray(issue?.labels) && issue.labels.some((label) => (typeof label === 'string' ? label : label?.name) === LABEL);

function issueBody(report, runUrl) {
  const run = runUrl ? `[this run](${runUrl})` : 'the latest run';
  const head = `${MARKER}\n\`fortress status\` finds hosts drifted, down or unreachable. The drift workflow updates this issue on every run while that lasts, and closes it when all is well. Last checked by ${run}.\n\n`;
  const cutNote = `…the report is cut here to fit GitHub's limit of 65,536 characters: the whole report is in the job summary of ${run}.`;
  return fitBody(head, report, '', cutNote);
}

async function main(argv, env) {
  if (argv.length !== 2) throw new ScriptError('usage: driftIssue.mjs <markdown report> <status exit code>', 2);
  const [reportPath, exitCode] = argv;
  if (exitCode !== '0' && exitCode !== '1') {
    throw new ScriptError(`fortress status exited with ${JSON.stringify(exitCode)} (a usage or I/O error, or it did not run): the drift issue is left as it is`, 2);
  }
  const somethingWrong = exitCode === '1';
  const report = readOptionalText(reportPath);
  // Status exits 1 without a report when it refuses to start (an invalid topology, a host without ssh
  // settings): that is in the status job's log, and is not drift.
  if (somethingWrong && (report === undefined || report.trim() === '')) {
    throw new ScriptError(`fortress status exited with 1 but left no report at ${reportPath} (it refused to start: see the status job's log): the drift issue is left as it is`, 2);
  }

  const github = githubFromEnvironment(env);
  const repo = `/repos/${github.repository}`;
  // The listing also holds pull requests, and a stale index may still hold a closed issue: only open
  // issues carrying the label count.
  const listed = await github.paginate(`${repo}/issues?state=open&labels=${LABEL}&sort=created&direction=asc&per_page=100`);
  const open = listed
    .filter((issue) => issue?.state === 'open' && issue.pull_request === undefined && hasLabel(issue))
    .sort((a, b) => a.number - b.number);

  const plan = planDriftIssue(open, somethingWrong);
  if (plan.create) {
    const issue = await github.request('POST', `${repo}/issues`, { title: TITLE, body: issueBody(report, github.runUrl), labels: [LABEL] });
    // GitHub drops the labels of a new issue, silently, when the token may not set them: the next run
    // would not find this issue and would open another.
    if (!hasLabel(issue)) throw new ScriptError(`opened issue #${issue?.number}, but GitHub dropped its ${LABEL} label, so the next run would open another: give the job \`issues: write\`, or create the label and add it to the issue by hand`);
    process.stdout.write(`opened issue #${issue.number}\n`);
  }
  if (plan.update) {
    await github.request('PATCH', `${repo}/issues/${plan.update.number}`, { body: issueBody(report, github.runUrl) });
    process.stdout.write(`updated issue #${plan.update.number}\n`);
  }
  if (!somethingWrong && plan.close.length === 0) process.stdout.write('all is well, and no drift issue is open\n');
  const run = github.runUrl ? ` ([the run](${github.runUrl}))` : '';
  for (const issue of plan.close) {
    const comment =
      plan.reason === 'well'
        ? `All is well again: \`fortress status\` finds every host reachable, in step with rendered/ and its tunnel up${run}. Closing.`
        : `#${plan.update.number} is the drift issue: closing this one, so that one stays open${run}.`;
    await github.request('POST', `${repo}/issues/${issue.number}/comments`, { body: `${MARKER}\n${comment}` });
    await github.request('PATCH', `${repo}/issues/${issue.number}`, { state: 'closed', state_reason: plan.reason === 'well' ? 'completed' : 'not_planned' });
    process.stdout.write(`closed issue #${issue.number}\n`);
  }
  return 0;
}

await runMain(NAME, () => main(process.argv.slice(2), process.env));
