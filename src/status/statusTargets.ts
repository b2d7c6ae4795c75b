// What each host should look like, pure: apply's host jobs (SSH target, managed files with their
// hashes, the hub its round trips go to) and, read from the rendered tree, the peers its wg-quick
// file names, the HAProxy servers and stats socket of its haproxy.cfg, and its firewall table.
import type { HostJob } from '../apply/applyHost.js';
import { hostJobs } from '../apply/hostJobs.js';
import type { Manifest } from '../emit/manifest.js';
import type { TopologyModel } from '../model/topologyModel.js';

export interface RenderedPeer {
  /** The host the key belongs to (from the manifest), else the file's friendly_name, else the key. */
  name: string;
  publicKey: string;
  allowedIps: string[];
  endpoint?: string;
  /** Seconds; 0: off. */
  persistentKeepalive: number;
}

export interface StatusTarget {
  job: HostJob;
  /** The [Peer] sections of the host's rendered wg-quick file; undefined when it has none. */
  peers?: RenderedPeer[];
  haproxy?: { socket?: string; servers: { backend: string; server: string; backup: boolean }[] };
  /** The rendered firewall.nft, when the host has one. */
  firewall?: string;
  /** Where the round trips go: the hub (as apply's verify dials it), and its name. Absent on the hub itself. */
  tunnel?: { host: string; address: string; port: number };
}

export function statusTargets(model: TopologyModel, manifest: Manifest, files: ReadonlyMap<string, string>, only?: readonly string[]): StatusTarget[] {
  const nameOfKey = new Map(Object.entries(manifest.hosts).map(([name, facts]) => [facts.publicKey, name]));
  return hostJobs(model, manifest, files, only).map((job): StatusTarget => {
    // Files that stay in the repository (cloud-init user-data) have no path on the host.
    const managed: HostJob = { ...job, files: job.files.filter((f) => typeof f.hostPath === 'string') };
    const target: StatusTarget = { job: managed };
    const wireguard = managed.files.find((f) => f.reload === 'wireguard');
    if (wireguard) target.peers = renderedPeers(wireguard.content, nameOfKey);
    const haproxy = managed.files.find((f) => f.reload === 'haproxy');
    if (haproxy) {
      const socket = statsSocket(haproxy.content);
      const backends = manifest.hosts[job.host]?.loadBalancer?.backends ?? {};
      target.haproxy = {
        ...(socket === undefined ? {} : { socket }),
        servers: Object.entries(backends).flatMap(([backend, { servers }]) => servers.map((s) => ({ backend, server: s.host, backup: s.backup }))),
      };
    }
    const firewall = managed.files.find((f) => f.reload === 'firewall');
    if (firewall) target.firewall = firewall.content;
    if (job.verify) {
      const hub = model.hosts.find((h) => h.meshAddress === job.verify!.address);
      target.tunnel = { host: hub?.name ?? job.verify.address, address: job.verify.address, port: job.verify.port };
    }
    return target;
  });
}

/** The [Peer] sections of a wg-quick file. */
export function renderedPeers(config: string, nameOfKey: ReadonlyMap<string, string> = new Map()): RenderedPeer[] {
  const peers: RenderedPeer[] = [];
  let current: (Partial<RenderedPeer> & { friendlyName?: string }) | undefined;
  const close = () => {
    if (current?.publicKey) {
      peers.push({
        name: nameOfKey.get(current.publicKey) ?? current.friendlyName ?? current.publicKey,
        publicKey: current.publicKey,
        allowedIps: current.allowedIps ?? [],
        ...(current.endpoint === undefined ? {} : { endpoint: current.endpoint }),
        persistentKeepalive: current.persistentKeepalive ?? 0,
      });
    }
  };
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    if (/^\[.*\]$/.test(line)) {
      close();
      current = line.toLowerCase() === '[peer]' ? {} : undefined;
      continue;
    }
    if (!current) continue;
    const friendly = /^#\s*friendly_name\s*=\s*(.+)$/.exec(line);
    if (friendly) current.friendlyName = friendly[1]!.trim();
    const setting = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!setting) continue;
    const [, key = '', value = ''] = setting;
    switch (key.toLowerCase()) {
      case 'publickey':
        current.publicKey = value.trim();
        break;
      case 'allowedips':
        current.allowedIps = value.split(',').map((a) => a.trim()).filter(Boolean);
        break;
      case 'endpoint':
        current.endpoint = value.trim();
        break;
      case 'persistentkeepalive':
        current.persistentKeepalive = value.trim() === 'off' ? 0 : Number(value.trim()) || 0;
        break;
    }
  }
  close();
  return peers;
}

/** The path of haproxy.cfg's `stats socket` line, if it has one. */
export function statsSocket(config: string): string | undefined {
  return /^\s*stats\s+socket\s+(\S+)/m.exec(config)?.[1];
}
