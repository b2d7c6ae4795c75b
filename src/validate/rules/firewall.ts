// What the firewall is rendered from holds together: a service's clients are hosts and roles that
// exist, a frontend's `allow` lists real networks and only where someone outside the host can connect,
// and no listener shares a port the firewall treats otherwise (SSH, which it never closes; a service's
// port, which it closes to all but the service's clients).
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { parseIpv4, parseIpv4Network } from '../../allocate/ipv4Network.js';
import type { PathSegment } from '../../load/sourceDocument.js';
import { parseIpNetwork } from '../ipNetworks.js';
import { didYouMean } from '../suggest.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkFirewall: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const hostNames = Object.keys(topology.hosts);
  const roles = new Set(Object.values(topology.hosts).flatMap((h) => h.roles ?? []));

  for (const [serviceName, service] of entriesOf(topology.services)) {
    (service.clients ?? []).forEach((entry, i) => {
      const at = locate(['services', serviceName, 'clients', i]);
      if (entry.startsWith('role:')) {
        const role = entry.slice('role:'.length);
        if (roles.has(role)) return;
        const hint = hostNames.includes(role) ? `"${role}" is a host: write it without "role:"` : (didYouMean(entry, [...roles].map((r) => `role:${r}`)) ?? (roles.size > 0 ? `roles hosts have: ${[...roles].sort().join(', ')}` : 'no host has any role yet'));
        diagnostics.push(error('FT329', at, `clients of service "${serviceName}" name role "${role}", which no host has`, hint));
      } else if (!hostNames.includes(entry)) {
        const hint = roles.has(entry) ? `"${entry}" is a role: write "role:${entry}"` : (didYouMean(entry, hostNames) ?? `known hosts: ${hostNames.join(', ')}`);
        diagnostics.push(error('FT301', at, `clients of service "${serviceName}" refer to unknown host "${entry}"`, hint));
      }
    });
  }

  const mesh = parseIpv4Network(topology.mesh.cidr);
  const inMesh = (address: string) => {
    const n = parseIpv4(address);
    return typeof mesh !== 'string' && n !== undefined && n >= mesh.network && n <= mesh.broadcast;
  };
  /** host -> port -> the service listening there */
  const servicePorts = new Map<string, Map<number, string>>();
  for (const [serviceName, service] of entriesOf(topology.services)) {
    for (const host of service.hosts) {
      const ports = servicePorts.get(host) ?? new Map<number, string>();
      if (!ports.has(service.port)) ports.set(service.port, serviceName);
      servicePorts.set(host, ports);
    }
  }
  const hostInputs = new Map(entriesOf(topology.hosts));
  const sshPortOf = (host: string) => hostInputs.get(host)?.ssh?.port ?? 22;

  for (const [lbName, lb] of entriesOf(topology.loadBalancers)) {
    lb.frontends.forEach((frontend, i) => {
      const at: PathSegment[] = ['loadBalancers', lbName, 'frontends', i];
      const colon = frontend.bind.lastIndexOf(':');
      const address = frontend.bind.slice(0, colon);
      const port = Number(frontend.bind.slice(colon + 1));
      const parsed = parseIpv4(address);
      const loopback = parsed !== undefined && parsed >>> 24 === 127;
      const wildcard = address === '' || address === '*' || address === '0.0.0.0';

      if (frontend.allow !== undefined && loopback) {
        diagnostics.push(error('FT341', locate([...at, 'allow'], 'key'), `frontend "${frontend.name}" of load balancer "${lbName}" is bound to ${address}, which only its own host reaches: allow has nothing to limit`, 'remove allow, or bind the frontend to an address other hosts reach'));
      } else {
        (frontend.allow ?? []).forEach((entry, j) => {
          const network = parseIpNetwork(entry);
          const where = locate([...at, 'allow', j]);
          if ('problem' in network) {
            const [why, hint] =
              network.problem === 'host-bits-set'
                ? ['has host bits set', `write the network, ${network.network}`]
                : ['is not an IPv4 or IPv6 network', 'write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32'];
            diagnostics.push(error('FT340', where, `allow entry "${entry}" of frontend "${frontend.name}" ${why}`, hint));
          } else if (network.family === 6 && !wildcard) {
            diagnostics.push(error('FT342', where, `allow entry ${entry} of frontend "${frontend.name}" is an IPv6 network, and the frontend is bound to the IPv4 address ${address}`, 'remove the IPv6 network'));
          }
        });
      }

      if (loopback || !(port >= 1 && port <= 65535)) return; // a bad port is the listeners rule's to report
      const onSshPort = lb.hosts.filter((host) => port === sshPortOf(host));
      if (onSshPort.length > 0) {
        diagnostics.push(error('FT343', locate([...at, 'bind']), `frontend "${frontend.name}" of load balancer "${lbName}" listens on port ${port}, the SSH port of ${onSshPort.length === 1 ? 'host' : 'hosts'} ${onSshPort.map((h) => `"${h}"`).join(', ')}, which the firewall never closes`, 'use another port'));
      }
      for (const host of lb.hosts) {
        // A wildcard or mesh-address bind on a service's port is already a clash of listeners (FT316).
        const service = servicePorts.get(host)?.get(port);
        if (service !== undefined && !wildcard && !inMesh(address)) {
          diagnostics.push(error('FT344', locate([...at, 'bind']), `frontend "${frontend.name}" of load balancer "${lbName}" listens on port ${port} of host "${host}", where the firewall keeps port ${port} to the clients of service "${service}"`, 'use another port for the frontend or the service'));
        }
      }
    });
  }

  for (const [serviceName, service] of entriesOf(topology.services)) {
    service.hosts.forEach((host, i) => {
      if (!hostNames.includes(host) || service.port !== sshPortOf(host)) return;
      diagnostics.push(error('FT343', locate(['services', serviceName, 'hosts', i]), `service "${serviceName}" listens on port ${service.port} of host "${host}", its SSH port, which the firewall never closes`, `use another port for ${serviceName}, or set hosts.${host}.ssh.port`));
    });
  }
  return diagnostics;
};
