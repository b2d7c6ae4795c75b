// Kernel settings are plausible keys, agree across a host's roles, let hubs forward, and set a key
// that weakens the host only when sysctl.allowSensitive opts in to it (and opt in to nothing else).
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { PathSegment } from '../../load/sourceDocument.js';
import { sensitiveSysctlReason } from '../sensitiveSysctl.js';
import type { SysctlMap } from '../topologyInput.js';
import { entriesOf, mapOf, type SemanticRule } from './rule.js';

// The top-level directories of /proc/sys on Linux.
const SYSCTL_NAMESPACES = ['abi', 'crypto', 'debug', 'dev', 'fs', 'kernel', 'net', 'sunrpc', 'user', 'vm'];
const IP_FORWARD = 'net.ipv4.ip_forward';

export const checkSysctl: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const maps: [PathSegment[], SysctlMap][] = [
    [['sysctl', 'defaults'], topology.sysctl?.defaults ?? {}],
    ...entriesOf(topology.sysctl?.roles).map(([role, map]): [PathSegment[], SysctlMap] => [['sysctl', 'roles', role], map]),
    ...entriesOf(topology.hosts).map(([name, host]): [PathSegment[], SysctlMap] => [['hosts', name, 'sysctl'], host.sysctl ?? {}]),
  ];
  const allowSensitive = topology.sysctl?.allowSensitive ?? [];
  const setKeys = new Set<string>();
  for (const [path, map] of maps) {
    for (const key of Object.keys(map)) {
      setKeys.add(key);
      const namespace = key.split('.')[0] ?? '';
      if (!SYSCTL_NAMESPACES.includes(namespace)) {
        diagnostics.push(error('FT315', locate([...path, key], 'key'), `"${key}" is not a sysctl key: "${namespace}" is not a directory of /proc/sys`, `sysctl keys start with one of ${SYSCTL_NAMESPACES.join(', ')}`));
      }
      const reason = sensitiveSysctlReason(key);
      if (reason !== undefined && !allowSensitive.includes(key)) {
        diagnostics.push(error('FT326', locate([...path, key], 'key'), `${key} can weaken the host (${reason}), so it needs an explicit opt-in`, `if this is deliberate, add it to sysctl.allowSensitive: [${key}]; the review then flags it`));
      }
    }
  }
  allowSensitive.forEach((key, i) => {
    const path = ['sysctl', 'allowSensitive', i];
    if (sensitiveSysctlReason(key) === undefined) {
      diagnostics.push(error('FT327', locate(path), `sysctl.allowSensitive lists ${key}, which is not a sensitive key and needs no opt-in`, 'remove it from sysctl.allowSensitive'));
    } else if (!setKeys.has(key)) {
      diagnostics.push(error('FT327', locate(path), `sysctl.allowSensitive lists ${key}, which no default, role or host sets`, 'remove the stale opt-in, so a later setting of the key needs a fresh one'));
    }
  });

  const roleMaps = mapOf(topology.sysctl?.roles);
  for (const [hostName, host] of entriesOf(topology.hosts)) {
    const own = mapOf(host.sysctl);
    const setBy = new Map<string, { role: string; value: string }>();
    for (const role of host.roles ?? []) {
      for (const [key, value] of entriesOf(roleMaps.get(role))) {
        if (own.has(key)) continue;
        const earlier = setBy.get(key);
        if (earlier && earlier.value !== String(value)) {
          diagnostics.push(error('FT313', locate(['hosts', hostName, 'roles']), `roles "${earlier.role}" and "${role}" of host "${hostName}" set ${key} to ${earlier.value} and ${String(value)}`, `set ${key} under hosts.${hostName}.sysctl to decide`));
        }
        setBy.set(key, { role, value: String(value) });
      }
    }

    if (host.roles?.includes('hub')) {
      const [value, path] =
        own.has(IP_FORWARD)
          ? [own.get(IP_FORWARD), ['hosts', hostName, 'sysctl', IP_FORWARD]]
          : setBy.has(IP_FORWARD)
            ? [setBy.get(IP_FORWARD)!.value, ['sysctl', 'roles', setBy.get(IP_FORWARD)!.role, IP_FORWARD]]
            : [mapOf(topology.sysctl?.defaults).get(IP_FORWARD), ['sysctl', 'defaults', IP_FORWARD]];
      if (value !== undefined && String(value) !== '1') {
        diagnostics.push(error('FT314', locate(path), `hub "${hostName}" would get ${IP_FORWARD} = ${String(value)}, but a hub forwards traffic between spokes`, `remove the setting or set it to 1 for hubs`));
      }
    }
  }
  return diagnostics;
};
