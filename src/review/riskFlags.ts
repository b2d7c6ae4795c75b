// Changes a reviewer must not miss, whatever the size of the diff around them.
import type { Manifest } from '../emit/manifest.js';
import { INTERFACE_SETTINGS, type DisruptionClass } from './hostChanges.js';

export type RiskCode = 'hub-changes' | 'hub-restarts' | 'mesh-restarts' | 'personal-data-moves' | 'backend-loses-last-primary' | 'address-changes' | 'host-leaves';

export interface RiskFlag {
  code: RiskCode;
  message: string;
}

export function findRisks(base: Manifest | undefined, head: Manifest | undefined, disruption: ReadonlyMap<string, DisruptionClass>): RiskFlag[] {
  if (!base || !head) return [];
  const risks: RiskFlag[] = [];
  const flag = (code: RiskCode, message: string) => risks.push({ code, message });

  const isHub = (m: Manifest, name: string) => m.hosts[name]?.roles.includes('hub') ?? false;
  const hubs = [...new Set([...Object.keys(base.hosts).filter((n) => isHub(base, n)), ...Object.keys(head.hosts).filter((n) => isHub(head, n))])].sort();
  for (const hub of hubs) {
    const was = base.hosts[hub];
    const now = head.hosts[hub];
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
    const was = base.hosts[name];
    const dataClasses = now.stores;
    if (dataClasses.length === 0) continue;
    const placeNow = placeOf(head, now.site);
    const wasStoredAtSite = Object.values(base.hosts).some((h) => h.site === now.site && dataClasses.every((c) => h.stores.includes(c)));
    if (was && was.site !== now.site) flag('personal-data-moves', `personal data moves to another site: ${name} stores ${dataClasses.join(', ')} and moves from ${placeOf(base, was.site)} to ${placeNow}`);
    else if (!wasStoredAtSite) flag('personal-data-moves', `personal data moves to another site: ${dataClasses.join(', ')} will be stored at ${placeNow} (${name}), where it was not before`);
  }

  for (const [name, now] of Object.entries(head.hosts)) {
    const was = base.hosts[name];
    if (was && was.meshAddress !== now.meshAddress) flag('address-changes', `${name} changes mesh address ${was.meshAddress} → ${now.meshAddress}: everything that dials it follows`);
  }
  for (const name of Object.keys(base.hosts).filter((n) => !head.hosts[n]).sort()) flag('host-leaves', `${name} leaves the mesh`);

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

function placeOf(m: Manifest, site: string): string {
  const s = m.sites[site];
  return s ? `${site} (${s.country})` : site;
}
