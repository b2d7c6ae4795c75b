// One host's apply: connect with the pinned key, read its state (one round trip), plan, and when
// something differs, upload to a staging directory and run the transaction script under the host's lock.
import { randomBytes } from 'node:crypto';
import { wireguardKeyFile } from '../render/wireguard/renderWireguardConfig.js';
import { planHost, parseRemoteState, type HostPlan, type PlannedFile } from './hostPlan.js';
import { readStateScript, transactionScript } from './remoteScripts.js';
import type { RemoteHost, SshTarget } from './sshConnection.js';

export interface HostJob {
  host: string;
  isHub: boolean;
  publicKey: string;
  interfaceName: string;
  ssh?: Omit<SshTarget, 'host' | 'hostKey'> & { hostKey?: string };
  files: PlannedFile[];
  /** Where verification connects through the tunnel: the hub's mesh address and a TCP port there. */
  verify?: { publicKey: string; address: string; port: number };
}

export type HostResultKind = 'unchanged' | 'planned' | 'applied' | 'failed' | 'skipped';

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
  lockWaitSeconds: number;
}

export async function applyHost(job: HostJob, env: ApplyEnvironment, options: HostApplyOptions): Promise<HostResult> {
  const started = env.now();
  const finish = (result: HostResultKind, extra: Partial<HostResult> = {}): HostResult => ({ host: job.host, isHub: job.isHub, result, seconds: (env.now() - started) / 1000, ...extra });
  if (!job.ssh) return finish('failed', { message: 'the topology gives no ssh settings for this host' });
  if (!job.ssh.hostKey) return finish('failed', { message: 'the topology pins no ssh.hostKey for this host: refusing to connect to an unknown key' });

  let remote: RemoteHost;
  try {
    remote = await env.connect({ host: job.host, ...job.ssh, hostKey: job.ssh.hostKey });
  } catch (error) {
    return finish('failed', { message: `cannot connect: ${(error as Error).message}` });
  }
  try {
    env.onEvent(job.host, 'connected');
    const read = await remote.exec('bash -s', readStateScript(job.files.map((f) => f.hostPath), job.interfaceName));
    if (read.code !== 0) return finish('failed', { message: `cannot read the host's state: ${read.stderr.trim() || `exit ${read.code}`}` });
    const state = parseRemoteState(read.stdout);
    if (state.liveKey !== undefined && state.liveKey !== job.publicKey) {
      return finish('failed', { message: `identity: this host's WireGuard key is ${state.liveKey}, but the topology says ${job.publicKey}` });
    }
    const plan = planHost(job.host, job.isHub, job.files, state);
    if (plan.changes.length === 0) return finish('unchanged', { plan });
    env.onEvent(job.host, `${plan.changes.length} file${plan.changes.length === 1 ? '' : 's'} to change (${plan.disruption})`);
    if (options.dryRun) return finish('planned', { plan });

    const tx = `${new Date(env.now()).toISOString().replace(/[^0-9]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
    const stage = `/var/lib/fortress/staging/${tx}`;
    await remote.upload(plan.changes.map((f) => ({ path: `${stage}${f.hostPath}`, content: f.content, mode: 0o600 })));
    env.onEvent(job.host, 'uploaded');

    let rttMs: number | undefined;
    let message: string | undefined;
    const script = transactionScript({
      TX: tx,
      STAGE: stage,
      FILES: plan.changes.map((f) => `${f.hostPath} ${f.mode}`).join('\n'),
      IFACE: job.interfaceName,
      KEYFILE: wireguardKeyFile(job.interfaceName),
      PUBKEY: job.publicKey,
      WG_CLASS: plan.wireguard,
      SYSCTL_CHANGED: plan.changes.some((f) => f.reload === 'sysctl') ? 1 : 0,
      HAPROXY_CHANGED: plan.changes.some((f) => f.reload === 'haproxy') ? 1 : 0,
      IS_HUB: job.isHub || !job.verify ? 1 : 0,
      HUB_PUBKEY: job.verify?.publicKey ?? '',
      HUB_ADDR: job.verify?.address ?? '',
      VERIFY_PORT: job.verify?.port ?? 22,
      VERIFY_TIMEOUT: options.verifyTimeoutSeconds,
      LOCK_WAIT: options.lockWaitSeconds,
    });
    const run = await remote.exec('bash -s', script, (line) => {
      const [, event = '', detail = ''] = /^fortress:(\S+) ?(.*)$/.exec(line) ?? [];
      if (event === 'rtt') rttMs = Number(detail) / 1000;
      else if (event === 'error' || event === 'problem') message = message ? `${message}; ${detail}` : detail;
      if (event) env.onEvent(job.host, detail ? `${event} ${detail}` : event);
    });
    if (run.code === 0) return finish('applied', { plan, ...(rttMs === undefined ? {} : { rttMs }) });
    return finish('failed', { plan, message: message ?? (run.stderr.trim() || `the transaction exited ${run.code}`) });
  } catch (error) {
    return finish('failed', { message: `connection lost: ${(error as Error).message}` });
  } finally {
    remote.close();
  }
}
