// What changes on one host, in words, and how disruptive applying it is (by the disruption model
// apply uses too, render/wireguard/disruption.ts).
import { createHash } from 'node:crypto';
import { firewallChanges } from './firewallChanges.js';
import { ownEntry } from './ownEntry.js';
import type { HostFacts, Manifest } from '../emit/manifest.js';
import { hostDisruption, interfaceLines, wireguardDisruption, type DisruptionClass } from '../render/wireguard/disruption.js';

export type { DisruptionClass };

/** Mesh settings that live in every host's [Interface] section: changing one restarts every interface. */
export const INTERFACE_SETTINGS = ['mtu', 'listenPort', 'interface', 'cidr'] as const;

export interface HostChangeSummary {
  change: 'added' | 'removed' | 'changed';
  /** A hub on either side: its changes reach every spoke. */
  hub: boolean;
  disruption: DisruptionClass;
  summary: string[];
}

type Side = Manifest | undefined;

/** The host's wg-quick file on each side, when the trees have one. */
export interface WireguardFiles {
  before?: string;
  after?: string;
}

export function summarizeHost(name: string, base: Side, head: Side, filesChanged: boolean, wireguard: WireguardFiles = {}): HostChangeSummary {
  const before = ownEntry(base?.hosts, name);
  const after = ownEntry(head?.hosts, name);
  const hub = [before, after].some((h) => h?.roles.includes('hub'));
  if (!before && after) {
    const site = ownEntry(head!.sites, after.site);
    return {
      change: 'added',
      hub,
      disruption: 'none',
      summary: [`new host at ${after.site}${site ? ` (${site.provider} ${site.region}, ${site.country})` : ''}, mesh address ${after.meshAddress}, roles: ${after.roles.join(', ') || 'none'}`],
    };
  }
  if (before && !after) {
    return { change: 'removed', hub, disruption: 'restart', summary: [`leaves the mesh: was ${before.meshAddress} at ${before.site}; its tunnels go down`] };
  }
  if (!before || !after) {
    // No facts on either side (a tree without a readable manifest): only the files speak.
    return { change: 'changed', hub, disruption: filesChanged ? 'live' : 'none', summary: filesChanged ? ['rendered files change'] : [] };
  }

  const summary: string[] = [];
  const restartReasons: string[] = [];
  const change = (what: string, from: unknown, to: unknown) => `${what} ${String(from)} → ${String(to)}`;

  if (before.site !== after.site) summary.push(`moves from site ${before.site} to ${after.site}`);
  if (before.meshAddress !== after.meshAddress) restartReasons.push(change('mesh address', before.meshAddress, after.meshAddress));
  if (before.publicKey !== after.publicKey) restartReasons.push('public key changes (new interface key)');
  for (const field of INTERFACE_SETTINGS) {
    if (base!.mesh[field] !== head!.mesh[field]) restartReasons.push(change(field === 'listenPort' ? 'listen port' : field === 'cidr' ? 'mesh cidr' : field, base!.mesh[field], head!.mesh[field]));
  }
  summary.push(...restartReasons);
  if (before.endpoint !== after.endpoint) summary.push(change('endpoint', before.endpoint ?? 'none', after.endpoint ?? 'none'));
  if (before.roles.join() !== after.roles.join()) summary.push(change('roles', before.roles.join(', ') || 'none', after.roles.join(', ') || 'none'));
  if (before.stores.join() !== after.stores.join()) summary.push(change('stores', before.stores.join(', ') || 'nothing', after.stores.join(', ') || 'nothing'));

  if (knowsTopologyFacts(base!)) summary.push(...sshChanges(before.ssh, after.ssh));
  summary.push(...peerChanges(before, after, base!, head!));
  if (base!.mesh.persistentKeepalive !== head!.mesh.persistentKeepalive) summary.push(change('keepalive', `${base!.mesh.persistentKeepalive}s`, `${head!.mesh.persistentKeepalive}s`));
  summary.push(...sysctlChanges(before.sysctl, after.sysctl));
  summary.push(...loadBalancerChanges(before, after));
  summary.push(...firewallChanges(before, after));
  if (filesChanged && summary.length === 0) summary.push('rendered files change without a topology change (a new fortress version?)');

  // A new key restarts the interface even though the host's own files do not name it: the private key
  // that goes with it is changed on the host itself.
  const keyChanged = before.publicKey !== after.publicKey;
  const wg =
    wireguard.after === undefined
      ? restartReasons.length > 0 ? 'restart' : 'none'
      : wireguardDisruption({
          configChanged: wireguard.before !== wireguard.after,
          interfaceBefore: wireguard.before === undefined ? undefined : interfaceLines(wireguard.before),
          interfaceAfter: interfaceLines(wireguard.after),
          keyChanged,
        });
  const disruption = hostDisruption(wg, filesChanged);
  return { change: 'changed', hub, disruption, summary };
}

function peerChanges(before: HostFacts, after: HostFacts, base: Manifest, head: Manifest): string[] {
  const lines: string[] = [];
  const added = after.peers.filter((p) => !before.peers.includes(p));
  const removed = before.peers.filter((p) => !after.peers.includes(p));
  if (added.length > 0) lines.push(`peers added: ${list(added)}`);
  if (removed.length > 0) lines.push(`peers removed: ${list(removed)}`);
  for (const peer of after.peers.filter((p) => before.peers.includes(p))) {
    const was = ownEntry(base.hosts, peer);
    const now = ownEntry(head.hosts, peer);
    if (!was || !now) continue;
    const what: string[] = [];
    if (was.endpoint !== now.endpoint) what.push(`endpoint ${was.endpoint ?? 'none'} → ${now.endpoint ?? 'none'}`);
    if (was.publicKey !== now.publicKey) what.push('new public key');
    if (was.meshAddress !== now.meshAddress) what.push(`address ${was.meshAddress} → ${now.meshAddress}`);
    if (what.length > 0) lines.push(`peer ${peer}: ${what.join(', ')}`);
  }
  if (base.mesh.listenPort !== head.mesh.listenPort && after.peers.length > 0) lines.push(`every peer's port ${base.mesh.listenPort} → ${head.mesh.listenPort}`);
  return lines;
}

/** Manifests written before fortress recorded SSH targets and policy cannot say whether those changed. */
export const knowsTopologyFacts = (manifest: Manifest) => manifest.policy !== undefined;

type SshFacts = HostFacts['ssh'];

/** Where apply connects, as people write it: user@address:port. */
export function sshTarget(ssh: SshFacts): string {
  return ssh ? `${ssh.user}@${ssh.address.includes(':') ? `[${ssh.address}]` : ssh.address}:${ssh.port}` : 'none';
}

/** The key as `ssh-keygen -l` shows it, so a reviewer can compare it with the host's console. */
export function hostKeyFingerprint(hostKey: string | undefined): string {
  if (hostKey === undefined) return 'none';
  const [type, blob] = hostKey.split(' ');
  return `${type} SHA256:${createHash('sha256').update(Buffer.from(blob ?? '', 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** A deploy key as a reviewer checks it: type, fingerprint (as `ssh-keygen -l` prints it) and comment. */
export function describeDeployKey(line: string): string {
  const comment = line.split(' ').slice(2).join(' ');
  return `${hostKeyFingerprint(line)}${comment ? ` ${comment}` : ''}`;
}

function sshChanges(before: SshFacts, after: SshFacts): string[] {
  const lines: string[] = [];
  if (sshTarget(before) !== sshTarget(after)) lines.push(`SSH target ${sshTarget(before)} → ${sshTarget(after)}`);
  if (before?.hostKey !== after?.hostKey) lines.push(`SSH host key pin ${hostKeyFingerprint(before?.hostKey)} → ${hostKeyFingerprint(after?.hostKey)}`);
  return lines;
}

function sysctlChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .map((k): [string, string | undefined, string | undefined] => [k, ownEntry(before, k), ownEntry(after, k)])
    .filter(([, was, now]) => was !== now)
    .map(([k, was, now]) => (was === undefined ? `sysctl ${k} = ${now} added` : now === undefined ? `sysctl ${k} removed (was ${was})` : `sysctl ${k} ${was} → ${now}`));
}

function loadBalancerChanges(before: HostFacts, after: HostFacts): string[] {
  const was = before.loadBalancer;
  const now = after.loadBalancer;
  if (!was && !now) return [];
  if (!was) return [`starts HAProxy (load balancer ${now!.name})`];
  if (!now) return [`stops running HAProxy (load balancer ${was.name})`];
  const lines: string[] = [];
  const frontendText = (f: { name: string; bind: string; backend: string }) => `${f.bind} → ${f.backend}`;
  const frontends = new Set([...was.frontends, ...now.frontends].map((f) => f.name));
  for (const name of [...frontends].sort()) {
    const a = was.frontends.find((f) => f.name === name);
    const b = now.frontends.find((f) => f.name === name);
    if (!a) lines.push(`frontend ${name} added (${frontendText(b!)})`);
    else if (!b) lines.push(`frontend ${name} removed`);
    else if (frontendText(a) !== frontendText(b)) lines.push(`frontend ${name}: ${frontendText(a)} becomes ${frontendText(b)}`);
  }
  const backends = [...new Set([...Object.keys(was.backends), ...Object.keys(now.backends)])].sort();
  for (const name of backends) {
    const a = ownEntry(was.backends, name);
    const b = ownEntry(now.backends, name);
    if (!a) lines.push(`backend ${name} added`);
    else if (!b) lines.push(`backend ${name} removed`);
    else {
      const describe = (s: { host: string; address: string; port: number; backup: boolean }) => `${s.address}:${s.port}${s.backup ? ' backup' : ''}`;
      const hosts = [...new Set([...a.servers, ...b.servers].map((s) => s.host))].sort();
      for (const host of hosts) {
        const sa = a.servers.find((s) => s.host === host);
        const sb = b.servers.find((s) => s.host === host);
        if (!sa) lines.push(`backend ${name}: server ${host} added (${describe(sb!)})`);
        else if (!sb) lines.push(`backend ${name}: server ${host} removed`);
        else if (describe(sa) !== describe(sb)) lines.push(`backend ${name}: server ${host} ${describe(sa)} → ${describe(sb)}`);
      }
    }
  }
  return lines;
}

function list(names: string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
}
