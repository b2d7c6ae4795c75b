// The command line: arguments -> options -> the pure core -> printed results and an exit status.
// The only place that prints; the only catch-all.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { compile, validateSource, type Compiled } from '../compile.js';
import { commandLineError, sortDiagnostics, type CommandLineDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { findDrift, readRenderedTree, writeRenderedTree } from '../emit/renderedTree.js';
import { buildReview, hasChanges, type CommittedTrees } from '../review/buildReview.js';
import { formatReviewMarkdown } from '../review/formatMarkdown.js';
import { formatReviewText } from '../review/formatText.js';
import { snapshotOfCompiled, snapshotOfFiles, type TreeSnapshot } from '../review/treeSnapshot.js';
import { applyProgress } from './applyProgress.js';
import { gitBlobId, openGitTree, type GitTree } from './gitTree.js';
import { applyFleet } from '../apply/applyFleet.js';
import { formatApplyJson, formatApplyMarkdown, formatApplyPlan, formatApplyTable, summarizeResults } from '../apply/formatApplyReport.js';
import { applyPreconditions, connectionPreconditions, hostJobs, unknownHost } from '../apply/hostJobs.js';
import { asRoot, shellQuote, SUDO_REFUSED, sudoRuleMissing } from '../apply/remoteScripts.js';
import { remoteText } from '../apply/remoteText.js';
import { connectSsh, type SshAuth } from '../apply/sshConnection.js';
import { wireguardKeyFile } from '../render/wireguard/renderWireguardConfig.js';
import type { SourceText } from '../load/sourceDocument.js';
import { decodeSource } from '../load/decodeSource.js';
import { displayPath } from './displayPath.js';
import { findRepositoryRoot } from './repositoryRoot.js';
import { driftDiagnostics, driftSummary } from './driftDiagnostics.js';
import { formatDiagnostics, type DiagnosticFormat } from './formatDiagnostics.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError, type CliIo } from './io.js';
import { commandHelp, parseOptions, SEE_HELP, USAGE, type CliOptions } from './options.js';
import { annotation, commandSafeJson, neutralizeWorkflowCommands } from './workflowCommands.js';
import { VERSION } from './version.js';
import { initCommand } from '../init/init.js';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `init` has its own arguments ([dir] [--force]) and works where there is no topology yet.
  if (argv[0] === 'init') return reportingFailures(io, 'text', async () => initCommand(argv.slice(1), io));
  const { options, diagnostics: usage, format } = parseOptions(argv);
  if (!options) return reportUsage(usage, format, io, { summary: SEE_HELP });
  const scoped = options.defaultPaths ? { ...io, cwd: findRepositoryRoot(io.cwd, options.topology) } : io;
  return reportingFailures(scoped, format, () => runCommand(options, scoped));
}

/** The one catch-all: a user's or the file system's problem is a diagnostic (exit 2), anything else a bug. */
async function reportingFailures(io: CliIo, format: DiagnosticFormat, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof InputError) return reportUsage([commandLineError(cause.code, cause.message, cause.hint)], format, io);
    if (isFileSystemError(cause)) return reportUsage([commandLineError('FT510', describeFileSystemError(cause, io.cwd))], format, io);
    const detail = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
    io.stderr(`fortress: internal error, this is a bug in fortress. Please report it with the command you ran and this output:\n${detail}\n`);
    return EXIT_USAGE;
  }
}

async function runCommand(options: CliOptions, io: CliIo): Promise<number> {
  switch (options.command) {
    case 'help':
      io.stdout(options.helpFor ? commandHelp(options.helpFor) : USAGE);
      return EXIT_OK;
    case 'version':
      io.stdout(`fortress ${VERSION}\n`);
      return EXIT_OK;
    case 'validate':
      return await validateCommand(options, io);
    case 'render':
      return await renderCommand(options, io);
    case 'diff':
      return await diffCommand(options, io);
    case 'apply':
      return await applyCommand(options, io);
    case 'keys':
      return await keysBootstrapCommand(options, io);
  }
}

async function validateCommand(options: CliOptions, io: CliIo): Promise<number> {
  const topology = await readSource(io, options.topology);
  const { topology: valid, diagnostics } = validateSource(topology);
  if (!valid) return reportInvalid(diagnostics, options, io);
  reportWarnings(diagnostics, options, io);
  if (options.format === 'json') io.stdout(formatDiagnostics(diagnostics, 'json'));
  else if (options.format === 'text') io.stdout(`${options.topology}: valid (${Object.keys(valid.hosts).length} hosts, ${Object.keys(valid.sites).length} sites)\n`);
  return EXIT_OK;
}

type ReadSource = (path: string) => Promise<SourceText | undefined>;

/** The topology and its lock as `read` finds them (the working tree, or a git ref), compiled in memory. */
async function compileFrom(read: ReadSource, paths: Paths): Promise<{ found: boolean; compiled?: Compiled; diagnostics: Diagnostic[] }> {
  const topology = await read(paths.topology);
  if (!topology) return { found: false, diagnostics: [] };
  const lock = await read(paths.lockDisplay);
  return { found: true, ...compile({ topology, ...(lock ? { lock } : {}), source: paths.source }) };
}

/** The working tree's topology (which must exist) and lock, compiled; diagnostics reported when they do not compile. */
async function compileWorkingTree(options: CliOptions, io: CliIo): Promise<{ paths: Paths; compiled?: Compiled; warnings?: Diagnostic[]; code: number }> {
  const paths = resolvePaths(options, io.cwd);
  const { compiled, diagnostics } = await compileFrom((path) => (path === paths.topology ? readSource(io, path) : readSource(io, path, { optional: true })), paths);
  if (!compiled) return { paths, code: reportInvalid(diagnostics, options, io) };
  reportWarnings(diagnostics, options, io);
  return { paths, compiled, warnings: diagnostics, code: EXIT_OK };
}

/** Warnings of a topology that compiles: on stderr as text or annotations; a JSON report carries them itself. */
function reportWarnings(warnings: Diagnostic[], options: CliOptions, io: CliIo): void {
  if (warnings.length === 0 || options.format === 'json') return;
  io.stderr(formatDiagnostics(sortDiagnostics(warnings), options.format === 'github' ? 'github' : 'text'));
}

async function renderCommand(options: CliOptions, io: CliIo): Promise<number> {
  const { paths, compiled, warnings = [], code } = await compileWorkingTree(options, io);
  if (!compiled) return code;

  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  if (options.check) {
    if (drift.length > 0) return reportInvalid([...(options.format === 'json' ? warnings : []), ...driftDiagnostics(drift, paths.lock, io.cwd)], options, io, { summary: driftSummary(drift.length) });
    if (options.format === 'json') io.stdout(formatDiagnostics(warnings, 'json'));
    else if (options.format === 'text') io.stdout(`${options.out}/ and ${paths.lockDisplay} are up to date\n`);
    return EXIT_OK;
  }

  const { leftover } = drift.length > 0 ? writeRenderedTree(paths.out, compiled.files, paths.lock, compiled.lockText, drift) : {};
  // The new tree is in place, so the render succeeded: an old tree that would not delete is a warning.
  const cleanup: CommandLineDiagnostic[] = [];
  if (leftover) {
    const where = relative(io.cwd, leftover.path).startsWith('..') ? leftover.path : displayPath(io.cwd, leftover.path);
    const reason = leftover.cause instanceof Error ? leftover.cause.message : String(leftover.cause);
    cleanup.push({
      code: 'FT605',
      severity: 'warning',
      message: `${options.out}/ was rendered, but its previous tree could not be deleted (${reason}); it is left at ${where}`,
      hint: `delete it with: chmod -R u+w ${shellQuote(where)} && rm -rf ${shellQuote(where)}`,
    });
  }
  if (options.format === 'json') io.stdout(formatDiagnostics([...warnings, ...cleanup], 'json'));
  else if (cleanup.length > 0) io.stderr(formatDiagnostics(cleanup, options.format === 'github' ? 'github' : 'text', { summary: false }));
  if (options.format === 'text') {
    const hosts = compiled.model.hosts.length;
    const changedFiles = drift.filter((d) => d.path !== paths.lock).length;
    const lockChanged = changedFiles < drift.length ? `; ${paths.lockDisplay} updated` : '';
    io.stdout(
      drift.length === 0
        ? `${options.out}/ is up to date (${compiled.files.length} files, ${hosts} hosts)\n`
        : `rendered ${compiled.files.length} files for ${hosts} hosts into ${options.out}/ (${changedFiles} added, changed or removed${lockChanged})\n`,
    );
  }
  return EXIT_OK;
}

/**
 * `diff`: the working tree's topology compiled in memory, against rendered/ on disk or, with --base,
 * against the topology and lock as they were at a git ref, also compiled in memory.
 */
async function diffCommand(options: CliOptions, io: CliIo): Promise<number> {
  const paths = resolvePaths(options, io.cwd);
  const compileSide = async (label: string, read: ReadSource): Promise<TreeSnapshot | undefined> => {
    const { found, compiled, diagnostics } = await compileFrom(read, paths);
    if (!found) return snapshotOfFiles(`${label} (no topology)`, new Map());
    if (compiled) return snapshotOfCompiled(label, compiled);
    io.stderr(`fortress: the topology of ${label} is invalid:\n`);
    reportInvalid(diagnostics, options, io);
    return undefined;
  };

  const head = await compileSide('working tree', (path) => readSource(io, path, { optional: true }));
  let base: TreeSnapshot | undefined;
  let committed: CommittedTrees | undefined;
  if (options.base === undefined) {
    base = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  } else {
    const tree = await openGitTree(io.cwd, options.base);
    base = await compileSide(options.base, async (path) => {
      const bytes = await tree.read(path);
      return bytes === undefined ? undefined : decodeSource(`${options.base}:${path}`, bytes);
    });
    if (base) committed = await committedTrees(tree, base, paths.out, options);
  }
  if (!head || !base) return EXIT_FAILED;

  const review = buildReview(base, head, committed);
  if (options.format === 'json') io.stdout(`${JSON.stringify(review, null, 2)}\n`);
  else if (options.format === 'markdown') io.stdout(formatReviewMarkdown(review, options.base === undefined ? {} : { baseRef: options.base }));
  else io.stdout(formatReviewText(review, { color: io.color === true }));
  return options.exitCode && hasChanges(review) ? EXIT_FAILED : EXIT_OK;
}

/**
 * The rendered/ committed at the base ref and the one in the working tree: what apply pushes. Reading
 * a file from git costs a process, so only files whose blob differs from the compiled base are read.
 * Absent when either side has no rendered tree (a repository adopting fortress).
 */
async function committedTrees(tree: GitTree, compiledBase: TreeSnapshot, out: string, options: CliOptions): Promise<CommittedTrees | undefined> {
  const blobs = await tree.listDirectory(out);
  const onDisk = readRenderedTree(out);
  if (blobs.size === 0 || onDisk.size === 0) return undefined;
  const baseFiles = new Map<string, string>();
  for (const [path, id] of blobs) {
    const known = compiledBase.files.get(path);
    baseFiles.set(path, known !== undefined && gitBlobId(known) === id ? known : await tree.readBlob(id));
  }
  return { base: snapshotOfFiles(`${options.base}:${options.out}/`, baseFiles), head: snapshotOfFiles(`${options.out}/`, onDisk) };
}

/**
 * `apply`: converge the hosts to rendered/ exactly as committed. Like Terraform applying a reviewed
 * plan, it refuses when rendered/ does not match the topology, rather than apply something unreviewed.
 */
async function applyCommand(options: CliOptions, io: CliIo): Promise<number> {
  const { paths, compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  // Everything that would stop apply part-way is found here, reported at once, before any
  // connection and before SSH credentials are read.
  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  const refusals = [...driftDiagnostics(drift, paths.lock, io.cwd), ...applyPreconditions(compiled.model, compiled.locate, options.hosts)];
  if (refusals.length > 0) {
    // The drift line speaks for drift only: with other refusals too, the plain count says it all.
    const summary = drift.length > 0 && drift.length === refusals.length ? driftSummary(drift.length, 'commit the result, then apply') : undefined;
    return reportInvalid(refusals, options, io, summary === undefined ? {} : { summary });
  }

  const tree = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  const jobs = hostJobs(compiled.model, tree.manifest!, tree.files, options.hosts);
  const auth = await sshAuth(io);
  // Hosts' words reach the job log: no line of them may read as a workflow command there.
  const log = commandSafe(io);
  const results = await applyFleet(jobs, {
    connect: (target) => (io.connect ?? connectSsh)(target, auth),
    // Progress on stderr, so stdout holds only the result (a table or the JSON report).
    onEvent: applyProgress(log.stderr, io.stderrIsTerminal === true),
    now: () => Date.now(),
  }, { dryRun: options.dryRun, concurrency: options.concurrency, verifyTimeoutSeconds: 20, confirmTimeoutSeconds: options.confirmTimeout, lockWaitSeconds: 120 });

  const failures = results.filter((r) => !['unchanged', 'planned', 'applied'].includes(r.result));
  if (options.format === 'json') {
    io.stdout(`${commandSafeJson(JSON.stringify(formatApplyJson(results, options.dryRun), null, 2))}\n`);
  } else {
    if (options.dryRun) log.stdout(formatApplyPlan(results));
    log.stdout(`\n${formatApplyTable(results)}${summarizeResults(results)}\n`);
    if (options.format === 'github') {
      for (const r of failures) {
        io.stderr(`${annotation('error', { title: `fortress apply ${r.host}` }, `${r.host}: ${r.result}${r.message ? `: ${r.message}` : ''}`)}\n`);
      }
    }
  }
  if (io.env?.githubStepSummary) {
    appendFileSync(io.env.githubStepSummary, neutralizeWorkflowCommands(`### fortress apply${options.dryRun ? ' (dry run)' : ''}\n\n${formatApplyMarkdown(results)}\n${summarizeResults(results)}\n`));
  }
  return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
}

/** The same io, with every line made safe from being read as a workflow command (see workflowCommands.ts). */
function commandSafe(io: CliIo): Pick<CliIo, 'stdout' | 'stderr'> {
  return { stdout: (text) => io.stdout(neutralizeWorkflowCommands(text)), stderr: (text) => io.stderr(neutralizeWorkflowCommands(text)) };
}

/** `keys bootstrap <host>`: the private key is made on the host by `wg genkey` and never leaves it. */
async function keysBootstrapCommand(options: CliOptions, io: CliIo): Promise<number> {
  const { compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  const host = compiled.model.hosts.find((h) => h.name === options.keyHost);
  const refusals = host ? connectionPreconditions(host, compiled.locate) : [unknownHost(compiled.model, compiled.locate, options.keyHost!, 'keys bootstrap names')!];
  if (!host || !host.ssh?.hostKey || refusals.length > 0) return reportInvalid(refusals, options, io);
  const keyFile = wireguardKeyFile(compiled.model.mesh.interface);
  const auth = await sshAuth(io);
  const failed = (message: string): number => {
    const text = `${host.name}: ${message}`;
    io.stderr(options.format === 'github' ? `${annotation('error', { title: `fortress keys bootstrap ${host.name}` }, text)}\n` : neutralizeWorkflowCommands(`fortress: ${text}\n`));
    return EXIT_FAILED;
  };
  let remote;
  try {
    remote = await (io.connect ?? connectSsh)({ host: host.name, ...host.ssh, hostKey: host.ssh.hostKey }, auth);
  } catch (error) {
    return failed(`cannot connect: ${remoteText((error as Error).message)}`);
  }
  try {
    const script = `set -e\numask 077\nmkdir -p ${shellQuote(keyFile.replace(/\/[^/]*$/, ''))}\nkey=${shellQuote(keyFile)}\nif [ -s "$key" ]; then echo existing; else wg genkey > "$key.new" && mv "$key.new" "$key" && echo created; fi\nwg pubkey < "$key"\n`;
    const result = await remote.exec(asRoot(host.ssh.user, 'bash -s'), { stdin: script, timeoutMs: 30_000 });
    if (result.code !== 0) {
      const why = result.stderr.includes(SUDO_REFUSED) ? sudoRuleMissing(host.ssh.user) : remoteText(result.stderr) || `exit ${result.code}`;
      return failed(`could not create the key: ${why}`);
    }
    const [state, publicKey] = result.stdout.trim().split('\n');
    const created = state === 'created';
    if (options.format === 'json') {
      io.stdout(`${commandSafeJson(JSON.stringify({ host: host.name, keyFile, created, publicKey: remoteText(publicKey ?? '') }, null, 2))}\n`);
    } else {
      io.stdout(neutralizeWorkflowCommands(`${host.name}: ${created ? 'created a new WireGuard key' : 'already has a WireGuard key'} in ${keyFile}\npublicKey: ${remoteText(publicKey ?? '')}\n`));
    }
    return EXIT_OK;
  } catch (error) {
    return failed(remoteText((error as Error).message));
  } finally {
    remote.close();
  }
}

async function sshAuth(io: CliIo): Promise<SshAuth> {
  if (io.env?.sshKeyFile) return { privateKey: await readFile(resolve(io.cwd, io.env.sshKeyFile)) };
  if (io.env?.sshAuthSock) return { agent: io.env.sshAuthSock };
  throw new InputError('no SSH credentials: start an SSH agent (SSH_AUTH_SOCK) or set FORTRESS_SSH_KEY to a private key file');
}

/**
 * A problem with the command line or with what surrounds fortress (exit 2), in the format asked for
 * when that much of the command line could be read. The JSON report goes to stdout, where a program
 * reads it; text and annotations to stderr.
 */
function reportUsage(diagnostics: CommandLineDiagnostic[], format: DiagnosticFormat, io: CliIo, { summary }: { summary?: string } = {}): number {
  const formatted = formatDiagnostics(sortDiagnostics(diagnostics), format, { summary: summary ?? false });
  if (format === 'json') io.stdout(formatted);
  else io.stderr(formatted);
  return EXIT_USAGE;
}

function reportInvalid(diagnostics: Diagnostic[], options: CliOptions, io: CliIo, { summary }: { summary?: string } = {}): number {
  // A diff shown as text or markdown still reports a broken side as plain diagnostics.
  const format = options.format === 'markdown' ? 'text' : options.format;
  const formatted = formatDiagnostics(sortDiagnostics(diagnostics), format, summary === undefined ? {} : { summary });
  if (format === 'json' && options.command !== 'diff') io.stdout(formatted);
  else io.stderr(formatted);
  return EXIT_FAILED;
}

interface Paths {
  /** The topology as the user named it. */
  topology: string;
  out: string;
  lock: string;
  lockDisplay: string;
  /** The topology relative to the directory that holds rendered/: what the generated headers name. */
  source: string;
}

function lockPathFor(topologyPath: string): string {
  const name = basename(topologyPath).replace(/\.(ya?ml|json)$/i, '');
  return `${dirname(topologyPath)}/${name}.lock.json`;
}

function resolvePaths(options: CliOptions, cwd: string): Paths {
  const topology = resolve(cwd, options.topology);
  const out = resolve(cwd, options.out);
  const lockDisplay = lockPathFor(options.topology);
  return {
    topology: options.topology,
    out,
    lock: resolve(cwd, lockDisplay),
    lockDisplay,
    source: relative(dirname(out), topology).split(sep).join('/'),
  };
}

async function readSource(io: CliIo, path: string): Promise<SourceText>;
async function readSource(io: CliIo, path: string, opts: { optional: true }): Promise<SourceText | undefined>;
async function readSource(io: CliIo, path: string, { optional = false } = {}): Promise<SourceText | undefined> {
  try {
    // Bytes, not 'utf8': Node would turn UTF-16 or Latin-1 into replacement characters without a word.
    return decodeSource(path, await readFile(resolve(io.cwd, path)));
  } catch (cause) {
    if (optional && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cause;
  }
}

function isFileSystemError(cause: unknown): cause is NodeJS.ErrnoException {
  return cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string' && typeof (cause as NodeJS.ErrnoException).syscall === 'string';
}

function describeFileSystemError(cause: NodeJS.ErrnoException, cwd: string): string {
  const what = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory', ENOSPC: 'no space left on device' }[cause.code ?? ''];
  return `cannot ${cause.syscall} ${cause.path === undefined ? '' : displayPath(cwd, cause.path)}: ${what ?? cause.message}`;
}

