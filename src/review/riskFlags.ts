// Changes a reviewer must not miss, whatever the size of the diff around them.
import { firewallRisks } from './firewallChanges.js';
import { ownEntry } from './ownEntry.js';
import type { Manifest } from '../emit/manifest.js';
import { isSensitiveSysctl } from '../validate/sensitiveSysctl.js';
import { describeDeployKey, hostKeyFingerprint, INTERFACE_SETTINGS, knowsTopologyFacts, sshTarget, type DisruptionClass } from './hostChanges.js';

export type RiskCode =
  | 'hub-changes'
  | 'hub-restarts'
  | 'mesh-restarts'
  | 'personal-data-moves'
  | 'backend-loses-last-primary'
  | 'address-changes'
  | 'host-leaves'
  | 'ssh-target-changes'
  | 'host-key-changes'
  | 'residency-widened'
  | 'site-country-changes'
  | 'sensitive-sysctl'
  | 'rendered-without-topology-change'
  | 'access-widened'
  | 'exposed-beyond-mesh'
  | 'deploy-key-added';

export interface RiskFlag {
  code: RiskCode;
  message: string;
}

export function findRisks(base: Manifest | undefined, head: Manifest | undefined, disruption: ReadonlyMap<string, DisruptionClass>): RiskFlag[] {
  if (!base || !head) return [];
  const risks: RiskFlag[] = [];
  const flag = (code: RiskCode, message: string) => risks.push({ code, message });

  const isHub = (m: Manifest, name: string) => ownEntry(m.hosts, name)?.roles.includes('hub') ?? false;
  const hubs = [...new Set([...Object.keys(base.hosts).filter((n) => isHub(base, n)), ...Object.keys(head.hosts).filter((n) => isHub(head, n))])].sort();
  for (const hub of hubs) {
    const was = ownEntry(base.hosts, hub);
    const now = ownEntry(head.hosts, hub);
    const what = !was
      ? 'a new hub'
      : !now
        ? 'hub removed'
        : [
            was.endpoint !== now.endpoint && `endpoint ${was.endpoint ?? 'none'} → ${now.endpoint ?? 'none'}`,
            was.publicKey !== now.publicKey && 'new public key',
            was.meshAddress !== now.meshAddress && `address ${was.meshAddress} → ${now.meshAddress}`,
            isHub(base, hub) !== isHub(head, hub) && (isHub(head, hub) ? 'becomes a hub' : 'no longer a hub'),
          ]
            .filter(Boolean)
            .join(', ');
    if (what) flag('hub-changes', `hub changes: every spoke is affected (${hub}: ${what})`);
    if (now && disruption.get(hub) === 'restart') flag('hub-restarts', `hub ${hub} restarts its interface: every spoke loses the mesh briefly`);
  }

  const meshRestart = INTERFACE_SETTINGS.filter((f) => base.mesh[f] !== head.mesh[f]);
  if (meshRestart.length > 0) flag('mesh-restarts', `${meshRestart.join(', ')} change${meshRestart.length === 1 ? 's' : ''}: every host restarts its WireGuard interface`);

  for (const [name, now] of Object.entries(head.hosts)) {
    const was = ownEntry(base.hosts, name);
    const dataClasses = now.stores;
    if (dataClasses.length === 0) continue;
    const placeNow = placeOf(head, now.site);
    const wasStoredAtSite = Object.values(base.hosts).some((h) => h.site === now.site && dataClasses.every((c) => h.stores.includes(c)));
    if (was && was.site !== now.site) flag('personal-data-moves', `personal data moves to another site: ${name} stores ${dataClasses.join(', ')} and moves from ${placeOf(base, was.site)} to ${placeNow}`);
    else if (!wasStoredAtSite) flag('personal-data-moves', `personal data moves to another site: ${dataClasses.join(', ')} will be stored at ${placeNow} (${name}), where it was not before`);
  }

  for (const [name, now] of Object.entries(head.hosts)) {
    const was = ownEntry(base.hosts, name);
    if (was && was.meshAddress !== now.meshAddress) flag('address-changes', `${name} changes mesh address ${was.meshAddress} → ${now.meshAddress}: everything that dials it follows`);
  }
  for (const name of Object.keys(base.hosts).filter((n) => !ownEntry(head.hosts, n)).sort()) flag('host-leaves', `${name} leaves the mesh`);

  risks.push(...trustRisks(base, head), ...siteRisks(base, head), ...sysctlRisks(base, head), ...firewallRisks(base, head));

  const primaries = (m: Manifest) => {
    const count = new Map<string, number>();
    for (const host of Object.values(m.hosts)) {
      const lb = host.loadBalancer;
      if (!lb) continue;
      for (const [backend, b] of Object.entries(lb.backends)) count.set(`${lb.name}/${backend}`, b.servers.filter((s) => !s.backup).length);
    }
    return count;
  };
  const primariesBefore = primaries(base);
  for (const [key, count] of primaries(head)) {
    if (count === 0 && (primariesBefore.get(key) ?? 0) > 0) {
      const [lb, backend] = key.split('/');
      flag('backend-loses-last-primary', `a backend loses its last non-backup server: ${backend} of load balancer ${lb}`);
    }
  }
  return risks;
}

/** Changes no rendered file shows, yet they decide which machine apply trusts and where data may live. */
function trustRisks(base: Manifest, head: Manifest): RiskFlag[] {
  if (!knowsTopologyFacts(base)) return [];
  const risks: RiskFlag[] = [];
  for (const [name, now] of sortedEntries(head.hosts)) {
    const was = ownEntry(base.hosts, name);
    if (!was) continue;
    if (sshTarget(was.ssh) !== sshTarget(now.ssh)) {
      risks.push({ code: 'ssh-target-changes', message: `apply connects somewhere else: ${name} SSH target ${sshTarget(was.ssh)} → ${sshTarget(now.ssh)}` });
    }
    if (was.ssh?.hostKey !== now.ssh?.hostKey) {
      const what = was.ssh?.hostKey === undefined ? 'is pinned for the first time' : now.ssh?.hostKey === undefined ? 'is no longer pinned' : 'is re-pinned';
      risks.push({ code: 'host-key-changes', message: `apply trusts another machine: ${name}'s SSH host key ${what} (${hostKeyFingerprint(was.ssh?.hostKey)} → ${hostKeyFingerprint(now.ssh?.hostKey)}); compare it with the host's console` });
    }
  }
  const before = new Map(Object.entries(base.policy?.residency ?? {}));
  for (const [dataClass, countries] of sortedEntries(head.policy?.residency ?? {})) {
    const allowedBefore = before.get(dataClass);
    const added = countries.filter((c) => !(allowedBefore ?? []).includes(c));
    if (added.length === 0) continue;
    const message = allowedBefore
      ? `residency widened: ${dataClass} may now also be stored in ${added.join(', ')} (was ${allowedBefore.join(', ') || 'nowhere'})`
      : `residency widened: ${dataClass} is newly allowed in ${added.join(', ')}`;
    risks.push({ code: 'residency-widened', message });
  }
  const keysBefore = base.deploy?.authorizedKeys ?? [];
  for (const key of (head.deploy?.authorizedKeys ?? []).filter((k) => !keysBefore.includes(k))) {
    risks.push({ code: 'deploy-key-added', message: `a new key may log in as the deploy user (root through sudo) on every host that boots from its cloud-init.yaml: ${describeDeployKey(key)}` });
  }
  return risks;
}

/** A site that changes country changes what residency allows there, though no host moves. */
function siteRisks(base: Manifest, head: Manifest): RiskFlag[] {
  const risks: RiskFlag[] = [];
  for (const [site, now] of sortedEntries(head.sites)) {
    const was = ownEntry(base.sites, site);
    if (!was || was.country === now.country) continue;
    const storing = sortedEntries(head.hosts).filter(([, h]) => h.site === site && h.stores.length > 0).map(([n, h]) => `${n} stores ${h.stores.join(', ')}`);
    risks.push({
      code: 'site-country-changes',
      message: `site ${site} changes country ${was.country} → ${now.country} (${was.provider} ${was.region} → ${now.provider} ${now.region}): residency is judged by this label, so check where the machines really are${storing.length > 0 ? `; ${storing.join('; ')}` : ''}`,
    });
  }
  return risks;
}

function sysctlRisks(base: Manifest, head: Manifest): RiskFlag[] {
  const risks: RiskFlag[] = [];
  for (const [name, now] of sortedEntries(head.hosts)) {
    const was = ownEntry(base.hosts, name);
    const weakened = sortedEntries(now.sysctl).filter(([key, value]) => isSensitiveSysctl(key) && (!was || ownEntry(was.sysctl, key) !== value));
    if (weakened.length > 0) {
      risks.push({ code: 'sensitive-sysctl', message: `${name} sets kernel settings that can weaken the host: ${weakened.map(([k, v]) => `${k} = ${v}`).join(', ')}` });
    }
  }
  return risks;
}

function sortedEntries<T>(record: Record<string, T>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function placeOf(m: Manifest, site: string): string {
  const s = ownEntry(m.sites, site);
  return s ? `${site} (${s.country})` : site;
}
