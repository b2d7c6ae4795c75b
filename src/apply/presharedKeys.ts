// Preshared keys end to end (mesh.presharedKeys): each pair of peers shares one random key, made here
// in memory, sent over SSH to both ends and kept only there (/etc/wireguard/<interface>.psk/<peer>.psk,
// 0600). Nothing about a key is written on the machine running fortress; hosts report a hash of each
// key file, so a pair that lacks a key or disagrees about it (a rebuilt host, a new peer) is found
// without ever reading a key back.
//
// Runs before the transactions, so that wg-quick up (whose PostUp lines load the files) and a live
// reload (which merges them in) find every key. A pair changes only when both ends were reached: the
// new key is staged beside the old one on both, then committed on both.
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import type { TopologyModel } from '../model/topologyModel.js';
import type { ApplyEnvironment, HostJob } from './applyHost.js';
import { target } from './applyHost.js';
import { inParallel } from './inParallel.js';
import { asRoot, presharedKeysScript, SUDO_REFUSED, sudoRuleMissing } from './remoteScripts.js';
import { remoteText } from './remoteText.js';
import type { RemoteHost } from './sshConnection.js';

export type Pair = readonly [string, string];

export interface PresharedKeyReport {
  /** Pairs that got a new key (or would, with --dry-run). */
  keyed: Pair[];
  /** Hosts that could not be read or written, and why: their pairs kept what they had. */
  failed: { host: string; message: string }[];
}

/** Every pair of hosts that are each other's peers, once, in name order; with `only`, pairs with a selected end. */
export function peerPairs(model: TopologyModel, only?: readonly string[]): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const host of model.hosts) {
    for (const peer of host.peers) {
      const pair: Pair = host.name < peer.name ? [host.name, peer.name] : [peer.name, host.name];
      if (!only || only.includes(pair[0]) || only.includes(pair[1])) pairs.set(pair.join(' '), pair);
    }
  }
  return [...pairs.values()].sort((x, y) => (x.join(' ') < y.join(' ') ? -1 : 1));
}

/** `psk <peer> <sha256>` lines -> peer -> hash. */
export function parseKeyListing(stdout: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^psk (\S+) ([0-9a-f]{64})$/.exec(line);
    if (match) hashes.set(match[1]!, match[2]!);
  }
  return hashes;
}

/** The pairs both of whose ends were read and that lack a key on either end or hold different ones. */
export function pairsNeedingKeys(pairs: readonly Pair[], listings: ReadonlyMap<string, ReadonlyMap<string, string>>): Pair[] {
  return pairs.filter(([a, b]) => {
    const atA = listings.get(a);
    const atB = listings.get(b);
    if (!atA || !atB) return false;
    const ofB = atA.get(b);
    return ofB === undefined || ofB !== atB.get(a);
  });
}

/** A fresh key as `wg genpsk` prints it: 32 random bytes, base64. */
export function newPresharedKey(): string {
  return Buffer.from(nacl.randomBytes(32)).toString('base64');
}

/** The hash a host reports for a key file holding `key` (the file ends with a newline). */
export function keyFileHash(key: string): string {
  return createHash('sha256').update(`${key}\n`).digest('hex');
}

export async function distributePresharedKeys(
  model: TopologyModel,
  jobs: readonly HostJob[],
  env: ApplyEnvironment,
  options: { dryRun: boolean; concurrency: number; only?: readonly string[] },
): Promise<PresharedKeyReport> {
  const pairs = peerPairs(model, options.only);
  const involved = jobs.filter((job) => pairs.some((pair) => pair.includes(job.host)));
  const dir = `/etc/wireguard/${model.mesh.interface}.psk`;
  const iface = model.mesh.interface;
  const failed: PresharedKeyReport['failed'] = [];
  const connections = new Map<string, { job: HostJob; remote: RemoteHost }>();
  const listings = new Map<string, Map<string, string>>();

  const run = async (job: HostJob, remote: RemoteHost, script: string, what: string): Promise<string | undefined> => {
    const result = await remote.exec(asRoot(job.ssh!.user, 'bash -s'), { stdin: script, timeoutMs: 30_000 });
    if (result.code === 0) return result.stdout;
    failed.push({ host: job.host, message: result.stderr.includes(SUDO_REFUSED) ? sudoRuleMissing(job.ssh!.user) : `cannot ${what} the preshared keys: ${remoteText(result.stderr) || `exit ${result.code}`}` });
    return undefined;
  };

  try {
    await inParallel(involved, options.concurrency, async (job) => {
      if (!job.ssh?.hostKey) return;
      try {
        const remote = await env.connect(target(job));
        connections.set(job.host, { job, remote });
        const listed = await run(job, remote, presharedKeysScript({ DIR: dir, IFACE: iface, MODE: 'list' }), 'read');
        if (listed !== undefined) listings.set(job.host, parseKeyListing(listed));
      } catch (error) {
        failed.push({ host: job.host, message: `cannot connect: ${remoteText((error as Error).message)}` });
      }
    });
    const needed = pairsNeedingKeys(pairs, listings);
    if (options.dryRun || needed.length === 0) return { keyed: needed, failed };

    const keys = new Map(needed.map((pair) => [pair.join(' '), newPresharedKey()]));
    const ends = (host: string) => needed.filter((pair) => pair.includes(host));
    const other = (pair: Pair, host: string) => (pair[0] === host ? pair[1] : pair[0]);
    const staged = new Set<string>();
    await inParallel([...connections.values()], options.concurrency, async ({ job, remote }) => {
      const mine = ends(job.host);
      if (mine.length === 0) return;
      const lines = mine.map((pair) => `${other(pair, job.host)} ${keys.get(pair.join(' '))}`).join('\n');
      if ((await run(job, remote, presharedKeysScript({ DIR: dir, IFACE: iface, MODE: 'stage', KEYS: lines }), 'stage')) !== undefined) staged.add(job.host);
    });
    keys.clear();
    // Only pairs staged at both ends change; a key staged at one end alone stays a .new file, unused.
    const keyed = needed.filter(([a, b]) => staged.has(a) && staged.has(b));
    const publicKeys = new Map(model.hosts.map((h) => [h.name, h.publicKey]));
    await inParallel([...connections.values()], options.concurrency, async ({ job, remote }) => {
      const mine = keyed.filter((pair) => pair.includes(job.host));
      if (mine.length === 0) return;
      const peers = mine.map((pair) => `${other(pair, job.host)} ${publicKeys.get(other(pair, job.host))}`).join('\n');
      if ((await run(job, remote, presharedKeysScript({ DIR: dir, IFACE: iface, MODE: 'commit', PEERS: peers }), 'install')) !== undefined) {
        env.onEvent(job.host, `${mine.length} new preshared key${mine.length === 1 ? '' : 's'}`);
      }
    });
    return { keyed, failed };
  } finally {
    for (const { remote } of connections.values()) remote.close();
  }
}
