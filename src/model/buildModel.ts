// Stage 4: validated topology + allocated addresses -> TopologyModel.
import type { Ipv4Network } from '../allocate/ipv4Network.js';
import type { HostInput, TopologyInput } from '../validate/topologyInput.js';
import { firewallOf, hubForwarding, resolveClients } from './buildFirewall.js';
import type { FirewallClients, HostModel, LoadBalancerModel, MeshModel, PeerModel, SiteModel, TopologyModel } from './topologyModel.js';

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function buildModel(topology: TopologyInput, network: Ipv4Network, addresses: ReadonlyMap<string, string>): TopologyModel {
  const mesh: MeshModel = {
    interface: topology.mesh.interface ?? 'wg0',
    cidr: network.cidr,
    prefixLength: network.prefixLength,
    listenPort: topology.mesh.listenPort ?? 51820,
    mtu: topology.mesh.mtu ?? 1360,
    persistentKeepalive: topology.mesh.persistentKeepalive ?? 25,
    shape: topology.mesh.shape ?? 'hub-and-spoke',
    presharedKeys: topology.mesh.presharedKeys ?? false,
  };
  const sites = new Map(Object.entries(topology.sites).map(([name, s]): [string, SiteModel] => [name, { name, ...s }]));
  const hostNames = Object.keys(topology.hosts).sort();
  const clients = resolveClients(topology, addresses);
  const hosts = hostNames.map((name) => hostWithoutPeers(name, topology, sites, addresses, clients));

  const peerOf = (h: HostModel, allowedIps: string[]): PeerModel => {
    const peer: PeerModel = { name: h.name, publicKey: h.publicKey, allowedIps };
    if (h.endpoint !== undefined) peer.endpoint = `${h.endpoint.includes(':') ? `[${h.endpoint}]` : h.endpoint}:${mesh.listenPort}`;
    return peer;
  };
  const hostRoute = (h: HostModel) => [`${h.meshAddress}/32`];

  if (mesh.shape === 'full-mesh') {
    const everyone = hosts.map((h) => peerOf(h, hostRoute(h)));
    for (const [i, host] of hosts.entries()) host.peers = everyone.filter((_, j) => j !== i);
  } else {
    // Spokes send the whole mesh through the first hub. WireGuard routes each destination to exactly
    // one peer, so any further hub is reached only at its own address.
    const hubs = hosts.filter((h) => h.isHub);
    const hubPeers = hubs.map((hub, i) => peerOf(hub, i === 0 ? [mesh.cidr] : hostRoute(hub)));
    for (const host of hosts) {
      host.peers = host.isHub
        ? hosts.filter((other) => other !== host).map((other) => peerOf(other, hostRoute(other)))
        : hubPeers;
    }
    const forward = hubForwarding(hosts);
    for (const hub of hosts.filter((h) => h.isHub)) hub.firewall.forward = forward;
  }

  const residency = Object.entries(topology.policy?.residency ?? {})
    .map(([dataClass, countries]): [string, string[]] => [dataClass, [...countries].sort()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const deploy = { authorizedKeys: [...(topology.deploy?.authorizedKeys ?? [])] };
  return { name: topology.name, mesh, sites: [...sites.values()].sort(byName), hosts, policy: { residency }, deploy };
}

function hostWithoutPeers(
  name: string,
  topology: TopologyInput,
  sites: Map<string, SiteModel>,
  addresses: ReadonlyMap<string, string>,
  clients: ReadonlyMap<string, FirewallClients>,
): HostModel {
  const input = topology.hosts[name]!; // name is one of Object.keys(topology.hosts): an own key
  const roles = input.roles ?? [];
  const host: Omit<HostModel, 'firewall'> = {
    name,
    site: sites.get(input.site)!,
    roles,
    isHub: roles.includes('hub'),
    meshAddress: addresses.get(name)!,
    publicKey: input.publicKey,
    stores: input.stores ?? [],
    deployUser: input.ssh?.user ?? 'root',
    terraform: Object.entries(input.terraform ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
    sysctl: mergeSysctl(topology, input),
    peers: [],
    services: Object.entries(topology.services ?? {})
      .filter(([, s]) => s.hosts.includes(name))
      .map(([serviceName, s]) => ({ name: serviceName, port: s.port }))
      .sort(byName),
  };
  if (input.endpoint !== undefined) host.endpoint = input.endpoint;
  if (input.ssh !== undefined) {
    host.ssh = { address: input.ssh.address, user: input.ssh.user ?? 'root', port: input.ssh.port ?? 22 };
    if (input.ssh.hostKey !== undefined) host.ssh.hostKey = input.ssh.hostKey;
  }
  const loadBalancer = loadBalancerOn(name, topology, addresses);
  if (loadBalancer) host.loadBalancer = loadBalancer;
  return { ...host, firewall: firewallOf(host, topology, clients) };
}

// A hub forwards spoke-to-spoke traffic out of the interface it came in on, which makes Linux send an
// ICMP redirect for every such packet: useless inside a WireGuard mesh, where spokes can only reach
// each other through the hub. The kernel sends them when `all` or the interface says so: `default`
// covers a mesh interface created after sysctl.d is applied at boot, the interface's own key one that
// already exists (apply sets it again once the interface is up).
function hubSysctlBase(interfaceName: string): Record<string, number> {
  return {
    'net.ipv4.conf.all.send_redirects': 0,
    'net.ipv4.conf.default.send_redirects': 0,
    // sysctl writes a dot inside an interface name as a slash.
    [`net.ipv4.conf.${interfaceName.replace(/\./g, '/')}.send_redirects`]: 0,
  };
}

/** Hub base settings, the topology's defaults, each role in the host's order, then the host's own. */
function mergeSysctl(topology: TopologyInput, host: HostInput): [string, string][] {
  const merged = new Map<string, string>();
  const isHub = host.roles?.includes('hub') ?? false;
  const apply = (settings: Record<string, string | number> | undefined) => {
    for (const [key, value] of Object.entries(settings ?? {})) merged.set(key, String(value));
  };
  if (isHub) apply(hubSysctlBase(topology.mesh.interface ?? 'wg0'));
  apply(topology.sysctl?.defaults);
  // Names are looked up as own keys: a role named "constructor" must not find Object.prototype's.
  const roleSettings = new Map(Object.entries(topology.sysctl?.roles ?? {}));
  for (const role of host.roles ?? []) apply(roleSettings.get(role));
  apply(host.sysctl);
  if (isHub) merged.set('net.ipv4.ip_forward', '1');
  return [...merged].sort(([a], [b]) => (a < b ? -1 : 1));
}

function loadBalancerOn(hostName: string, topology: TopologyInput, addresses: ReadonlyMap<string, string>): LoadBalancerModel | undefined {
  const entry = Object.entries(topology.loadBalancers ?? {}).find(([, lb]) => lb.hosts.includes(hostName));
  if (!entry) return undefined;
  const [name, lb] = entry;
  const servicePorts = new Map(Object.entries(topology.services ?? {}).map(([serviceName, s]) => [serviceName, s.port]));
  const backends = Object.entries(lb.backends)
    .map(([backendName, b]) => ({
      name: backendName,
      mode: b.mode ?? 'tcp',
      balance: b.balance ?? 'roundrobin',
      check: { interval: b.check?.interval ?? '2s', rise: b.check?.rise ?? 3, fall: b.check?.fall ?? 2 },
      servers: b.servers.map((s) => {
        const server = { name: s.host, address: addresses.get(s.host)!, port: servicePorts.get(s.service)!, backup: s.backup ?? false };
        return s.weight === undefined ? server : { ...server, weight: s.weight };
      }),
    }))
    .sort(byName);
  const modeOf = new Map(backends.map((b) => [b.name, b.mode]));
  return {
    name,
    frontends: lb.frontends.map(({ name: frontend, bind, backend }) => ({ name: frontend, bind, backend, mode: modeOf.get(backend)! })),
    backends,
  };
}
