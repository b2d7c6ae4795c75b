// How disruptive a change of a host's rendered files is, one model for `diff` and `apply`:
//   none     nothing of the host's changes
//   live     peers, AllowedIPs, endpoints, keepalive (wg syncconf), sysctl (sysctl -p), HAProxy (reload):
//            applied without dropping tunnels
//   restart  the interface itself changes (address, MTU, listen port, name, key): wg-quick down and up,
//            so the host's tunnels go down briefly
export type DisruptionClass = 'none' | 'live' | 'restart';

/** The [Interface] key lines of a wg-quick file, as the host's `sed -n '/^\[Peer\]/q;/^[A-Za-z]/p'` prints them. */
export function interfaceLines(config: string): string {
  const lines: string[] = [];
  for (const line of config.split('\n')) {
    if (line.startsWith('[Peer]')) break;
    if (/^[A-Za-z]/.test(line)) lines.push(line);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export interface WireguardChange {
  /** Whether the host's wg-quick file changes at all. */
  configChanged: boolean;
  /** interfaceLines() of the file before, or undefined when the host has none yet (it comes up for the first time). */
  interfaceBefore: string | undefined;
  interfaceAfter: string;
  /** The interface's key changes (the file does not name it: PostUp loads it from the key file). */
  keyChanged: boolean;
}

export function wireguardDisruption(change: WireguardChange): DisruptionClass {
  if (change.keyChanged) return 'restart';
  if (!change.configChanged) return 'none';
  return change.interfaceBefore === undefined || change.interfaceBefore !== change.interfaceAfter ? 'restart' : 'live';
}

export function hostDisruption(wireguard: DisruptionClass, anyFileChanged: boolean): DisruptionClass {
  return wireguard === 'restart' ? 'restart' : wireguard === 'live' || anyFileChanged ? 'live' : 'none';
}
