// The WireGuard mesh can be built: a private network that stays clear of the addresses hosts are
// reached on, reachable and distinct hubs, valid and unique addresses.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import ipaddr from 'ipaddr.js';
import { checkAddressInNetwork, formatIpv4, parseIpv4, parseIpv4Network, type Ipv4Network } from '../../allocate/ipv4Network.js';
import type { Locate, PathSegment } from '../../load/sourceDocument.js';
import type { TopologyInput } from '../topologyInput.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkMesh: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const hosts = entriesOf(topology.hosts).sort(([a], [b]) => a.localeCompare(b));
  const shape = topology.mesh.shape ?? 'hub-and-spoke';

  const network = parseIpv4Network(topology.mesh.cidr);
  if (typeof network === 'string') {
    const why = { invalid: 'is not a valid IPv4 network', 'host-bits-set': 'has host bits set', 'too-small': 'is too small for a mesh' }[network];
    diagnostics.push(error('FT317', locate(['mesh', 'cidr']), `mesh.cidr "${topology.mesh.cidr}" ${why}`, 'use a network address with a prefix of /30 or shorter, such as 10.100.0.0/24'));
  } else {
    const notPrivate = whyNotPrivate(network);
    if (notPrivate !== undefined) {
      diagnostics.push(error('FT319', locate(['mesh', 'cidr']), `mesh.cidr ${network.cidr} ${notPrivate}`, 'use a private network that no host is reached on, such as 10.100.0.0/24: inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10'));
    } else {
      diagnostics.push(...reachAddressesInMesh(topology.hosts, network, locate));
    }
  }

  const hubs = hosts.filter(([, h]) => h.roles?.includes('hub'));
  if (shape === 'hub-and-spoke' && hubs.length === 0) {
    diagnostics.push(error('FT304', locate(['hosts'], 'key'), 'a hub-and-spoke mesh needs at least one host with the role "hub"', 'add "hub" to the roles of the host every spoke should dial, or set mesh.shape: full-mesh'));
  }
  for (const [name, host] of hubs) {
    if (host.endpoint === undefined) {
      diagnostics.push(error('FT302', locate(['hosts', name], 'key'), `hub "${name}" has no endpoint, so no spoke can dial it`, 'add endpoint: the public IP address or DNS name of the hub'));
    }
  }
  // In the order of the file, so the hub written second is the one blamed.
  const hubWithEndpoint = new Map<string, string>();
  for (const [name, host] of entriesOf(topology.hosts)) {
    if (!host.roles?.includes('hub') || host.endpoint === undefined) continue;
    const endpoint = sameEndpointKey(host.endpoint);
    const other = hubWithEndpoint.get(endpoint);
    if (other !== undefined) {
      diagnostics.push(error('FT321', locate(['hosts', name, 'endpoint']), `hubs "${other}" and "${name}" both have the endpoint ${host.endpoint}: spokes would dial one machine for both`, `give hub "${name}" its own public address or DNS name`));
    } else {
      hubWithEndpoint.set(endpoint, name);
    }
  }
  if (shape === 'full-mesh') {
    const unreachable = hosts.filter(([, h]) => h.endpoint === undefined).map(([name]) => name);
    if (unreachable.length > 1) {
      for (const name of unreachable) {
        const other = unreachable.find((n) => n !== name);
        diagnostics.push(error('FT303', locate(['hosts', name], 'key'), `host "${name}" and host "${other}" both lack an endpoint, so in a full mesh neither can dial the other`, 'give all but at most one host an endpoint'));
      }
    }
  }

  for (const [name, host] of hosts) {
    for (const [field, value] of [['endpoint', host.endpoint], ['ssh', host.ssh?.address]] as const) {
      const path = field === 'ssh' ? ['hosts', name, 'ssh', 'address'] : ['hosts', name, 'endpoint'];
      if (value !== undefined && looksLikeIpv4(value) && parseIpv4(value) === undefined) {
        diagnostics.push(error('FT318', locate(path), `"${value}" is not a valid IPv4 address`, 'each of the four numbers must be 0-255'));
      } else if (value !== undefined && value.includes(':') && !ipaddr.IPv6.isValid(value)) {
        // The schema's shape for IPv6 is loose (hex groups and colons); ipaddr.js knows the real rules.
        diagnostics.push(error('FT318', locate(path), `"${value}" is not a valid IPv6 address`, 'write it as in 2001:db8::10, without brackets or a port'));
      }
    }
  }

  if (typeof network !== 'string') {
    const pinnedBy = new Map<number, string>();
    for (const [name, host] of hosts) {
      if (host.meshAddress === undefined) continue;
      const path = ['hosts', name, 'meshAddress'];
      const problem = checkAddressInNetwork(host.meshAddress, network);
      if (problem === 'invalid') {
        diagnostics.push(error('FT305', locate(path), `meshAddress ${host.meshAddress} of host "${name}" is not a valid IPv4 address`, 'each of the four numbers must be 0-255'));
      } else if (problem === 'outside') {
        diagnostics.push(error('FT305', locate(path), `meshAddress ${host.meshAddress} of host "${name}" is not inside mesh.cidr ${network.cidr}`));
      } else if (problem !== undefined) {
        diagnostics.push(error('FT306', locate(path), `meshAddress ${host.meshAddress} of host "${name}" is the ${problem} address of ${network.cidr}`, 'pick an address between them'));
      } else {
        const address = parseIpv4(host.meshAddress)!;
        const other = pinnedBy.get(address);
        if (other !== undefined) {
          diagnostics.push(error('FT307', locate(path), `meshAddress ${host.meshAddress} of host "${name}" is also pinned for host "${other}"`));
        } else {
          pinnedBy.set(address, name);
        }
      }
    }
  }
  return diagnostics;
};

/** mesh.cidr as a network when it is usable (a valid, private network), for rules that build on it. */
export function usableMeshNetwork(cidr: string): Ipv4Network | undefined {
  const network = parseIpv4Network(cidr);
  return typeof network === 'string' || whyNotPrivate(network) !== undefined ? undefined : network;
}

/**
 * Why a mesh network is not private address space, or undefined when it lies inside RFC 1918
 * (10/8, 172.16/12, 192.168/16) or the RFC 6598 shared range 100.64/10, which overlay networks
 * commonly use. Everything else is refused: public space would route real destinations into the
 * tunnel, and the documentation, benchmarking, link-local, loopback and multicast ranges are not
 * for a production network. ipaddr.js classifies the addresses; a CIDR block is aligned, so when
 * its first and last addresses fall in the same private range the whole block does (a block that
 * spans two private ranges starts at 0.0.0.0 or 128.0.0.0).
 */
function whyNotPrivate(network: Ipv4Network): string | undefined {
  if (network.prefixLength === 0) return 'is every IPv4 address: spokes would send all their traffic, the internet included, into the tunnel';
  const first = ipaddr.IPv4.parse(formatIpv4(network.network)).range();
  const last = ipaddr.IPv4.parse(formatIpv4(network.broadcast)).range();
  const allowed = ['private', 'carrierGradeNat'];
  if (first === last && allowed.includes(first)) return undefined;
  if (allowed.includes(first) || allowed.includes(last)) return 'reaches beyond private address space: spokes would route public addresses into the tunnel';
  const kind = RANGE_WORDS[first] ?? `${first} address space`;
  return `is ${kind}, not private: spokes would route those addresses into the tunnel`;
}

const RANGE_WORDS: Record<string, string> = {
  unicast: 'public address space',
  unspecified: 'the "this network" range 0.0.0.0/8',
  reserved: 'a reserved range (documentation, benchmarking or future use)',
  loopback: 'the loopback range',
  linkLocal: 'the link-local range',
  multicast: 'the multicast range',
  broadcast: 'the broadcast address',
};

/**
 * An endpoint or SSH address inside the mesh would be routed into the tunnel (a spoke's route for the
 * whole CIDR points at the hub): the tunnel could not come up, and apply could not reach the host.
 */
function reachAddressesInMesh(hosts: TopologyInput['hosts'], network: Ipv4Network, locate: Locate): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [name, host] of entriesOf(hosts)) {
    const places: [string, PathSegment[], string | undefined, string][] = [
      ['endpoint', ['hosts', name, 'endpoint'], host.endpoint, 'spokes would route the way to it into the tunnel it is needed to build'],
      ['ssh.address', ['hosts', name, 'ssh', 'address'], host.ssh?.address, 'apply would reach the host through the tunnel it is changing'],
    ];
    for (const [field, path, value, why] of places) {
      const address = value === undefined ? undefined : parseIpv4(value);
      if (address === undefined || address < network.network || address > network.broadcast) continue;
      diagnostics.push(error('FT320', locate(path), `${field} ${value} of host "${name}" is inside mesh.cidr ${network.cidr}: ${why}`, `pick a mesh.cidr that does not contain ${value}`));
    }
  }
  return diagnostics;
}

/** Endpoints compare as addresses (2001:db8::1 is 2001:0db8:0:0::1) or as DNS names, which ignore case. */
function sameEndpointKey(endpoint: string): string {
  const isAddress = ipaddr.IPv4.isValidFourPartDecimal(endpoint) || ipaddr.IPv6.isValid(endpoint);
  return isAddress ? ipaddr.parse(endpoint).toNormalizedString() : endpoint.toLowerCase();
}

function looksLikeIpv4(text: string): boolean {
  return /^[0-9.]+$/.test(text);
}
