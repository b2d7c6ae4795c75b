// The WireGuard mesh can be built: a usable network, reachable hubs, valid and unique keys and addresses.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import ipaddr from 'ipaddr.js';
import { checkAddressInNetwork, parseIpv4, parseIpv4Network } from '../../allocate/ipv4Network.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkMesh: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const hosts = entriesOf(topology.hosts).sort(([a], [b]) => a.localeCompare(b));
  const shape = topology.mesh.shape ?? 'hub-and-spoke';

  const network = parseIpv4Network(topology.mesh.cidr);
  if (typeof network === 'string') {
    const why = { invalid: 'is not a valid IPv4 network', 'host-bits-set': 'has host bits set', 'too-small': 'is too small for a mesh' }[network];
    diagnostics.push(error('FT317', locate(['mesh', 'cidr']), `mesh.cidr "${topology.mesh.cidr}" ${why}`, 'use a network address with a prefix of /30 or shorter, such as 10.100.0.0/24'));
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

  const keyOwner = new Map<string, string>();
  for (const [name, host] of hosts) {
    const path = ['hosts', name, 'publicKey'];
    if (!isWireGuardKey(host.publicKey)) {
      diagnostics.push(error('FT308', locate(path), `publicKey of host "${name}" is not a WireGuard public key`, 'it is 44 characters of base64 ending in "=", as printed by `wg pubkey`'));
      continue;
    }
    const other = keyOwner.get(host.publicKey);
    if (other !== undefined) {
      diagnostics.push(error('FT309', locate(path), `host "${name}" has the same publicKey as host "${other}"`, 'every host needs its own key pair'));
    } else {
      keyOwner.set(host.publicKey, name);
    }
  }
  return diagnostics;
};

function isWireGuardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').length === 32 && Buffer.from(text, 'base64').toString('base64') === text;
}

function looksLikeIpv4(text: string): boolean {
  return /^[0-9.]+$/.test(text);
}
