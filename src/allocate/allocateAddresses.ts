// Stage 3: give every host a mesh address, pure: (topology, previous lock) -> (addresses, next lock).
//
// Stability is the point: a host keeps the address the lock records for it whatever else changes,
// so adding, removing or reordering hosts never renumbers (and so never reconnects) anybody else.
// New hosts take the lowest free address, hubs first so a fresh mesh gets its hub at .1,
// then everybody else by name, so the order of hosts in the YAML never matters.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Locate } from '../load/sourceDocument.js';
import type { TopologyInput } from '../validate/topologyInput.js';
import type { AddressLock } from './addressLock.js';
import { formatIpv4, parseIpv4, placeInNetwork, usableAddressCount, type Ipv4Network } from './ipv4Network.js';

export interface Allocation {
  /** host name -> mesh address, for every host of the topology */
  addresses: Map<string, string>;
  lock: AddressLock;
}

export function allocateAddresses(
  topology: TopologyInput,
  network: Ipv4Network,
  previous: AddressLock,
  locate: { topology: Locate; lock: Locate },
): { allocation?: Allocation; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const holder = new Map<number, string>(); // address -> host
  const assigned = new Map<string, number>(); // host -> address
  const retired = new Map<number, string>();
  // readLock checked the lock against its own cidr. Against mesh.cidr, which may have changed since:
  // a retired address outside it can never be handed out again and is forgotten, a held one is an
  // error at its line in the lock (below).
  for (const [text, host] of Object.entries(previous.retired)) {
    const address = parseIpv4(text);
    if (address !== undefined && placeInNetwork(address, network) === undefined) retired.set(address, host);
  }

  const hostNames = Object.keys(topology.hosts).sort();
  for (const name of hostNames) {
    const pin = topology.hosts[name]!.meshAddress;
    if (pin === undefined) continue;
    const address = parseIpv4(pin)!; // the validator checked pins
    holder.set(address, name);
    assigned.set(name, address);
    retired.delete(address);
  }

  for (const [name, text] of Object.entries(previous.addresses).sort(([a], [b]) => a.localeCompare(b))) {
    const at = () => locate.lock(['addresses', name]); // positions cost a full parse: only on error
    const address = parseIpv4(text);
    const problem = address === undefined ? 'invalid' : placeInNetwork(address, network);
    if (address === undefined || problem === 'invalid' || problem === 'outside') {
      diagnostics.push(error('FT305', at(), `locked address ${text} of host "${name}" is not inside mesh.cidr ${network.cidr}`, `delete "${name}" from the lock's addresses to allocate it a new one`));
      continue;
    }
    if (problem !== undefined) {
      diagnostics.push(error('FT306', at(), `locked address ${text} of host "${name}" is the ${problem} address of ${network.cidr}`, `delete "${name}" from the lock's addresses to allocate it a new one`));
      continue;
    }
    // A name from the lock is text: "constructor" must not find Object.prototype's.
    const host = Object.hasOwn(topology.hosts, name) ? topology.hosts[name] : undefined;
    if (host === undefined || (host.meshAddress !== undefined && assigned.get(name) !== address)) {
      // Gone from the topology, or pinned elsewhere: the address is retired, not handed out again soon.
      if (holder.get(address) === undefined) retired.set(address, name);
      continue;
    }
    if (host.meshAddress !== undefined) continue; // pinned where it already was
    const other = holder.get(address);
    if (other !== undefined) {
      diagnostics.push(error('FT307', locate.topology(['hosts', other, 'meshAddress']), `meshAddress ${text} of host "${other}" is already allocated to host "${name}" in the lock`, `pin another address, or pin "${name}" elsewhere first`));
      continue;
    }
    holder.set(address, name);
    assigned.set(name, address);
  }
  if (diagnostics.length > 0) return { diagnostics };

  const isHub = (name: string) => topology.hosts[name]!.roles?.includes('hub') ?? false;
  const newcomers = hostNames.filter((n) => !assigned.has(n));
  newcomers.sort((a, b) => Number(isHub(b)) - Number(isHub(a)) || a.localeCompare(b));

  let cursor = network.network + 1;
  const nextNeverUsed = (): number | undefined => {
    while (cursor < network.broadcast && (holder.has(cursor) || retired.has(cursor))) cursor++;
    return cursor < network.broadcast ? cursor : undefined;
  };
  for (const [i, name] of newcomers.entries()) {
    let address = nextNeverUsed();
    if (address === undefined) {
      address = Math.min(...retired.keys());
      if (!Number.isFinite(address)) {
        const free = newcomers.length - i;
        return {
          diagnostics: [
            error('FT401', locate.topology(['mesh', 'cidr']), `mesh.cidr ${network.cidr} is full: ${newcomers.length} new host${newcomers.length === 1 ? ' needs' : 's need'} an address but only ${newcomers.length - free} ${newcomers.length - free === 1 ? 'is' : 'are'} free (${usableAddressCount(network)} usable in all)`, 'widen mesh.cidr (a shorter prefix), or remove hosts and their retired addresses from the lock'),
          ],
        };
      }
      retired.delete(address);
    }
    holder.set(address, name);
    assigned.set(name, address);
  }

  const addresses = new Map(hostNames.map((n) => [n, formatIpv4(assigned.get(n)!)]));
  return {
    allocation: {
      addresses,
      lock: {
        version: 1,
        cidr: network.cidr,
        addresses: Object.fromEntries(addresses),
        retired: Object.fromEntries([...retired].map(([a, host]) => [formatIpv4(a), host])),
      },
    },
    diagnostics,
  };
}
