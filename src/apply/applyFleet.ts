// The order of an apply. Every host is read and planned first (the fleet-wide plan `--dry-run`
// prints). Then hubs, one at a time: a hub's change counts only once a canary spoke reaches it
// through the new configuration; if it cannot, the hub rolls back and nothing else is touched. Then
// the rest of the fleet in parallel, at most `concurrency` at a time.
import { executeHost, readHost, target, type ApplyEnvironment, type Confirmation, type HostApplyOptions, type HostJob, type HostResult, type ReadHost } from './applyHost.js';
import { inParallel } from './inParallel.js';
import { asRoot, shellQuote } from './remoteScripts.js';
import { remoteText } from './remoteText.js';

export interface FleetOptions extends HostApplyOptions {
  concurrency: number;
}

/** The fleet-wide plan: every host as it was read, in the topology's order. */
export async function planFleet(jobs: readonly HostJob[], env: ApplyEnvironment, concurrency: number): Promise<ReadHost[]> {
  return inParallel(jobs, concurrency, (job) => readHost(job, env));
}

export async function applyFleet(jobs: readonly HostJob[], env: ApplyEnvironment, options: FleetOptions): Promise<HostResult[]> {
  const plan = await planFleet(jobs, env, options.concurrency);
  return executeFleet(plan, env, options);
}

export async function executeFleet(plan: readonly ReadHost[], env: ApplyEnvironment, options: FleetOptions): Promise<HostResult[]> {
  const results = new Map<string, HostResult>();
  const hubs = plan.filter((h) => h.job.isHub);
  let fleet = plan.filter((h) => !h.job.isHub);
  const skipAll = (why: string, hosts: readonly ReadHost[]) => {
    for (const h of hosts) {
      h.remote?.close();
      results.set(h.job.host, h.result ?? { host: h.job.host, isHub: h.job.isHub, result: 'skipped', seconds: 0, message: why });
    }
  };

  for (const [index, hub] of hubs.entries()) {
    // The canary: the first spoke that reaches hubs and was read. It applies its own plan inside the
    // hub's confirmation, so its verify is the fleet's view of the hub's new configuration.
    // A spoke switching to a new key goes first: inside the hub's confirmation, right after the hub
    // learns that key, so its tunnel is down for the shortest time.
    const applying = fleet.filter((h) => !h.result && h.job.verify && h.job.ssh?.hostKey);
    const canary = options.dryRun || hub.result ? undefined : applying.find((h) => h.plan?.rotateKey) ?? applying[0] ?? fleet.find((h) => h.result?.result === 'unchanged' && h.job.verify);
    let canaryResult: HostResult | undefined;
    const confirmation: Confirmation = async () => {
      if (!canary) return { confirm: true };
      env.onEvent(hub.job.host, `canary ${canary.job.host}: checking the hub through the tunnel`);
      // A canary that verifies against another hub (a second hub's change) also probes this one.
      canaryResult = canary.remote ? await executeHost(canary, env, options) : undefined;
      if (!canaryResult || (canaryResult.result === 'applied' && canary.job.verify?.address !== hub.job.meshAddress)) {
        const probe = await probeThroughTunnel(canary, hub, env, options);
        canaryResult = canaryResult && probe.result !== 'failed' ? canaryResult : probe;
      }
      return canaryResult.result === 'applied' || canaryResult.result === 'unchanged'
        ? { confirm: true }
        : { confirm: false, why: `canary ${canary.job.host} could not reach the hub through its new configuration (${canaryResult.message ?? canaryResult.result})` };
    };
    const result = await executeHost(hub, env, options, confirmation);
    results.set(hub.job.host, result);
    if (canary && canaryResult) {
      results.set(canary.job.host, canaryResult);
      fleet = fleet.filter((h) => h !== canary);
    }
    if (result.result !== 'applied' && result.result !== 'unchanged' && result.result !== 'planned') {
      skipAll(`hub ${hub.job.host} did not apply`, [...hubs.slice(index + 1), ...fleet.filter((h) => !results.has(h.job.host))]);
      return inOrder(plan, results);
    }
  }

  await inParallel(fleet, options.concurrency, async (h) => results.set(h.job.host, await executeHost(h, env, options)));
  return inOrder(plan, results);
}

/**
 * A canary with nothing to change still proves a hub's change: from the spoke, a TCP connection to
 * the hub's mesh address through the tunnel, and a handshake with the hub's key, within the verify timeout.
 */
async function probeThroughTunnel(canary: ReadHost, hub: ReadHost, env: ApplyEnvironment, options: HostApplyOptions): Promise<HostResult> {
  const started = env.now();
  const result = (kind: HostResult['result'], message?: string): HostResult => ({
    host: canary.job.host,
    isHub: false,
    result: kind,
    seconds: (env.now() - started) / 1000,
    ...(canary.result?.plan ? { plan: canary.result.plan } : {}),
    ...(message ? { message } : {}),
  });
  const hubAddress = hub.job.meshAddress;
  const port = canary.job.verify!.port;
  const script = [
    `deadline=$((SECONDS + ${options.verifyTimeoutSeconds}))`,
    `until timeout 2 bash -c ${shellQuote(`exec 3<>/dev/tcp/${hubAddress}/${port}`)} 2>/dev/null; do`,
    `  [ "$SECONDS" -lt "$deadline" ] || { echo "no TCP connection to the hub at ${hubAddress}:${port} through the tunnel within ${options.verifyTimeoutSeconds}s" >&2; exit 1; }`,
    '  sleep 0.2',
    'done',
    `wg show ${shellQuote(canary.job.interfaceName)} latest-handshakes | awk -v key=${shellQuote(hub.job.publicKey)} '$1 == key && $2 > 0 { found = 1 } END { exit !found }' || { echo "no handshake with the hub" >&2; exit 1; }`,
  ].join('\n');
  try {
    const remote = await env.connect(target(canary.job));
    try {
      const run = await remote.exec(asRoot(canary.job.ssh!.user, 'bash -s'), { stdin: script, timeoutMs: (options.verifyTimeoutSeconds + 15) * 1000 });
      return run.code === 0 ? result('unchanged') : result('failed', `canary: ${remoteText(run.stderr)}`);
    } finally {
      remote.close();
    }
  } catch (error) {
    return result('failed', `canary: ${remoteText((error as Error).message)}`);
  }
}

function inOrder(plan: readonly ReadHost[], results: ReadonlyMap<string, HostResult>): HostResult[] {
  return plan.map((h) => results.get(h.job.host) ?? h.result!);
}
