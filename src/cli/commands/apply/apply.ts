// `fortress apply`: converge the hosts to rendered/ exactly as committed. Like Terraform applying a
// reviewed plan, it refuses when rendered/ does not match the topology, rather than apply something
// unreviewed.
import { appendFileSync } from 'node:fs';
import { applyFleet } from '../../../apply/applyFleet.js';
import { formatApplyJson, formatApplyMarkdown, formatApplyPlan, formatApplyTable, summarizePresharedKeys, summarizeResults } from '../../../apply/formatApplyReport.js';
import { applyPreconditions, hostJobs } from '../../../apply/hostJobs.js';
import { distributePresharedKeys } from '../../../apply/presharedKeys.js';
import { connectSsh, type SshTarget } from '../../../apply/sshConnection.js';
import { findDrift, readRenderedTree } from '../../../emit/renderedTree.js';
import { snapshotOfFiles } from '../../../review/treeSnapshot.js';
import { applyProgress } from '../../applyProgress.js';
import type { CliOptions } from '../../command.js';
import { driftDiagnostics, driftSummary } from '../../formatDiagnostics.js';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../../io.js';
import { commandSafe, reportInvalid } from '../../report.js';
import { sshAuth } from '../../sshAuth.js';
import { annotation, commandSafeJson, neutralizeWorkflowCommands } from '../../workflowCommands.js';
import { compileWorkingTree } from '../../workingTree.js';
import { hostList } from './index.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const { hosts, 'dry-run': dryRun, concurrency, 'confirm-timeout': confirmTimeout } = options.values;
  const only = typeof hosts === 'string' ? hostList(hosts) : undefined;
  const { paths, compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  // Everything that would stop apply part-way is found here, reported at once, before any
  // connection and before SSH credentials are read.
  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  const refusals = [...driftDiagnostics(drift, paths.lock, io.cwd), ...applyPreconditions(compiled.model, compiled.locate, only)];
  if (refusals.length > 0) {
    // The drift line speaks for drift only: with other refusals too, the plain count says it all.
    const summary = drift.length > 0 && drift.length === refusals.length ? driftSummary(drift.length, 'commit the result, then apply') : undefined;
    return reportInvalid(refusals, options, io, summary === undefined ? {} : { summary });
  }

  const tree = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  // Every host's job: preshared keys need both ends of a selected host's pairs.
  const allJobs = hostJobs(compiled.model, tree.manifest!, tree.files);
  const jobs = only ? allJobs.filter((job) => only.includes(job.host)) : allJobs;
  const auth = await sshAuth(io);
  // Hosts' words reach the job log: no line of them may read as a workflow command there.
  const log = commandSafe(io);
  const env = {
    connect: (target: SshTarget) => (io.connect ?? connectSsh)(target, auth),
    // Progress on stderr, so stdout holds only the result (a table or the JSON report).
    onEvent: applyProgress(log.stderr, io.stderrIsTerminal === true),
    now: () => Date.now(),
  };
  // Before the transactions, so that an interface coming up or reloading finds every pair's key.
  const keys = compiled.model.mesh.presharedKeys
    ? await distributePresharedKeys(compiled.model, allJobs, env, { dryRun: dryRun === true, concurrency: Number(concurrency), ...(only ? { only } : {}) })
    : undefined;
  const results = await applyFleet(jobs, env, { dryRun: dryRun === true, concurrency: Number(concurrency), verifyTimeoutSeconds: 20, confirmTimeoutSeconds: Number(confirmTimeout), lockWaitSeconds: 120 });

  const failures = results.filter((r) => !['unchanged', 'planned', 'applied'].includes(r.result));
  if (options.format === 'json') {
    io.stdout(`${commandSafeJson(JSON.stringify(formatApplyJson(results, dryRun === true, keys), null, 2))}\n`);
  } else {
    if (dryRun === true) log.stdout(formatApplyPlan(results));
    log.stdout(`\n${formatApplyTable(results)}${keys ? summarizePresharedKeys(keys, dryRun === true) : ''}${summarizeResults(results)}\n`);
    if (options.format === 'github') {
      for (const r of failures) {
        io.stderr(`${annotation('error', { title: `fortress apply ${r.host}` }, `${r.host}: ${r.result}${r.message ? `: ${r.message}` : ''}`)}\n`);
      }
    }
  }
  if (io.env?.githubStepSummary) {
    appendFileSync(io.env.githubStepSummary, neutralizeWorkflowCommands(`### fortress apply${dryRun === true ? ' (dry run)' : ''}\n\n${formatApplyMarkdown(results)}\n${summarizeResults(results)}\n`));
  }
  return failures.length > 0 || (keys?.failed.length ?? 0) > 0 ? EXIT_FAILED : EXIT_OK;
}
