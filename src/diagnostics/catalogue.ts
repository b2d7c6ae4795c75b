// Every diagnostic code fortress can report, in one place: what it means and how to fix it. Codes are
// stable: a code is never reused for another meaning. docs/diagnostics.md is generated from this
// table (`npm run docs:diagnostics`), and a test fails when it is out of date.
//
// Ranges: FT1xx reading files (YAML, encodings, the lock), FT2xx the schema, FT3xx semantic rules of
// the topology, FT4xx allocation, FT5xx the command line and its preconditions, FT6xx drift between
// the topology and rendered/.
export interface CatalogueEntry {
  /** What the problem is, in one sentence. */
  meaning: string;
  /** What to do about it, in one sentence. */
  fix: string;
}

export const catalogue = {
  FT100: { meaning: 'The topology file is empty.', fix: 'Start from the example topology (or `fortress init`) and fill in your hosts.' },
  FT101: { meaning: 'The file is not valid YAML (or JSON, for the lock file).', fix: 'Correct the syntax at the position shown; the message names what the parser expected.' },
  FT102: { meaning: 'A mapping has the same key twice.', fix: 'Remove or rename one of the two keys.' },
  FT103: { meaning: 'Aliases expand to too much data: the document looks like an alias bomb.', fix: 'Write the values out instead of nesting aliases.' },
  FT104: { meaning: 'The lock file does not have the shape fortress writes.', fix: 'Restore topology/topology.lock.json from git; deleting it re-allocates every address.' },
  FT201: { meaning: 'Unknown key: a typo must not be silently ignored.', fix: 'Correct the key name (the hint suggests the closest known key) or remove it.' },
  FT202: { meaning: 'A required key is missing.', fix: 'Add the key named in the message.' },
  FT203: { meaning: 'A value has the wrong type.', fix: 'Write a value of the type named in the message (a list, a mapping, a number or a string).' },
  FT204: { meaning: 'A value is not one of the allowed values.', fix: 'Use one of the values the message lists.' },
  FT205: { meaning: 'A string does not have the required form (this also stops injection into rendered files).', fix: 'Write the value in the form the message names; quotes, newlines and brackets are never needed.' },
  FT206: { meaning: 'A number, length or count is out of range.', fix: 'Use a value inside the range the message names.' },
  FT207: { meaning: 'A list has the same item twice.', fix: 'Remove the repeated item.' },
  FT301: { meaning: 'A reference names a site, host, service or backend that does not exist.', fix: 'Correct the name (the hint suggests the closest one) or declare what it refers to.' },
  FT302: { meaning: 'A hub has no endpoint, so no spoke can dial it.', fix: "Set the hub's `endpoint` to the public address or DNS name spokes dial." },
  FT303: { meaning: 'In a full mesh, two hosts without endpoints cannot reach each other.', fix: 'Give at least one host of every pair an `endpoint`.' },
  FT304: { meaning: 'A hub-and-spoke mesh has no hub.', fix: 'Give one host the role `hub`, or set `mesh.shape: full-mesh`.' },
  FT305: { meaning: 'An address is not inside mesh.cidr, or is not a valid IPv4 address.', fix: 'Pin an address inside `mesh.cidr`, or remove the pin and let fortress allocate one.' },
  FT306: { meaning: "An address is the network's network or broadcast address.", fix: 'Pin another address of `mesh.cidr`.' },
  FT307: { meaning: 'Two hosts have the same mesh address.', fix: 'Pin a different address for one of them, or remove one pin.' },
  FT308: { meaning: 'A public key is not a WireGuard key (44 characters of base64 encoding 32 bytes).', fix: 'Paste the output of `wg pubkey` on the host (or run `fortress keys bootstrap`).' },
  FT309: { meaning: 'Two hosts have the same public key.', fix: 'Each host makes its own key: run `fortress keys bootstrap` on the host that copied it.' },
  FT310: { meaning: 'A host stores a data class outside the countries policy.residency allows.', fix: 'Move the host to a site in an allowed country, or stop storing the data class on it.' },
  FT311: { meaning: 'A backend server points at a host that does not run the service.', fix: "Add the host to the service's `hosts`, or point the server at a host that runs it." },
  FT312: { meaning: 'A host runs more than one load balancer.', fix: 'Keep the host in one load balancer; merge the frontends and backends there.' },
  FT313: { meaning: "Two of a host's roles set the same sysctl to different values.", fix: "Set the key under the host's own `sysctl` to decide." },
  FT314: { meaning: 'A hub must forward packets (net.ipv4.ip_forward = 1).', fix: 'Remove the setting, or set it to 1 for hubs.' },
  FT315: { meaning: 'A sysctl key is outside the kernel namespaces (net, vm, kernel, fs, ...).', fix: 'Use a key that exists under /proc/sys, written with dots.' },
  FT316: { meaning: 'Two listeners on one host use the same port.', fix: 'Move one of the services or frontends to another port.' },
  FT317: { meaning: 'mesh.cidr is not a usable IPv4 network.', fix: 'Write a private IPv4 network such as 10.100.0.0/24, with no host bits set.' },
  FT318: { meaning: 'An endpoint or address is not a valid IP address or DNS name.', fix: 'Write an IPv4 or IPv6 address, or a DNS name.' },
  FT401: { meaning: 'mesh.cidr has no free address left for a new host.', fix: 'Widen `mesh.cidr` (for example from /24 to /23), or remove hosts.' },
} as const satisfies Record<string, CatalogueEntry>;

export type DiagnosticCode = keyof typeof catalogue;
