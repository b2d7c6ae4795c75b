// Who may reach what: firewall changes told as their own class ("firewall postgres: clients + role:analytics"),
// and the two that widen access flagged.
import { parseIpv4, parseIpv4Network } from '../allocate/ipv4Network.js';
import type { HostFacts, Manifest } from '../emit/manifest.js';
import { ownEntry } from './ownEntry.js';
import type { RiskFlag } from './riskFlags.js';

type FirewallFacts = NonNullable<HostFacts['firewall']>;
type ServiceFacts = FirewallFacts['services'][number];
type FrontendFacts = FirewallFacts['frontends'][number];
type ForwardFacts = NonNullable<FirewallFacts['forward']>[number];
type ClientFacts = { clients?: string[]; clientHosts?: string[] };

const EVERYONE = 'every mesh host';

/** Summary lines for one host's firewall: services whose clients change, frontends whose allow changes. */
export function firewallChanges(before: HostFacts, after: HostFacts): string[] {
  // Manifests of fortress 0.1 have no firewall facts: nothing to compare.
  if (!before.firewall || !after.firewall) return [];
  const lines: string[] = [];
  for (const name of names(before.firewall.services, after.firewall.services)) {
    const was = before.firewall.services.find((s) => s.name === name);
    const now = after.firewall.services.find((s) => s.name === name);
    if (!was) lines.push(`firewall ${name}: port ${now!.port} open to ${now!.clients?.join(', ') ?? EVERYONE}`);
    else if (!now) lines.push(`firewall ${name}: port ${was.port} closed`);
    else {
      if (was.port !== now.port) lines.push(`firewall ${name}: port ${was.port} → ${now.port}`);
      lines.push(...clientChanges(`firewall ${name}`, was, now));
    }
  }
  for (const name of names(before.firewall.frontends, after.firewall.frontends)) {
    const was = before.firewall.frontends.find((f) => f.name === name);
    const now = after.firewall.frontends.find((f) => f.name === name);
    if (!was) lines.push(`firewall frontend ${name}: ${now!.bind} open to ${now!.allow?.join(', ') ?? 'every address'}`);
    else if (!now) lines.push(`firewall frontend ${name}: ${was.bind} closed`);
    else {
      const change = listChange(was.allow, now.allow, 'every address');
      if (was.bind !== now.bind) lines.push(`firewall frontend ${name}: ${was.bind} → ${now.bind}`);
      if (change) lines.push(`firewall frontend ${name}: allow ${change}`);
    }
  }
  const forwardKey = (f: ForwardFacts) => `${f.service} to ${f.host}:${f.port}`;
  const forwardBefore = new Map((before.firewall.forward ?? []).map((f) => [forwardKey(f), f]));
  const forwardAfter = new Map((after.firewall.forward ?? []).map((f) => [forwardKey(f), f]));
  for (const key of [...new Set([...forwardBefore.keys(), ...forwardAfter.keys()])].sort()) {
    const was = forwardBefore.get(key);
    const now = forwardAfter.get(key);
    if (!was) lines.push(`firewall forwards ${key} from ${now!.clients?.join(', ') ?? EVERYONE}`);
    else if (!now) lines.push(`firewall no longer forwards ${key}`);
    else {
      lines.push(...clientChanges(`firewall forwards ${key}`, was, now));
    }
  }
  return lines;
}

/**
 * `access-widened`: a service may be reached by hosts that could not reach it before, or a frontend
 * by addresses outside its old allow list. `exposed-beyond-mesh`: a frontend on an address outside the
 * mesh (not loopback) with no allow list, new or newly unrestricted.
 */
export function firewallRisks(base: Manifest, head: Manifest): RiskFlag[] {
  const risks: RiskFlag[] = [];
  const services = (m: Manifest) => {
    const byName = new Map<string, { clients: Set<string> | 'everyone'; written: string }>();
    for (const host of Object.values(m.hosts)) {
      for (const s of host.firewall?.services ?? []) byName.set(s.name, { clients: s.clientHosts ? new Set(s.clientHosts) : 'everyone', written: s.clients?.join(', ') ?? EVERYONE });
    }
    return byName;
  };
  const before = services(base);
  for (const [name, now] of [...services(head)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const was = before.get(name);
    if (!was || was.clients === 'everyone') continue;
    const gained = now.clients === 'everyone' ? [EVERYONE] : [...now.clients].filter((h) => !(was.clients as Set<string>).has(h)).sort();
    if (gained.length > 0) risks.push({ code: 'access-widened', message: `access widened: ${name} may now be reached by ${gained.join(', ')} (clients: ${now.written})` });
  }

  const cidr = parseIpv4Network(head.mesh.cidr);
  for (const [host, now] of Object.entries(head.hosts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const was = ownEntry(base.hosts, host)?.firewall;
    for (const frontend of now.firewall?.frontends ?? []) {
      const old = was?.frontends.find((f) => f.name === frontend.name);
      const gained = old?.allow && frontend.allow ? frontend.allow.filter((c) => !old.allow!.includes(c)) : [];
      if (old && old.allow && !frontend.allow) gained.push('every address');
      if (gained.length > 0) risks.push({ code: 'access-widened', message: `access widened: frontend ${frontend.name} on ${host} (${frontend.bind}) now allows ${gained.join(', ')}` });
      const exposed = !frontend.allow && !insideMesh(frontend, cidr);
      const wasExposed = old !== undefined && !old.allow && old.bind === frontend.bind;
      if (exposed && !wasExposed) {
        risks.push({ code: 'exposed-beyond-mesh', message: `exposed beyond the mesh: frontend ${frontend.name} on ${host} listens on ${frontend.bind} with no allow list; any address that reaches the host reaches it` });
      }
    }
  }
  return risks;
}

function insideMesh(frontend: FrontendFacts, cidr: ReturnType<typeof parseIpv4Network>): boolean {
  const address = parseIpv4(frontend.bind.slice(0, frontend.bind.lastIndexOf(':')));
  return typeof cidr !== 'string' && address !== undefined && address >= cidr.network && address <= cidr.broadcast;
}

function names(a: readonly (ServiceFacts | FrontendFacts)[], b: readonly (ServiceFacts | FrontendFacts)[]): string[] {
  return [...new Set([...a, ...b].map((x) => x.name))].sort();
}

/** The clients as written when they change; otherwise the hosts a role brings in or takes away. */
function clientChanges(what: string, was: ClientFacts, now: ClientFacts): string[] {
  const written = listChange(was.clients, now.clients, EVERYONE);
  if (written) return [`${what}: clients ${written}`];
  const resolved = listChange(was.clientHosts, now.clientHosts, EVERYONE);
  return resolved ? [`${what}: client hosts ${resolved} (${now.clients?.join(', ') ?? EVERYONE})`] : [];
}

/** "+ role:analytics − fra-app-02", or "every mesh host → a, b" when one side has no list. */
function listChange(was: readonly string[] | undefined, now: readonly string[] | undefined, everyone: string): string | undefined {
  if (!was && !now) return undefined;
  if (!was || !now) return `${was?.join(', ') ?? everyone} → ${now?.join(', ') ?? everyone}`;
  const added = now.filter((x) => !was.includes(x));
  const removed = was.filter((x) => !now.includes(x));
  const parts = [...(added.length > 0 ? [`+ ${added.join(', ')}`] : []), ...(removed.length > 0 ? [`− ${removed.join(', ')}`] : [])];
  return parts.length > 0 ? parts.join(' ') : undefined;
}
