// The command line: arguments -> options -> the pure core -> printed results and an exit status.
// The only place that prints; the only catch-all.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { compile, validateSource, type Compiled } from '../compile.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { findDrift, readRenderedTree, writeRenderedTree } from '../emit/renderedTree.js';
import { buildReview, hasChanges } from '../review/buildReview.js';
import { formatReviewMarkdown } from '../review/formatMarkdown.js';
import { formatReviewText } from '../review/formatText.js';
import { snapshotOfCompiled, snapshotOfFiles, type TreeSnapshot } from '../review/treeSnapshot.js';
import { applyProgress } from './applyProgress.js';
import { openGitTree } from './gitTree.js';
import { applyFleet } from '../apply/applyFleet.js';
import { formatApplyJson, formatApplyMarkdown, formatApplyPlan, formatApplyTable, summarizeResults } from '../apply/formatApplyReport.js';
import { hostJobs } from '../apply/hostJobs.js';
import { asRoot, shellQuote, SUDO_REFUSED, sudoRuleMissing } from '../apply/remoteScripts.js';
import { remoteText } from '../apply/remoteText.js';
import { connectSsh, type SshAuth } from '../apply/sshConnection.js';
import { wireguardKeyFile } from '../render/wireguard/renderWireguardConfig.js';
import type { SourceText } from '../load/sourceDocument.js';
import { formatDiagnostics } from './formatDiagnostics.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError, UsageError, type CliIo } from './io.js';
import { parseOptions, USAGE, type CliOptions } from './options.js';
import { VERSION } from './version.js';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const options = parseOptions(argv);
    switch (options.command) {
      case 'help':
        io.stdout(USAGE);
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
  } catch (cause) {
    if (cause instanceof InputError) {
      io.stderr(`fortress: ${cause.message}\n${cause instanceof UsageError ? `\n${USAGE}` : ''}`);
      return EXIT_USAGE;
    }
    if (isFileSystemError(cause)) {
      io.stderr(`fortress: ${describeFileSystemError(cause)}\n`);
      return EXIT_USAGE;
    }
    const detail = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
    io.stderr(`fortress: internal error, this is a bug in fortress. Please report it with the command you ran and this output:\n${detail}\n`);
    return EXIT_USAGE;
  }
}

async function validateCommand(options: CliOptions, io: CliIo): Promise<number> {
  const topology = await readSource(io, options.topology);
  const { topology: valid, diagnostics } = validateSource(topology);
  if (!valid) return reportInvalid(diagnostics, options, io);
  if (options.format === 'json') io.stdout(formatDiagnostics([], 'json'));
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
async function compileWorkingTree(options: CliOptions, io: CliIo): Promise<{ paths: Paths; compiled?: Compiled; code: number }> {
  const paths = resolvePaths(options, io.cwd);
  const { compiled, diagnostics } = await compileFrom((path) => (path === paths.topology ? readSource(io, path) : readSource(io, path, { optional: true })), paths);
  return compiled ? { paths, compiled, code: EXIT_OK } : { paths, code: reportInvalid(diagnostics, options, io) };
}

async function renderCommand(options: CliOptions, io: CliIo): Promise<number> {
  const { paths, compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;

  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  const display = (path: string) => relative(io.cwd, path) || '.';
  if (options.check) {
    if (drift.length === 0) {
      if (options.format === 'text') io.stdout(`${options.out}/ and ${paths.lockDisplay} are up to date\n`);
      return EXIT_OK;
    }
    for (const d of drift) {
      const message = `${display(d.path)} is ${d.kind === 'changed' ? 'out of date' : d.kind === 'missing' ? 'missing' : 'not produced by the topology'}`;
      io.stderr(options.format === 'github' ? `::error file=${display(d.path)},title=fortress render --check::${message}; run \`fortress render\` and commit the result\n` : `${message}\n`);
    }
    io.stderr(`${drift.length} file${drift.length === 1 ? '' : 's'} out of date: run \`fortress render\` and commit the result\n`);
    return EXIT_FAILED;
  }

  if (drift.length > 0) writeRenderedTree(paths.out, compiled.files, paths.lock, compiled.lockText, drift);
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
  if (options.base === undefined) {
    base = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  } else {
    const tree = await openGitTree(io.cwd, options.base);
    base = await compileSide(options.base, async (path) => {
      const text = await tree.read(path);
      return text === undefined ? undefined : { path: `${options.base}:${path}`, text };
    });
  }
  if (!head || !base) return EXIT_FAILED;

  const review = buildReview(base, head);
  if (options.format === 'json') io.stdout(`${JSON.stringify(review, null, 2)}\n`);
  else if (options.format === 'markdown') io.stdout(formatReviewMarkdown(review, options.base === undefined ? {} : { baseRef: options.base }));
  else io.stdout(formatReviewText(review, { color: io.color === true }));
  return options.exitCode && hasChanges(review) ? EXIT_FAILED : EXIT_OK;
}

/**
 * `apply`: converge the hosts to rendered/ exactly as committed. Like Terraform applying a reviewed
 * plan, it refuses when rendered/ does not match the topology, rather than apply something unreviewed.
 */
async function applyCommand(options: CliOptions, io: CliIo): Promise<number> {
  const { paths, compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  if (drift.length > 0) {
    io.stderr(`fortress: ${options.out}/ does not match the topology (${drift.length} file${drift.length === 1 ? '' : 's'}, e.g. ${relative(io.cwd, drift[0]!.path)}): run \`fortress render\`, review and commit, then apply\n`);
    return EXIT_FAILED;
  }
  if (compiled.model.mesh.presharedKeys) throw new InputError('apply does not distribute preshared keys yet: set mesh.presharedKeys to false, or install them on the hosts yourself');
  const unknown = (options.hosts ?? []).filter((h) => !compiled.model.hosts.some((m) => m.name === h));
  if (unknown.length > 0) throw new UsageError(`--hosts names hosts the topology does not have: ${unknown.join(', ')}`);

  const tree = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  const jobs = hostJobs(compiled.model, tree.manifest!, tree.files, options.hosts);
  const auth = await sshAuth(io);
  const results = await applyFleet(jobs, {
    connect: (target) => connectSsh(target, auth),
    // Progress on stderr, so stdout holds only the result (a table or the JSON report).
    onEvent: applyProgress(io.stderr, io.stderrIsTerminal === true),
    now: () => Date.now(),
  }, { dryRun: options.dryRun, concurrency: options.concurrency, verifyTimeoutSeconds: 20, confirmTimeoutSeconds: options.confirmTimeout, lockWaitSeconds: 120 });

  const failed = results.some((r) => !['unchanged', 'planned', 'applied'].includes(r.result));
  if (options.format === 'json') {
    io.stdout(`${JSON.stringify(formatApplyJson(results, options.dryRun), null, 2)}\n`);
  } else {
    if (options.dryRun) io.stdout(formatApplyPlan(results));
    io.stdout(`\n${formatApplyTable(results)}${summarizeResults(results)}\n`);
  }
  if (io.env?.githubStepSummary) appendFileSync(io.env.githubStepSummary, `### fortress apply${options.dryRun ? ' (dry run)' : ''}\n\n${formatApplyMarkdown(results)}\n${summarizeResults(results)}\n`);
  return failed ? EXIT_FAILED : EXIT_OK;
}

/** `keys bootstrap <host>`: the private key is made on the host by `wg genkey` and never leaves it. */
async function keysBootstrapCommand(options: CliOptions, io: CliIo): Promise<number> {
  const { compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  const host = compiled.model.hosts.find((h) => h.name === options.keyHost);
  if (!host) throw new UsageError(`the topology has no host "${options.keyHost}"`);
  if (!host.ssh?.hostKey) throw new InputError(`hosts.${host.name}.ssh.hostKey is not set: fortress only connects to a pinned host key`);
  const keyFile = wireguardKeyFile(compiled.model.mesh.interface);
  const auth = await sshAuth(io);
  let remote;
  try {
    remote = await connectSsh({ host: host.name, ...host.ssh, hostKey: host.ssh.hostKey }, auth);
  } catch (error) {
    io.stderr(`fortress: ${host.name}: cannot connect: ${remoteText((error as Error).message)}\n`);
    return EXIT_FAILED;
  }
  try {
    const script = `set -e\numask 077\nmkdir -p ${shellQuote(keyFile.replace(/\/[^/]*$/, ''))}\nkey=${shellQuote(keyFile)}\nif [ -s "$key" ]; then echo existing; else wg genkey > "$key.new" && mv "$key.new" "$key" && echo created; fi\nwg pubkey < "$key"\n`;
    const result = await remote.exec(asRoot(host.ssh.user, 'bash -s'), { stdin: script, timeoutMs: 30_000 });
    if (result.code !== 0) {
      const why = result.stderr.includes(SUDO_REFUSED) ? sudoRuleMissing(host.ssh.user) : remoteText(result.stderr) || `exit ${result.code}`;
      io.stderr(`fortress: ${host.name}: could not create the key: ${why}\n`);
      return EXIT_FAILED;
    }
    const [state, publicKey] = result.stdout.trim().split('\n');
    io.stdout(`${options.keyHost}: ${state === 'created' ? 'created a new WireGuard key' : 'already has a WireGuard key'} in ${keyFile}\npublicKey: ${remoteText(publicKey ?? '')}\n`);
    return EXIT_OK;
  } catch (error) {
    io.stderr(`fortress: ${host.name}: ${remoteText((error as Error).message)}\n`);
    return EXIT_FAILED;
  } finally {
    remote.close();
  }
}

async function sshAuth(io: CliIo): Promise<SshAuth> {
  if (io.env?.sshKeyFile) return { privateKey: await readFile(resolve(io.cwd, io.env.sshKeyFile)) };
  if (io.env?.sshAuthSock) return { agent: io.env.sshAuthSock };
  throw new InputError('no SSH credentials: start an SSH agent (SSH_AUTH_SOCK) or set FORTRESS_SSH_KEY to a private key file');
}

function reportInvalid(diagnostics: Diagnostic[], options: CliOptions, io: CliIo): number {
  // A diff shown as text or markdown still reports a broken side as plain diagnostics.
  const format = options.format === 'markdown' ? 'text' : options.format;
  const formatted = formatDiagnostics(sortDiagnostics(diagnostics), format);
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
    return { path, text: await readFile(resolve(io.cwd, path), 'utf8') };
  } catch (cause) {
    if (optional && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cause;
  }
}

function isFileSystemError(cause: unknown): cause is NodeJS.ErrnoException {
  return cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string' && typeof (cause as NodeJS.ErrnoException).syscall === 'string';
}

function describeFileSystemError(cause: NodeJS.ErrnoException): string {
  const what = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory', ENOSPC: 'no space left on device' }[cause.code ?? ''];
  return `cannot ${cause.syscall} ${cause.path ?? ''}: ${what ?? cause.message}`;
}
