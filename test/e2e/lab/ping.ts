// Reachability checks between lab hosts, every one bounded in count and time.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandResult } from './command.js';
import type { HostNamespace } from './hostNamespace.js';

/** `ping -c 2 -W 2`: exit code 0 when a reply came back. */
export function ping(host: HostNamespace, address: string): Promise<CommandResult> {
  return host.run(['ping', '-n', '-c', '2', '-W', '2', address], { timeoutMs: 15_000 });
}

/**
 * Pings once a second until a reply comes or the time is up. A fresh tunnel needs a handshake
 * before the first packet gets through, and a forwarded one needs both ends' handshakes with the hub.
 */
export async function waitUntilReachable(host: HostNamespace, address: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < Math.ceil(timeoutMs / 500) && Date.now() < deadline; attempt++) {
    const result = await host.run(['ping', '-n', '-c', '1', '-W', '1', address], { timeoutMs: 5_000 });
    if (result.code === 0) return true;
    await sleep(100);
  }
  return false;
}
