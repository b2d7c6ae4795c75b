// `fortress status`: every host read over SSH, changing nothing, against rendered/ as committed (what
// apply pushes). Exit 1 when a host is unreachable, drifted or has its tunnel down.
import { connectionPreconditions, unknownHost } from '../../../apply/hostJobs.js';
import { connectSsh } from '../../../apply/sshConnection.js';
import { findDrift, readRenderedTree } from '../../../emit/renderedTree.js';
import { snapshotOfFiles } from '../../../review/treeSnapshot.js';
import { formatPrometheus } from '../../../status/formatPrometheus.js';
import { formatStatusMarkdown } from '../../../status/formatStatusMarkdown.js';
import { formatStatusText } from '../../../status/formatStatusText.js';
import { readFleetStatus } from '../../../status/readFleetStatus.js';
import { buildStatusReport } from '../../../status/statusReport.js';
import { statusTargets } from '../../../status/statusTargets.js';
import type { CliOptions } from '../../command.js';
import { driftDiagnostics, formatDiagnostics } from '../../formatDiagnostics.js';
import { EXIT_FAILED, EXIT_OK, InputError, type CliIo } from '../../io.js';
import { commandSafe, reportInvalid } from '../../report.js';
import { sshAuth } from '../../sshAuth.js';
import { commandSafeJson } from '../../workflowCommands.js';
import { compileWorkingTree } from '../../workingTree.js';
import { hostList } from '../apply/index.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const { hosts, samples, concurrency } = options.values;
  const only = typeof hosts === 'string' ? hostList(hosts) : undefined;
  // Problems with the topology print as diagnostics: JSON for a JSON reader, text on stderr otherwise.
  const diagnosticOptions: CliOptions = { ...options, format: options.format === 'json' ? 'json' : 'text' };
  const { paths, compiled, code } = await compileWorkingTree(diagnosticOptions, io);
  if (!compiled) return code;
  const refusals = [
    ...(only ?? []).flatMap((name) => unknownHost(compiled.model, compiled.locate, name, '--hosts names') ?? []),
    ...compiled.model.hosts.filter((h) => !only || only.includes(h.name)).flatMap((h) => connectionPreconditions(h, compiled.locate)),
  ];
  if (refusals.length > 0) return reportInvalid(refusals, diagnosticOptions, io);

  // The hosts are compared with rendered/ as committed, which is what apply pushes; when it is not
  // what the topology renders, that is said on stderr (as render --check says it), and the read goes on.
  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  if (drift.length > 0) {
    io.stderr(formatDiagnostics(driftDiagnostics(drift, paths.lock, io.cwd).map((d) => ({ ...d, severity: 'warning' as const })), 'text', { summary: false }));
  }
  const tree = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  if (!tree.manifest) throw new InputError(`${options.out}/manifest.json is missing or unreadable, so there is nothing to compare the hosts with`, 'FT510', 'run `fortress render` and commit the result');

  const targets = statusTargets(compiled.model, tree.manifest, tree.files, only);
  const auth = await sshAuth(io);
  const results = await readFleetStatus(targets, { connect: (target) => (io.connect ?? connectSsh)(target, auth), now: () => Date.now() }, { samples: Number(samples), concurrency: Number(concurrency) });
  const report = buildStatusReport(results, { checkedAt: new Date(), samples: Number(samples), renderedUpToDate: drift.length === 0 });

  // Hosts' words never read as a workflow command in a job log.
  const out = commandSafe(io);
  if (options.format === 'json') io.stdout(`${commandSafeJson(JSON.stringify(report, null, 2))}\n`);
  else if (options.format === 'markdown') out.stdout(formatStatusMarkdown(report));
  else if (options.format === 'prometheus') out.stdout(formatPrometheus(report));
  else out.stdout(formatStatusText(report));
  return report.ok ? EXIT_OK : EXIT_FAILED;
}
