// The firewall part of the model: who may reach each service (clients resolved to mesh addresses),
// which HAProxy frontends listen beyond the host, and what spoke-to-spoke traffic a hub forwards.
import { parseIpv4 } from '../allocate/ipv4Network.js';
import { compareIpNetworks, isIpNetwork, parseIpNetwork, type IpNetwork } from '../validate/ipNetworks.js';
import type { TopologyInput } from '../validate/topologyInput.js';
import type { FirewallClients, FirewallModel, HostModel, LoadBalancerModel } from './topologyModel.js';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The clients of every service. A service without `clients` is open to the whole mesh. With them, the
 * hosts named, every host with a role named, and the hosts of every load balancer with a server of the
 * service: HAProxy health-checks and forwards to its servers, so leaving it out would only break it.
 */
export function resolveClients(topology: TopologyInput, addresses: ReadonlyMap<string, string>): Map<string, FirewallClients> {
  const sendersTo = new Map<string, Set<string>>();
  for (const lb of Object.values(topology.loadBalancers ?? {})) {
    for (const backend of Object.values(lb.backends)) {
      for (const server of backend.servers) {
        const senders = sendersTo.get(server.service) ?? new Set<string>();
        for (const host of lb.hosts) senders.add(host);
        sendersTo.set(server.service, senders);
      }
    }
  }
  const hostRoles = Object.entries(topology.hosts).map(([name, h]) => [name, h.roles ?? []] as const);
  const clients = new Map<string, FirewallClients>();
  for (const [service, input] of Object.entries(topology.services ?? {})) {
    if (input.clients === undefined) {
      clients.set(service, {});
      continue;
    }
    const names = new Set(sendersTo.get(service));
    for (const entry of input.clients) {
      if (entry.startsWith('role:')) {
        const role = entry.slice('role:'.length);
        for (const [name, roles] of hostRoles) if (roles.includes(role)) names.add(name);
      } else {
        names.add(entry);
      }
    }
    const isRole = (entry: string) => entry.startsWith('role:');
    clients.set(service, {
      hosts: [...names].sort(byText).map((name) => ({ name, address: addresses.get(name)! })),
      written: [...input.clients].sort((a, b) => Number(isRole(a)) - Number(isRole(b)) || byText(a, b)),
    });
  }
  return clients;
}

export function firewallOf(
  host: Pick<HostModel, 'name' | 'ssh' | 'services' | 'loadBalancer'>,
  topology: TopologyInput,
  clients: ReadonlyMap<string, FirewallClients>,
): FirewallModel {
  return {
    sshPort: host.ssh?.port ?? 22,
    services: host.services.map(({ name, port }) => ({ name, port, clients: clients.get(name)! })),
    frontends: host.loadBalancer ? reachableFrontends(host.loadBalancer, topology) : [],
  };
}

/** Frontends other hosts can connect to: every one not bound to a loopback address. */
function reachableFrontends(lb: LoadBalancerModel, topology: TopologyInput): FirewallModel['frontends'] {
  const input = new Map(Object.entries(topology.loadBalancers ?? {})).get(lb.name);
  const written = new Map((input?.frontends ?? []).map((f) => [f.name, f.allow]));
  return lb.frontends
    .filter((f) => !isLoopbackBind(f.bind))
    .map(({ name, bind }) => {
      const allow = written.get(name);
      const frontend = { name, port: Number(bind.slice(bind.lastIndexOf(':') + 1)), bind };
      return allow === undefined ? frontend : { ...frontend, allow: normalizedNetworks(allow) };
    })
    .sort((a, b) => byText(a.name, b.name));
}

export function isLoopbackBind(bind: string): boolean {
  const address = parseIpv4(bind.slice(0, bind.lastIndexOf(':')));
  return address !== undefined && address >>> 24 === 127;
}

function normalizedNetworks(written: readonly string[]): string[] {
  // Validation has refused anything that does not parse.
  const networks = written.map(parseIpNetwork).filter(isIpNetwork);
  const unique = new Map<string, IpNetwork>(networks.map((n) => [n.cidr, n]));
  return [...unique.values()].sort(compareIpNetworks).map((n) => n.cidr);
}

/**
 * A hub of a hub-and-spoke mesh forwards what spokes send each other (a full mesh forwards nothing). It lets through a client's
 * connection to each service on a spoke (a service on a hub is the hub's own input, not forwarded).
 */
export function hubForwarding(hosts: readonly HostModel[]): NonNullable<FirewallModel['forward']> {
  return hosts
    .filter((h) => !h.isHub)
    .flatMap((h) => h.firewall.services.map((s) => ({ service: s.name, host: h.name, address: h.meshAddress, port: s.port, clients: s.clients })))
    .sort((a, b) => byText(a.service, b.service) || byText(a.host, b.host));
}
