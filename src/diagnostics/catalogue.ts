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
  FT105: { meaning: 'An alias (`*name`) refers to an anchor (`&name`) that is not set before it; an unquoted value starting with `*` is read as an alias.', fix: 'Quote the value if it is text (`bind: "*:5433"`), or set the anchor before the alias.' },
  FT106: { meaning: 'The file is not UTF-8 text: it is UTF-16 or UTF-32, or has bytes of another encoding (Latin-1, Windows-1252).', fix: 'Save the file as UTF-8 (a UTF-8 byte order mark is accepted).' },
  FT107: { meaning: 'Lists and mappings are nested deeper than fortress reads (64 levels, counting aliases expanded); a topology needs fewer than ten.', fix: 'Look for a runaway run of `[` or `{`, or an alias that nests a structure into itself, and flatten it.' },
  FT108: { meaning: 'A mapping key is a list, a mapping or an alias; topology keys are plain text.', fix: 'Write the key as plain text, and put the list or mapping in the value.' },
  FT109: { meaning: 'A number cannot be kept exactly: an integer beyond ±9007199254740991 (2^53 - 1) loses digits, and .inf or .nan cannot be written into a rendered file.', fix: 'Quote the number to keep it as text, or use a smaller, finite number.' },
  FT110: { meaning: 'A string holds a lone UTF-16 surrogate (an escape such as "\\ud800" without its pair), which UTF-8 files cannot hold.', fix: 'Write the character itself, or the escape of the whole character ("\\U0001F600"), instead of half of a surrogate pair.' },
  FT111: { meaning: 'A key is `__proto__`, which JavaScript objects treat as their prototype rather than as data.', fix: 'Rename or remove the key.' },
  FT115: { meaning: 'The lock file has a key fortress does not write: a misspelt key must not silently drop what it holds.', fix: 'Correct the key (the hint names the closest one) or restore topology/topology.lock.json from git.' },
  FT116: { meaning: 'The lock file lists a host, or a retired address, twice; only one of the two could be used.', fix: 'Keep the entry that is right (git history shows which fortress wrote) and delete the other.' },
  FT117: { meaning: "The lock file's cidr is not a usable IPv4 network.", fix: 'Restore topology/topology.lock.json from git; the cidr is the mesh.cidr the lock was written for.' },
  FT118: { meaning: 'An address in the lock file is both held by a host and retired.', fix: "Delete the address from the lock's retired." },
  FT119: { meaning: 'The lock file names a host that cannot exist: host names are DNS labels.', fix: 'Correct the name or delete the entry; restoring the lock from git is safest.' },
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
  FT319: { meaning: 'mesh.cidr is not private address space (RFC 1918 10/8, 172.16/12, 192.168/16, or the RFC 6598 shared range 100.64/10): spokes would route public addresses into the tunnel.', fix: 'Pick a private network such as 10.100.0.0/24 that no host uses for anything else.' },
  FT320: { meaning: "mesh.cidr contains a host's endpoint or SSH address, so traffic to it would be routed into the tunnel it is needed to build.", fix: 'Pick a mesh.cidr that does not overlap the networks the hosts are reached on.' },
  FT321: { meaning: 'Two hubs have the same endpoint, so spokes cannot tell them apart.', fix: 'Give each hub its own public address or DNS name.' },
  FT322: { meaning: 'A country is not an ISO 3166-1 alpha-2 code (UK and EL are not; GB and GR are).', fix: 'Write the two-letter ISO 3166-1 code of the country, such as NO, DE or GB.' },
  FT323: { meaning: 'A host stores a data class that policy.residency does not name: residency fails closed, so every stored class needs a rule.', fix: 'Add `policy.residency.<class>: [<countries>]`, or correct the name of the data class.' },
  FT324: { meaning: 'A HAProxy timer is longer than HAProxy accepts (2147483647 ms, about 24.8 days).', fix: 'Use a shorter duration, such as 2s or 1m.' },
  FT325: { meaning: "A frontend binds a mesh address that is not its own host's.", fix: "Bind 127.0.0.1 or * instead, or pin the load balancer host's meshAddress to that address." },
  FT326: { meaning: 'A sysctl key that weakens the host is set without an opt-in.', fix: 'List the key under `sysctl.allowSensitive` so the change is deliberate and shown in review, or remove the setting.' },
  FT327: { meaning: 'sysctl.allowSensitive names a key that needs no opt-in: it is set nowhere, or it is not a sensitive key.', fix: 'Remove the key from `sysctl.allowSensitive` (no stale opt-ins).' },
  FT328: { meaning: 'A publicKey looks like a WireGuard private key (a clamped X25519 scalar); about 1 in 16 real public keys look so too, so this is a warning.', fix: 'Check on the host that `wg pubkey < /etc/wireguard/<interface>.key` prints this value; if it was the private key, make a new key pair.' },
  FT329: { meaning: "A service's clients name a role (`role:<role>`) that no host has, so it lets nobody in.", fix: 'Correct the role (the hint suggests the closest one), or give the hosts that should connect that role.' },
  FT340: { meaning: "An entry of a frontend's `allow` is not an IPv4 or IPv6 network: malformed, a prefix out of range, or host bits set.", fix: 'Write a network such as 203.0.113.0/24 or 2001:db8::/32 (one address: 203.0.113.7/32); the hint names the network when host bits are set.' },
  FT341: { meaning: "A frontend bound to a loopback address has `allow`: nothing outside the host can reach it, so the list would mean nothing.", fix: 'Remove `allow`, or bind the frontend to an address other hosts reach (`*:<port>` or one of its addresses).' },
  FT342: { meaning: "A frontend bound to an IPv4 address lists an IPv6 network in `allow`: no IPv6 client can reach that address.", fix: 'Remove the IPv6 network from `allow`.' },
  FT343: { meaning: "A service or frontend listens on its host's SSH port, which the firewall never closes: its clients or `allow` could not be enforced.", fix: "Move the service or frontend to another port, or the host's `ssh.port`." },
  FT344: { meaning: 'A frontend bound to a non-mesh address uses the port of a service on its host: the firewall closes that port to all but the service\'s clients, so the frontend would be unreachable.', fix: 'Move the frontend or the service to another port.' },
  FT401: { meaning: 'mesh.cidr has no free address left for a new host.', fix: 'Widen `mesh.cidr` (for example from /24 to /23), or remove hosts.' },
  FT501: { meaning: 'No command was given, or the command is not one fortress has.', fix: 'Run one of the commands `fortress --help` lists (the hint suggests the closest one).' },
  FT502: { meaning: 'An option is not one the command line knows.', fix: 'Correct the option (the hint suggests the closest one) or remove it; `fortress --help` lists them all.' },
  FT503: { meaning: 'An option that takes a value was given none, or a switch that takes none was given one.', fix: 'Write the value after the option (`--out rendered` or `--out=rendered`), or give the switch alone (`--check`).' },
  FT504: { meaning: "An option's value is not one of the allowed values, or is out of range.", fix: 'Use one of the values, or a number inside the range, that the message names.' },
  FT505: { meaning: 'An option does not apply to the command it was given to.', fix: 'Remove the option, or run the command it belongs to (the message names it).' },
  FT506: { meaning: 'An argument is missing, or there is one the command does not take.', fix: 'Write the command as `fortress --help` shows it, for example `fortress keys bootstrap <host>`.' },
  FT510: { meaning: 'A file or directory cannot be read or written.', fix: 'Check that the path exists, is of the right kind and is readable (or writable), and that the disk has space.' },
  FT511: { meaning: 'Something the command needs around it is missing: SSH credentials, a git repository, or a git ref.', fix: 'Provide what the message names (for example start an SSH agent, or fetch the ref), then run the command again.' },
  FT520: { meaning: 'A host to apply to (or to make a key on) has no `ssh` settings, so fortress cannot reach it.', fix: "Add the host's `ssh: { address, user, hostKey }`, or leave the host out with `--hosts`." },
  FT521: { meaning: 'A host to connect to pins no `ssh.hostKey`: fortress only connects to a pinned host key.', fix: 'Add `ssh.hostKey`: the host\'s public host key, from `ssh-keyscan` checked against the cloud console.' },
  FT522: { meaning: '`mesh.presharedKeys` is true, and apply does not distribute preshared keys yet.', fix: 'Set `mesh.presharedKeys: false`, or install the preshared keys on the hosts yourself and apply them by hand.' },
  FT523: { meaning: 'A host named on the command line (`--hosts` or `keys bootstrap <host>`) is not in the topology.', fix: 'Correct the name (the hint suggests the closest one), or add the host to the topology first.' },
  FT601: { meaning: 'A file in rendered/ differs from what the topology renders.', fix: 'Run `fortress render` and commit the result; edit the topology, not the rendered files.' },
  FT602: { meaning: 'A file the topology renders is missing from rendered/.', fix: 'Run `fortress render` and commit the result.' },
  FT603: { meaning: 'A file in rendered/ is not produced by the topology (a stray or a removed host\'s file).', fix: 'Run `fortress render`, which removes it, and commit the result.' },
  FT604: { meaning: 'The lock file is missing or differs from what a render would write.', fix: 'Run `fortress render` and commit the lock file with rendered/.' },
  FT605: { meaning: 'A warning: render put the new rendered/ in place but could not delete the previous tree (for example, a read-only directory in it). The render itself succeeded.', fix: 'Delete the leftover at the path the message names, for example `chmod -R u+w <path> && rm -rf <path>`.' },
} as const satisfies Record<string, CatalogueEntry>;

export type DiagnosticCode = keyof typeof catalogue;
