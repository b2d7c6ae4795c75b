// apply's plan for one host, pure: what the rendered tree wants there, against what the host reported
// in one round trip. `apply --dry-run` prints these; apply carries them out.
import type { ManifestEntry } from '../emit/manifest.js';
import type { DisruptionClass } from '../review/hostChanges.js';

export interface RemoteState {
  /** target path -> sha256, or undefined when the file is missing */
  hashes: Map<string, string | undefined>;
  /** The key lines of the live config's [Interface] section, when there is one. */
  interfaceLines?: string;
  /** The public key of the live WireGuard interface, when it is up. */
  liveKey?: string;
}

export interface PlannedFile {
  path: string; // inside rendered/
  hostPath: string;
  mode: string;
  reload: ManifestEntry['reload'];
  content: string;
  /** The content's hash, as the manifest records it. */
  sha256: string;
}

export interface HostPlan {
  host: string;
  isHub: boolean;
  /** Files that differ from the host's copy, in the order they are installed. */
  changes: PlannedFile[];
  /** What the WireGuard part of the change does to the tunnel. */
  wireguard: DisruptionClass;
  disruption: DisruptionClass;
}

export function parseRemoteState(output: string): RemoteState {
  const hashes = new Map<string, string | undefined>();
  const state: RemoteState = { hashes };
  for (const line of output.split('\n')) {
    const [kind, first, ...rest] = line.split(' ');
    if (kind === 'file' && first !== undefined) hashes.set(rest.join(' '), first === '-' ? undefined : first);
    if (kind === 'interface' && first !== undefined) state.interfaceLines = Buffer.from(first, 'base64').toString('utf8');
    if (kind === 'key' && first) state.liveKey = first;
  }
  return state;
}

export function planHost(host: string, isHub: boolean, wanted: readonly PlannedFile[], remote: RemoteState): HostPlan {
  const changes = wanted.filter((f) => remote.hashes.get(f.hostPath) !== f.sha256);
  const wg = changes.find((f) => f.reload === 'wireguard');
  // Peers and their settings reload live; anything in [Interface] (address, port, MTU, key) needs the
  // interface brought down and up. A host without a config yet comes up for the first time.
  const wireguard: DisruptionClass = !wg ? 'none' : remote.interfaceLines === undefined || interfaceLines(wg.content) !== remote.interfaceLines ? 'restart' : 'live';
  const disruption: DisruptionClass = wireguard === 'restart' ? 'restart' : changes.length > 0 ? 'live' : 'none';
  return { host, isHub, changes, wireguard, disruption };
}

/** The [Interface] key lines of a wg-quick file, as the host's `sed` prints them. */
export function interfaceLines(config: string): string {
  const lines: string[] = [];
  for (const line of config.split('\n')) {
    if (line.startsWith('[Peer]')) break;
    if (/^[A-Za-z]/.test(line)) lines.push(line);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
