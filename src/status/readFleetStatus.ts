// Status's effects: each host reached with the pinned key like apply reaches it (through `sudo -n`
// for users other than root) and read in one round trip, at most `concurrency` hosts at a time.
// Nothing is written on any host.
import { target } from '../apply/applyHost.js';
import { pathsToRead } from '../apply/hostPlan.js';
import { asRoot, SUDO_REFUSED, sudoRuleMissing } from '../apply/remoteScripts.js';
import { remoteText } from '../apply/remoteText.js';
import type { RemoteHost, SshTarget } from '../apply/sshConnection.js';
import { wireguardKeyFile } from '../render/wireguard/renderWireguardConfig.js';
import { parseHostObservation } from './hostObservation.js';
import { hostStatus, unreachableHost, type HostStatus, type StatusOptions } from './hostStatus.js';
import { rttBudgetSeconds, statusScript } from './statusScript.js';
import type { StatusTarget } from './statusTargets.js';

export interface StatusEnvironment {
  connect(target: SshTarget): Promise<RemoteHost>;
  now(): number;
}

/** Seconds the host may take besides the round trips: hashing files, nft in a scratch namespace, HAProxy. */
const READ_SECONDS = 20;

export async function readFleetStatus(targets: readonly StatusTarget[], env: StatusEnvironment, options: StatusOptions & { concurrency: number }): Promise<HostStatus[]> {
  const out: HostStatus[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      out[index] = await readHostStatus(targets[index]!, env, options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, targets.length)) }, worker));
  return out;
}

export async function readHostStatus(statusTarget: StatusTarget, env: StatusEnvironment, options: StatusOptions): Promise<HostStatus> {
  const { job } = statusTarget;
  const started = env.now();
  const seconds = () => (env.now() - started) / 1000;
  if (!job.ssh?.hostKey) return unreachableHost(statusTarget, 'the topology pins no ssh settings or ssh.hostKey for this host', 0);
  let remote: RemoteHost;
  try {
    remote = await env.connect(target(job));
  } catch (error) {
    return unreachableHost(statusTarget, `cannot connect: ${remoteText((error as Error).message)}`, seconds());
  }
  try {
    const budget = rttBudgetSeconds(options.samples);
    const script = statusScript(pathsToRead(job.files), job.interfaceName, wireguardKeyFile(job.interfaceName), {
      STATUS_PROBE: 1,
      RTT_ADDR: statusTarget.tunnel?.address ?? '',
      RTT_PORT: statusTarget.tunnel?.port ?? 22,
      RTT_SAMPLES: options.samples,
      RTT_BUDGET: budget,
      HAPROXY_SOCKET: statusTarget.haproxy?.socket ?? '',
      FIREWALL: statusTarget.firewall ?? '',
    });
    const read = await remote.exec(asRoot(job.ssh.user, 'bash -s'), { stdin: script, timeoutMs: (budget + READ_SECONDS) * 1000 });
    if (read.code !== 0) {
      const why = read.stderr.includes(SUDO_REFUSED) ? sudoRuleMissing(job.ssh.user) : `cannot read the host's state: ${remoteText(read.stderr) || `exit ${read.code}`}`;
      return unreachableHost(statusTarget, why, seconds());
    }
    return hostStatus(statusTarget, parseHostObservation(read.stdout), seconds());
  } catch (error) {
    return unreachableHost(statusTarget, `cannot read the host's state: ${remoteText((error as Error).message)}`, seconds());
  } finally {
    remote.close();
  }
}
