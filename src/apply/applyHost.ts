// One host's apply, in two halves the fleet runs separately: `readHost` connects with the pinned key
// and plans against the host's state (one round trip; `--dry-run` stops there), `executeHost` carries
// out exactly that plan: upload to a staging directory, start the transaction detached on the host,
// follow its log, and confirm the activation over a fresh SSH connection.
import { randomBytes } from 'node:crypto';
import { wireguardKeyFile } from '../render/wireguard/renderWireguardConfig.js';
import { pathsToRead, planHost, parseRemoteState, type HostPlan, type PlannedFile } from './hostPlan.js';
import { asRoot, decideScript, parseTransactionLine, readStateScript, startScript, SUDO_REFUSED, sudoRuleMissing, transactionScript, type TransactionOutcome } from './remoteScripts.js';
import { remoteText } from './remoteText.js';
import type { RemoteHost, SshTarget } from './sshConnection.js';

export interface HostJob {
  host: string;
  isHub: boolean;
  publicKey: string;
  meshAddress: string;
  interfaceName: string;
  ssh?: Omit<SshTarget, 'host' | 'hostKey'> & { hostKey?: string };
  files: PlannedFile[];
  /** Where verification connects through the tunnel: the hub's mesh address and a TCP port there. */
  verify?: { publicKey: string; address: string; port: number };
}

export type HostResultKind = 'unchanged' | 'planned' | 'applied' | 'failed' | 'rolled back' | 'ROLLBACK FAILED' | 'skipped';

export interface HostResult {
  host: string;
  isHub: boolean;
  result: HostResultKind;
  plan?: HostPlan;
  rttMs?: number;
  seconds: number;
  message?: string;
}

export interface ApplyEnvironment {
  connect(target: SshTarget): Promise<RemoteHost>;
  onEvent(host: string, event: string): void;
  now(): number;
}

export interface HostApplyOptions {
  dryRun: boolean;
  verifyTimeoutSeconds: number;
  /** How long a host waits for the controller's confirmation over a fresh connection before it rolls back. */
  confirmTimeoutSeconds: number;
  lockWaitSeconds: number;
}

/** A host read and planned, with its connection kept open for the execution. */
export interface ReadHost {
  job: HostJob;
  started: number;
  plan?: HostPlan;
  remote?: RemoteHost;
  /** Set when the host is done already: unreachable, refused, or nothing to do. */
  result?: HostResult;
}

/** What the fleet decides when a host waits for confirmation: confirm, or roll back and why. */
export type Confirmation = (fresh: RemoteHost) => Promise<{ confirm: true } | { confirm: false; why: string }>;

const READ_TIMEOUT_MS = 30_000;
const DECIDE_TIMEOUT_MS = 15_000;

export async function readHost(job: HostJob, env: ApplyEnvironment): Promise<ReadHost> {
  const started = env.now();
  const done = (result: HostResultKind, extra: Partial<HostResult> = {}): ReadHost => ({ job, started, result: hostResult(job, env, started, result, extra) });
  if (!job.ssh) return done('failed', { message: 'the topology gives no ssh settings for this host' });
  if (!job.ssh.hostKey) return done('failed', { message: 'the topology pins no ssh.hostKey for this host: refusing to connect to an unknown key' });

  let remote: RemoteHost;
  try {
    remote = await env.connect(target(job));
  } catch (error) {
    return done('failed', { message: `cannot connect: ${remoteText((error as Error).message)}` });
  }
  try {
    env.onEvent(job.host, 'connected');
    const script = readStateScript(pathsToRead(job.files), job.interfaceName, wireguardKeyFile(job.interfaceName));
    const read = await remote.exec(asRoot(job.ssh.user, 'bash -s'), { stdin: script, timeoutMs: READ_TIMEOUT_MS });
    if (read.code !== 0) {
      remote.close();
      return done('failed', { message: read.stderr.includes(SUDO_REFUSED) ? sudoRuleMissing(job.ssh.user) : `cannot read the host's state: ${remoteText(read.stderr) || `exit ${read.code}`}` });
    }
    const plan = planHost(job.host, job.isHub, job.publicKey, job.files, parseRemoteState(read.stdout));
    if (plan.refusal) {
      remote.close();
      return done('failed', { plan, message: plan.refusal });
    }
    if (plan.changes.length === 0 && !plan.rotateKey) {
      remote.close();
      return done('unchanged', { plan, ...(plan.notice ? { message: plan.notice } : {}) });
    }
    const rotation = plan.rotateKey ? ', and its new WireGuard key' : '';
    env.onEvent(job.host, `${plan.changes.length} file${plan.changes.length === 1 ? '' : 's'} to change${rotation} (${plan.disruption})`);
    return { job, started, plan, remote };
  } catch (error) {
    remote.close();
    return done('failed', { message: `cannot read the host's state: ${remoteText((error as Error).message)}` });
  }
}

/** Carries out a read host's plan. `confirmation` decides when the host waits for it (hubs: after a canary). */
export async function executeHost(read: ReadHost, env: ApplyEnvironment, options: HostApplyOptions, confirmation: Confirmation = async () => ({ confirm: true })): Promise<HostResult> {
  const { job, plan, remote } = read;
  if (read.result) return read.result;
  if (!plan || !remote || !job.ssh) throw new Error(`executeHost: ${job.host} was not read`);
  const finish = (result: HostResultKind, extra: Partial<HostResult> = {}) => hostResult(job, env, read.started, result, { plan, ...extra });
  if (options.dryRun) {
    remote.close();
    return finish('planned', plan.notice ? { message: plan.notice } : {});
  }

  const tx = `${new Date(env.now()).toISOString().replace(/[^0-9]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
  const stage = `/var/lib/fortress/staging/${tx}`;
  // A user other than root cannot write into root's state: it uploads to its home, and the
  // transaction's starter (as root) moves the files into place.
  const uploadTo = job.ssh.user === 'root' ? stage : `.fortress-upload/${tx}`;
  const confirmTimeout = job.isHub ? options.confirmTimeoutSeconds + options.verifyTimeoutSeconds + 15 : options.confirmTimeoutSeconds;
  const transaction = transactionScript({
    TX: tx,
    STAGE: stage,
    FILES: plan.changes.map((f) => `${f.action} ${f.hostPath} ${f.mode} ${f.expected ?? '-'}`).join('\n'),
    IFACE: job.interfaceName,
    KEYFILE: wireguardKeyFile(job.interfaceName),
    PUBKEY: job.publicKey,
    WG_CLASS: plan.wireguard,
    SYSCTL_CHANGED: plan.changes.some((f) => f.reload === 'sysctl') ? 1 : 0,
    HAPROXY_ACTION: plan.haproxy,
    FIREWALL_CHANGED: plan.changes.some((f) => f.reload === 'firewall') ? 1 : 0,
    UNIT_CHANGED: plan.changes.some((f) => f.reload === 'systemd') ? 1 : 0,
    ROTATE_KEY: plan.rotateKey ? 1 : 0,
    VERIFY_HUB: job.verify ? 1 : 0,
    HUB_PUBKEY: job.verify?.publicKey ?? '',
    HUB_ADDR: job.verify?.address ?? '',
    VERIFY_PORT: job.verify?.port ?? 22,
    VERIFY_TIMEOUT: options.verifyTimeoutSeconds,
    CONFIRM_TIMEOUT: confirmTimeout,
    LOCK_WAIT: options.lockWaitSeconds,
  });

  let rttMs: number | undefined;
  let outcome: { kind: TransactionOutcome; detail: string } | undefined;
  const problems: string[] = [];
  let confirming: Promise<void> | undefined;
  let started = false;
  try {
    const uploads = plan.changes.filter((f) => f.action === 'put').map((f) => ({ path: `${uploadTo}${f.hostPath}`, content: f.content, mode: 0o600 }));
    await remote.upload([...uploads, { path: `${uploadTo}/transaction.sh`, content: transaction, mode: 0o600 }]);
    env.onEvent(job.host, 'uploaded');

    // The whole transaction is bounded by its own timeouts on the host; this is the controller's bound.
    const budgetMs = (options.lockWaitSeconds + options.verifyTimeoutSeconds + confirmTimeout + 120) * 1000;
    started = true;
    const run = await remote.exec(asRoot(job.ssh.user, 'bash -s'), {
      stdin: startScript({ TX: tx, STAGE: stage, UPLOADED_AS: job.ssh.user }),
      timeoutMs: budgetMs,
      // The outcome is the transaction's last word: no need to wait for the follower to notice it ended.
      until: (line) => parseTransactionLine(line)?.event === 'outcome',
      onLine: (line) => {
        const parsed = parseTransactionLine(line);
        if (!parsed) return;
        const detail = remoteText(parsed.detail);
        if (parsed.event === 'rtt') rttMs = Number(detail) / 1000;
        else if (parsed.event === 'problem') problems.push(detail);
        else if (parsed.event === 'outcome') {
          const [kind = '', ...rest] = detail.split(' ');
          outcome = { kind: kind as TransactionOutcome, detail: rest.join(' ') };
        } else if (parsed.event === 'await-confirm') confirming = confirm(job, env, stage, confirmation).catch((error: Error) => void problems.push(remoteText(error.message)));
        env.onEvent(job.host, detail ? `${parsed.event} ${detail}` : parsed.event);
      },
    });
    await confirming;
    const message = problems.join('; ');
    switch (outcome?.kind) {
      case 'applied':
        return finish('applied', { ...(rttMs === undefined ? {} : { rttMs }), ...(plan.notice ? { message: plan.notice } : {}) });
      case 'rolled-back':
        return finish('rolled back', { message: `${outcome.detail || message}; rolled back to the previous files` });
      case 'ROLLBACK-FAILED':
        return finish('ROLLBACK FAILED', { message: outcome.detail || message });
      case 'refused':
        return finish('failed', { message: outcome.detail || message });
      default:
        if (run.stderr.includes(SUDO_REFUSED)) return finish('failed', { message: sudoRuleMissing(job.ssh.user) });
        return finish('failed', { message: `the transaction ended without an outcome: ${remoteText(run.stderr) || message || `exit ${run.code}`}` });
    }
  } catch (error) {
    const why = remoteText((error as Error).message);
    return finish('failed', {
      message: started
        ? `connection lost during the transaction (${why}): the host finishes or rolls back by itself, and the next apply reports how it ended`
        : `connection lost: ${why}`,
    });
  } finally {
    remote.close();
  }
}

/**
 * Magic rollback's other half: a fresh SSH connection proves the host is still reachable after the
 * activation; only then (and when the fleet agrees, for hubs) is the transaction told to keep it.
 */
async function confirm(job: HostJob, env: ApplyEnvironment, stage: string, confirmation: Confirmation): Promise<void> {
  let fresh: RemoteHost;
  try {
    fresh = await env.connect(target(job));
  } catch (error) {
    throw new Error(`no fresh SSH connection after the activation (${(error as Error).message}): the host rolls back by itself`);
  }
  try {
    const decision = await confirmation(fresh);
    const word = decision.confirm ? 'confirm' : `rollback ${decision.why}`;
    const sent = await fresh.exec(asRoot(job.ssh!.user, 'bash -s'), { stdin: decideScript({ STAGE: stage, DECISION: word }), timeoutMs: DECIDE_TIMEOUT_MS });
    if (sent.code !== 0) throw new Error(`could not confirm: ${remoteText(sent.stderr) || `exit ${sent.code}`}`);
    env.onEvent(job.host, decision.confirm ? 'confirmed over a fresh connection' : `asked to roll back: ${decision.why}`);
  } finally {
    fresh.close();
  }
}

/** Where a job's host is reached: its SSH settings and the pinned host key (readHost checked both exist). */
export function target(job: HostJob): SshTarget {
  return { host: job.host, ...job.ssh!, hostKey: job.ssh!.hostKey! };
}

function hostResult(job: HostJob, env: ApplyEnvironment, started: number, result: HostResultKind, extra: Partial<HostResult>): HostResult {
  return { host: job.host, isHub: job.isHub, result, seconds: (env.now() - started) / 1000, ...extra };
}
