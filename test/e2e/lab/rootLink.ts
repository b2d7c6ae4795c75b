// A way into the lab's underlay from this machine's own (root) network namespace, for a program that
// runs in the test process itself, like `fortress apply` dialling every host's sshd. One veth pair:
// `<prefix>up` in the root namespace with one address on the underlay /24, its peer plugged into the
// lab's bridge. Nothing else changes in the root namespace: no forwarding, no other route. Teardown
// deletes the root end first (which deletes the peer too) and checks that the link and every route
// into the underlay are gone.
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecked, runCommand } from './command.js';
import type { Bridge } from './bridgeNamespace.js';
import type { Lab } from './lab.js';

export interface RootLink {
  /** The veth's name in the root namespace. */
  device: string;
  /** "198.18.7.0/24" */
  cidr: string;
  /** The first three octets, "198.18.7": hosts are <underlay>.1, .2, ... */
  underlay: string;
  /** The root namespace's own address on the underlay, "198.18.7.254". */
  address: string;
}

/** 198.18.0.0/15 is reserved for benchmarks (RFC 2544): 512 /24s to choose from. */
const BENCHMARK_SUBNETS = 512;
const ROOT_HOST = 254;

function subnet(index: number): string {
  return `198.${18 + Math.floor(index / 256)}.${index % 256}`;
}

/** Routes of the root namespace, in any table, that cover an address of the subnet (the default route aside). */
export async function rootRoutesInto(underlay: string): Promise<string[]> {
  const out = await runChecked('ip', ['-4', '-o', 'route', 'show', 'table', 'all', 'to', 'match', `${underlay}.1`]);
  const local = await runChecked('ip', ['-4', '-o', 'route', 'show', 'table', 'all']);
  const lines = [...out.split('\n'), ...local.split('\n').filter((l) => l.includes(` ${underlay}.`) || l.startsWith(`${underlay}.`))];
  return [...new Set(lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('default') && !l.startsWith('unreachable default')))];
}

export async function linkExists(device: string): Promise<boolean> {
  return (await runCommand('ip', ['link', 'show', 'dev', device])).code === 0;
}

/**
 * Plugs the root namespace into the bridge. The /24 is `underlay` if given, else one of the 512
 * benchmark /24s that no route of the root namespace touches yet, starting at one derived from the
 * lab prefix, so labs of parallel test files (each with its own prefix) pick different ones; if
 * another lab took the same /24 at the same moment, the later one backs off and takes the next.
 */
export async function connectRootToBridge(lab: Lab, bridge: Bridge, underlay?: string): Promise<RootLink> {
  const device = `${lab.prefix}up`;
  const peer = 'up0';
  let current: RootLink | undefined;
  lab.onTeardown('before-namespaces', async () => {
    if (await linkExists(device)) await runChecked('ip', ['link', 'delete', 'dev', device]);
    if (!current) return;
    // Deleting one end of a veth deletes both, and with it the prefix route; both are checked.
    for (let i = 0; i < 50 && ((await linkExists(device)) || (await rootRoutesInto(current.underlay)).some((r) => r.includes(` dev ${device}`))); i++) await sleep(20);
    if (await linkExists(device)) throw new Error(`the root-namespace link ${device} survived its deletion`);
    const left = (await rootRoutesInto(current.underlay)).filter((r) => r.includes(` dev ${device}`));
    if (left.length > 0) throw new Error(`routes into ${current.cidr} are left in the root namespace: ${left.join('; ')}`);
  });

  await runChecked('ip', ['link', 'add', device, 'type', 'veth', 'peer', 'name', peer, 'netns', bridge.namespace]);
  await runChecked('ip', ['-n', bridge.namespace, 'link', 'set', peer, 'master', bridge.device, 'up']);
  // No IPv6 on the root end: nothing but the one IPv4 address and its route in the root namespace.
  await runCommand('sysctl', ['-q', '-w', `net.ipv6.conf.${device}.disable_ipv6=1`]);

  const candidates = underlay ? [underlay] : orderOfSubnets(lab.prefix);
  for (const candidate of candidates.slice(0, 16)) {
    if ((await rootRoutesInto(candidate)).length > 0) continue;
    const link: RootLink = { device, cidr: `${candidate}.0/24`, underlay: candidate, address: `${candidate}.${ROOT_HOST}` };
    await runChecked('ip', ['address', 'add', `${link.address}/24`, 'dev', device]);
    current = link;
    await runChecked('ip', ['link', 'set', device, 'up']);
    const others = (await rootRoutesInto(candidate)).filter((r) => !r.includes(` dev ${device}`));
    if (others.length === 0) return link;
    // Someone else took it in the meantime: give it back and try the next.
    await runChecked('ip', ['address', 'flush', 'dev', device]);
    await runChecked('ip', ['link', 'set', device, 'down']);
  }
  throw new Error(`no free /24 for the lab's underlay${underlay ? `: ${underlay}.0/24 is routed already` : ' among 16 tried in 198.18.0.0/15'}: ${(await runChecked('ip', ['-4', '-o', 'route', 'show'])).trim()}`);
}

function orderOfSubnets(prefix: string): string[] {
  let hash = 2166136261;
  for (const char of prefix) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return Array.from({ length: BENCHMARK_SUBNETS }, (_, i) => subnet((hash + i * 37) % BENCHMARK_SUBNETS));
}
