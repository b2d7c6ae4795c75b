// The order of an apply: hubs one by one first, and if a hub fails nothing else is touched; then the
// rest of the fleet in parallel, at most `concurrency` at a time.
import { applyHost, type ApplyEnvironment, type HostApplyOptions, type HostJob, type HostResult } from './applyHost.js';

export interface FleetOptions extends HostApplyOptions {
  concurrency: number;
}

export async function applyFleet(jobs: readonly HostJob[], env: ApplyEnvironment, options: FleetOptions): Promise<HostResult[]> {
  const results: HostResult[] = [];
  const hubs = jobs.filter((j) => j.isHub);
  const fleet = jobs.filter((j) => !j.isHub);

  for (const hub of hubs) {
    const result = await applyHost(hub, env, options);
    results.push(result);
    if (result.result === 'failed') {
      const skipped = [...hubs.slice(hubs.indexOf(hub) + 1), ...fleet];
      for (const job of skipped) results.push({ host: job.host, isHub: job.isHub, result: 'skipped', seconds: 0, message: `hub ${hub.host} failed` });
      return results;
    }
  }

  let next = 0;
  const worker = async () => {
    while (next < fleet.length) {
      const job = fleet[next++]!;
      results.push(await applyHost(job, env, options));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, fleet.length)) }, worker));
  const order = new Map(jobs.map((j, i) => [j.host, i]));
  return results.sort((a, b) => order.get(a.host)! - order.get(b.host)!);
}
