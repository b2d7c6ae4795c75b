// What `fortress status` runs on a host, in one round trip: apply's state reader (readState.sh,
// which reports the managed files' hashes, the interface's key and how the last transaction ended)
// with its status part switched on. The variables that part reads are declared here, once, and
// shell-quoted like apply's, so no value can become a command.
import { readStateScript, shellQuote } from '../apply/remoteScripts.js';

export interface StatusProbeVariables {
  /** 1: readState.sh goes on past apply's part and reads what runs on the host. */
  STATUS_PROBE: 1;
  /** The hub's mesh address the round trips are timed to; empty on the hub itself (no samples). */
  RTT_ADDR: string;
  /** A TCP port the hub surely listens on at that address: its SSH port, as apply's verify uses. */
  RTT_PORT: number;
  RTT_SAMPLES: number;
  /** Seconds all samples together may take before the tunnel counts as down. */
  RTT_BUDGET: number;
  /** The `stats socket` of the rendered haproxy.cfg; empty on hosts without HAProxy. */
  HAPROXY_SOCKET: string;
  /** The rendered firewall.nft, loaded only into a throwaway network namespace; empty when none is rendered. */
  FIREWALL: string;
}

export function statusScript(files: readonly string[], interfaceName: string, keyFile: string, probe: StatusProbeVariables): string {
  const assignments = Object.entries(probe).map(([name, value]) => `${name}=${shellQuote(String(value))}`);
  return `${assignments.join('\n')}\n${readStateScript(files, interfaceName, keyFile)}`;
}

/** How long the round trips may take in all: a second to spare, and a generous 200 ms per sample. */
export function rttBudgetSeconds(samples: number): number {
  return 1 + Math.ceil(samples * 0.2);
}
