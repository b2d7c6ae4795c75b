// Kernel settings are plausible keys, agree across a host's roles, and let hubs forward.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { PathSegment } from '../../load/sourceDocument.js';
import type { SysctlMap } from '../topologyInput.js';
import { entriesOf, type SemanticRule } from './rule.js';

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
  for (const [path, map] of maps) {
    for (const key of Object.keys(map)) {
      const namespace = key.split('.')[0] ?? '';
      if (!SYSCTL_NAMESPACES.includes(namespace)) {
        diagnostics.push(error('FT315', locate([...path, key], 'key'), `"${key}" is not a sysctl key: "${namespace}" is not a directory of /proc/sys`, `sysctl keys start with one of ${SYSCTL_NAMESPACES.join(', ')}`));
      }
    }
  }

  const roleMaps = topology.sysctl?.roles ?? {};
  for (const [hostName, host] of entriesOf(topology.hosts)) {
    const own = host.sysctl ?? {};
    const setBy = new Map<string, { role: string; value: string }>();
    for (const role of host.roles ?? []) {
      for (const [key, value] of entriesOf(roleMaps[role])) {
        if (key in own) continue;
        const earlier = setBy.get(key);
        if (earlier && earlier.value !== String(value)) {
          diagnostics.push(error('FT313', locate(['hosts', hostName, 'roles']), `roles "${earlier.role}" and "${role}" of host "${hostName}" set ${key} to ${earlier.value} and ${String(value)}`, `set ${key} under hosts.${hostName}.sysctl to decide`));
        }
        setBy.set(key, { role, value: String(value) });
      }
    }

    if (host.roles?.includes('hub')) {
      const [value, path] =
        IP_FORWARD in own
          ? [own[IP_FORWARD], ['hosts', hostName, 'sysctl', IP_FORWARD]]
          : setBy.has(IP_FORWARD)
            ? [setBy.get(IP_FORWARD)!.value, ['sysctl', 'roles', setBy.get(IP_FORWARD)!.role, IP_FORWARD]]
            : [topology.sysctl?.defaults?.[IP_FORWARD], ['sysctl', 'defaults', IP_FORWARD]];
      if (value !== undefined && String(value) !== '1') {
        diagnostics.push(error('FT314', locate(path), `hub "${hostName}" would get ${IP_FORWARD} = ${String(value)}, but a hub forwards traffic between spokes`, `remove the setting or set it to 1 for hubs`));
      }
    }
  }
  return diagnostics;
};
