// `fortress enroll`: a new machine joins the topology. In order, each step refusing before the next
// one touches anything:
//   1. the topology must validate, and must still validate with the host written in (checked with
//      stand-in keys before connecting, so a bad --site, --ssh-user or address stops here);
//   2. the machine's SSH host key is read without logging in and trusted only by the rule in
//      hostKeyTrust.ts (the fingerprint given, or an explicit trust-on-first-use);
//   3. logged in, pinned to that key: the WireGuard key is made on the host if missing, and only
//      its public half comes back;
//   4. the host is written into the topology (writeHost.ts), the result validated, and written.
// Reading and writing the topology and reaching the host are effects handed in by the CLI.
import { createHash } from 'node:crypto';
import { diffLines } from 'diff';
import { validateSource } from '../compile.js';
import type { AnyDiagnostic, Diagnostic, SourceSpan } from '../diagnostics/diagnostic.js';
import { commandLineError } from '../diagnostics/diagnostic.js';
import { connectSsh, HostKeyMismatch, type RemoteHost, type SshAuth, type SshTarget } from '../apply/sshConnection.js';
import { remoteText } from '../apply/remoteText.js';
import { parseSourceDocument, type SourceText } from '../load/sourceDocument.js';
import { wireguardKeyFile } from '../render/wireguard/renderWireguardConfig.js';
import { ensureWireguardKey } from './ensureWireguardKey.js';
import { decideTrust, parseFingerprint, scanHostKey, type PresentedHostKey } from './hostKeyTrust.js';
import { writeHost, type HostChange, type HostEnrollment } from './writeHost.js';

export interface EnrollRequest {
  host: string;
  /** An existing host's own port and user (else 22 and root) are used when these are absent. */
  ssh: { address: string; port?: number; user?: string };
  site?: string;
  roles?: readonly string[];
  /** --host-key-fingerprint as given; checked here (FT534). */
  hostKeyFingerprint?: string;
  trustOnFirstUse?: boolean;
}

export interface EnrollEffects {
  readTopology(): Promise<SourceText>;
  /** Called only with a topology that validates, and only when the host's entry changed. */
  writeTopology(text: string): Promise<void>;
  /** The host key the machine presents, read without logging in (scanHostKey). */
  scanHostKey(target: { address: string; port: number }): Promise<PresentedHostKey>;
  /** A session on the machine pinned to target.hostKey (connectSsh with the CLI's credentials). */
  connect(target: SshTarget): Promise<RemoteHost>;
}

/** How the CLI logs in to a host pinned to its key: connectSsh, or what a test hands in (CliIo.connect). */
export type Connect = (target: SshTarget, auth: SshAuth) => Promise<RemoteHost>;

/** The SSH half of EnrollEffects: ssh2, authenticating with `auth`. */
export function sshEffects(auth: SshAuth, connect: Connect = connectSsh): Pick<EnrollEffects, 'scanHostKey' | 'connect'> {
  return { scanHostKey: (target) => scanHostKey(target), connect: (target) => connect(target, auth) };
}

export interface EnrollResult {
  /**
   * The topology with the host written in, when enroll got that far. Diagnostics found in it (a
   * warning, or the refusal of a key another host already has) point into the topology file, or
   * at the host's entry when the line is one enroll adds.
   */
  text?: string;
  change?: HostChange;
  /** Whether writeTopology was called. */
  written: boolean;
  diagnostics: AnyDiagnostic[];
  /** Whether this run made the WireGuard key (false: the host had one). */
  created?: boolean;
  /** The host's WireGuard public key. No private key is ever read off the host. */
  publicKey?: string;
  keyFile?: string;
  /** The host key the machine presented, as ssh.hostKey holds it, and its fingerprint: also when it was refused. */
  hostKey?: string;
  fingerprint?: string;
}

export async function enrollHost(request: EnrollRequest, effects: EnrollEffects): Promise<EnrollResult> {
  const stop = (diagnostics: AnyDiagnostic[], more: Partial<EnrollResult> = {}): EnrollResult => ({ written: false, diagnostics, ...more });
  const fingerprint = request.hostKeyFingerprint === undefined ? undefined : parseFingerprint(request.hostKeyFingerprint);
  if (fingerprint && !fingerprint.fingerprint) return stop(fingerprint.diagnostics);

  // 1. The topology, as it is and with the host written in (stand-in keys): before any connection.
  const topology = await effects.readTopology();
  const current = validateSource(topology);
  if (!current.topology) return stop(errors(current.diagnostics));
  const existing = current.topology.hosts[request.host];
  const port = request.ssh.port ?? existing?.ssh?.port ?? 22;
  const user = request.ssh.user ?? existing?.ssh?.user ?? 'root';
  const keyFile = wireguardKeyFile(current.topology.mesh.interface ?? 'wg0');
  const enrollment = (publicKey: string, hostKey: string): HostEnrollment => ({
    host: request.host,
    publicKey,
    ssh: { ...request.ssh, hostKey },
    ...(request.site !== undefined ? { site: request.site } : {}),
    ...(request.roles !== undefined ? { roles: request.roles } : {}),
  });
  const planned = checkedWrite(topology, enrollment(standInPublicKey(request.host), STAND_IN_HOST_KEY), request.host);
  if (planned.diagnostics.some(isError)) return stop(errors(planned.diagnostics));

  // 2. The host key, trusted or not.
  let presented: PresentedHostKey;
  try {
    presented = await effects.scanHostKey({ address: request.ssh.address, port });
  } catch (error) {
    return stop([unreachable(request, port, error)]);
  }
  const seen = { hostKey: presented.hostKey, fingerprint: presented.fingerprint };
  const decision = decideTrust(request.host, presented, { ...(fingerprint?.fingerprint ? { fingerprint: fingerprint.fingerprint } : {}), trustOnFirstUse: request.trustOnFirstUse === true });
  if (!decision.trusted) return stop([decision.diagnostic], seen);

  // 3. The WireGuard key, on the host.
  let remote: RemoteHost;
  try {
    remote = await effects.connect({ host: request.host, address: request.ssh.address, port, user, hostKey: presented.hostKey });
  } catch (error) {
    if (!(error instanceof HostKeyMismatch)) return stop([unreachable(request, port, error)], seen);
    const changed = `${request.host} presented another host key when enroll logged in than the ${presented.fingerprint} it had just read: refusing to log in`;
    return stop([commandLineError('FT535', changed, 'something at that address changed its key between two connections a moment apart: find out what answers there before trying again')], seen);
  }
  let key;
  try {
    key = await ensureWireguardKey(remote, request.host, user, keyFile);
  } catch (error) {
    key = { diagnostic: commandLineError('FT536', `${request.host}: could not make the WireGuard key ${keyFile}: ${remoteText((error as Error).message)}`) };
  } finally {
    remote.close();
  }
  if ('diagnostic' in key) return stop([key.diagnostic], { ...seen, keyFile });
  const made = { ...seen, keyFile, created: key.created, publicKey: key.publicKey };

  // 4. The topology, for real.
  const result = checkedWrite(topology, enrollment(key.publicKey, presented.hostKey), request.host);
  if (!result.text || result.diagnostics.some(isError)) return stop(result.diagnostics, { ...made, ...(result.text ? { text: result.text } : {}) });
  const written = result.change !== 'unchanged';
  if (written) await effects.writeTopology(result.text);
  return { text: result.text, change: result.change!, written, diagnostics: result.diagnostics, ...made };
}

/** writeHost, then the result validated, its diagnostics pointed back into the topology file. */
function checkedWrite(topology: SourceText, enrollment: HostEnrollment, host: string): { text?: string; change?: HostChange; diagnostics: Diagnostic[] } {
  const written = writeHost(topology, enrollment);
  if (!written.text) return written;
  const validated = validateSource({ path: topology.path, text: written.text });
  return { text: written.text, change: written.change!, diagnostics: pointIntoTopology(validated.diagnostics, topology.text, written.text, host) };
}

/**
 * Spans in the written text -> spans in the topology as it is on disk: a line enroll left alone is
 * found where it was; a line it added or changed is the host's, so the span points at the host's
 * entry (or `hosts:` for a new host), and the message says the value is the one enroll would write.
 */
function pointIntoTopology(diagnostics: Diagnostic[], before: string, after: string, host: string): Diagnostic[] {
  const oldLineOf: (number | undefined)[] = [undefined]; // 1-based: new line -> old line, when unchanged
  let oldLine = 1;
  for (const part of diffLines(before, after)) {
    const count = part.count ?? 0;
    if (part.removed) oldLine += count;
    else if (part.added) for (let i = 0; i < count; i++) oldLineOf.push(undefined);
    else for (let i = 0; i < count; i++) oldLineOf.push(oldLine++);
  }
  // The strict loader has read this text before; it knows where the host's entry (or `hosts:`) is.
  const document = parseSourceDocument({ path: '', text: before }).document;
  const known = (document?.value as { hosts?: Record<string, unknown> } | undefined)?.hosts?.[host] !== undefined;
  const hostLine = document ? document.locate(known ? ['hosts', host] : ['hosts'], 'key').start.line : 1;
  return diagnostics.map((diagnostic) => {
    const start = oldLineOf[diagnostic.span.start.line];
    const end = oldLineOf[diagnostic.span.end.line];
    if (start !== undefined && end !== undefined) return { ...diagnostic, span: { ...diagnostic.span, start: { ...diagnostic.span.start, line: start }, end: { ...diagnostic.span.end, line: end } } };
    const span: SourceSpan = { file: diagnostic.span.file, start: { line: hostLine, col: 1 }, end: { line: hostLine, col: 1 } };
    return { ...diagnostic, span, message: `${diagnostic.message} (in the entry enroll would write for ${host})` };
  });
}

function isError(diagnostic: AnyDiagnostic): boolean {
  return diagnostic.severity === 'error';
}

function errors<D extends AnyDiagnostic>(diagnostics: D[]): D[] {
  return diagnostics.filter(isError);
}

function unreachable(request: EnrollRequest, port: number, error: unknown): AnyDiagnostic {
  const where = `${request.ssh.address}${port === 22 ? '' : ` port ${port}`}`;
  return commandLineError('FT535', `${request.host}: cannot connect to ${where}: ${remoteText((error as Error).message ?? String(error))}`);
}

/**
 * Stand-ins for the keys enroll does not have before it connects: well-formed, so they pass the
 * checks the real ones will, and unlike any key a host has (the public key is derived from the
 * host name, so it never repeats another host's).
 */
function standInPublicKey(host: string): string {
  return createHash('sha256').update(`fortress enroll stand-in for ${host}`).digest('base64');
}
const STAND_IN_HOST_KEY = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32)]).toString('base64')}`;
