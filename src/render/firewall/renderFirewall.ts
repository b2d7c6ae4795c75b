// /etc/fortress/firewall.nft, on every host: the nftables table inet fortress, which replaces itself
// when loaded with `nft -f`; and the systemd unit that loads it at boot.
//
// The input chain accepts a service's port only on the mesh interface and only from its clients' mesh
// addresses, then drops that port from everywhere else; a hub's forward chain lets a spoke reach a
// service on another spoke only when it is a client. Every name in the file is a DNS label or an
// HAProxy name and every address was validated, so nothing written in the topology can add a rule.
import type { FirewallClients, FirewallModel, HostModel, TopologyModel } from '../../model/topologyModel.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, hostFile, type RenderContext, type RenderedFile } from '../renderedFile.js';

export const FIREWALL_PATH = '/etc/fortress/firewall.nft';
export const FIREWALL_UNIT_PATH = '/etc/fortress/fortress-firewall.service';

/** A rule as `nft list` prints it, with an optional `#` line above it. */
interface RuleLine {
  note?: string;
  rule: string;
}

interface FirewallTemplate {
  header: string;
  host: string;
  interface: string;
  listenPort: number;
  sshPort: number;
  sets: { name: string; note: string; elements: string }[];
  input: RuleLine[];
  /** Hubs only; an object, so that a hub with no service on a spoke still drops spoke-to-spoke traffic. */
  forward?: { sshPorts: string; rules: RuleLine[] };
}

interface UnitTemplate {
  header: string;
  host: string;
}

const firewallTemplate = loadTemplate<FirewallTemplate>(new URL('./firewall.nft.hbs', import.meta.url));
const unitTemplate = loadTemplate<UnitTemplate>(new URL('./fortress-firewall.service.hbs', import.meta.url));

export function renderFirewall(model: TopologyModel, host: HostModel, context: RenderContext): RenderedFile[] {
  // The header is the only text here fortress does not check (the topology's path): a newline in it
  // must not end the comment.
  const header = generatedHeader(context.source, model.name);
  const firewall = host.firewall;
  const mesh = model.mesh;
  const rolesOf = hostRoles(model);

  const sets = new Map<string, FirewallTemplate['sets'][number]>();
  /** The source match of a service's clients: a named set of their addresses, or the mesh CIDR for everyone. */
  const clientMatch = (service: string, clients: FirewallClients): string => {
    if (clients.hosts === undefined) return `ip saddr ${mesh.cidr}`;
    const name = `clients_${service}`;
    if (!sets.has(name)) {
      const automatic = clients.hosts.filter((h) => !isWritten(h.name, clients.written ?? [], rolesOf.get(h.name) ?? [])).map((h) => h.name);
      sets.set(name, {
        name,
        note: `clients of ${service}: ${describeClients(clients)}${automatic.length > 0 ? `; ${automatic.join(', ')} as load-balancer hosts that send to it` : ''}`,
        elements: clients.hosts.map((h) => `${h.address} comment "${h.name}"`).join(',\n\t\t\t     '),
      });
    }
    return `ip saddr @${name}`;
  };

  const input: RuleLine[] = [
    ...firewall.services.flatMap(({ name, port, clients }): RuleLine[] => [
      { note: `${name} on ${host.name}: clients ${describeClients(clients)}`, rule: `iifname "${mesh.interface}" ${clientMatch(name, clients)} tcp dport ${port} accept comment "${name}: ${clients.hosts ? 'its clients' : 'every mesh host'}, through the mesh"` },
      { rule: `tcp dport ${port} drop comment "${name}: anyone else, on any interface"` },
    ]),
    ...firewall.frontends.flatMap(frontendRules),
  ];
  const forward = firewall.forward?.map(({ service, host: server, address, port, clients }): RuleLine => ({
    note: `${service} on ${server}: clients ${describeClients(clients)}`,
    rule: `${clientMatch(service, clients)} ip daddr ${address} tcp dport ${port} accept comment "${service}: ${clients.hosts ? 'its clients' : 'every mesh host'}"`,
  }));

  const content = firewallTemplate({
    header,
    host: host.name,
    interface: mesh.interface,
    listenPort: mesh.listenPort,
    sshPort: firewall.sshPort,
    sets: [...sets.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    input,
    // SSH is never blocked by fortress, also from one spoke to another through the hub.
    ...(forward && { forward: { sshPorts: portMatch(model.hosts.map((h) => h.firewall.sshPort)), rules: forward } }),
  });
  return [
    hostFile(host.name, FIREWALL_PATH, content, 0o644, 'firewall'),
    hostFile(host.name, FIREWALL_UNIT_PATH, unitTemplate({ header, host: host.name }), 0o644, 'systemd'),
  ];
}

const rolesByModel = new WeakMap<TopologyModel, ReadonlyMap<string, readonly string[]>>();

/** Each host's roles, looked up once per model rather than once per host. */
function hostRoles(model: TopologyModel): ReadonlyMap<string, readonly string[]> {
  let roles = rolesByModel.get(model);
  if (!roles) rolesByModel.set(model, (roles = new Map(model.hosts.map((h) => [h.name, h.roles]))));
  return roles;
}

function describeClients(clients: FirewallClients): string {
  return clients.written ? clients.written.join(', ') : 'every mesh host';
}

function isWritten(host: string, written: readonly string[], roles: readonly string[]): boolean {
  return written.includes(host) || roles.some((role) => written.includes(`role:${role}`));
}

/**
 * A frontend bound to one address is matched on that address, so two frontends on one port of
 * different addresses keep their own `allow`; one bound to every address is matched on the port.
 */
function frontendRules({ name, port, bind, allow }: FirewallModel['frontends'][number]): RuleLine[] {
  const address = bind.slice(0, bind.lastIndexOf(':'));
  const destination = address === '' || address === '*' || address === '0.0.0.0' ? '' : `ip daddr ${address} `;
  const note = `frontend ${name} (${bind}): ${allow ? `allow ${allow.join(', ')}` : 'open to every address'}`;
  if (allow === undefined) return [{ note, rule: `${destination}tcp dport ${port} accept comment "frontend ${name}: every address"` }];
  const ipv4 = allow.filter((cidr) => !cidr.includes(':'));
  const ipv6 = allow.filter((cidr) => cidr.includes(':'));
  const rules: RuleLine[] = [];
  if (ipv4.length > 0) rules.push({ rule: `${destination}ip saddr ${setOf(ipv4)} tcp dport ${port} accept comment "frontend ${name}: allowed networks"` });
  if (ipv6.length > 0) rules.push({ rule: `${destination}ip6 saddr ${setOf(ipv6)} tcp dport ${port} accept comment "frontend ${name}: allowed networks"` });
  rules.push({ rule: `${destination}tcp dport ${port} drop comment "frontend ${name}: anyone else"` });
  rules[0]!.note = note;
  return rules;
}

/** One element alone, several in braces: the way `nft list` prints them. */
function setOf(elements: readonly string[]): string {
  return elements.length === 1 ? elements[0]! : `{ ${elements.join(', ')} }`;
}

/** One port as nft lists it (`22`), several as an anonymous set (`{ 22, 2222 }`). */
function portMatch(ports: readonly number[]): string {
  const distinct = [...new Set(ports)].sort((a, b) => a - b);
  return distinct.length === 1 ? String(distinct[0]) : `{ ${distinct.join(', ')} }`;
}
