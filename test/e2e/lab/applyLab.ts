// The lab `fortress apply` is tested in: a generated topology in a temp repository, and one lab host
// per topology host that looks like a freshly provisioned machine to fortress: reachable from the
// test process (the root network namespace) over the underlay, a real sshd that trusts the lab's
// client key, its WireGuard private key at /etc/wireguard/wg0.key, empty private directories for
// what fortress installs, and /etc/fortress/profile for the activation commands of a host without
// systemd. WireGuard is not brought up here: that is apply's job.
//
// Inside each host, /etc and /var/lib are copy-on-write overlays on a private tmpfs, and
// /etc/wireguard, /etc/haproxy, /etc/sysctl.d, /etc/fortress, /var/lib/fortress, /run, /root,
// /var/log and the sshd directory are private tmpfs: whatever apply writes vanishes with the host,
// and the lab creates no directory on this machine other than its temp dirs, removed at teardown.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Compiled } from '../../../src/compile.js';
import type { MeshShape } from '../../../src/validate/topologyInput.js';
import { generateTopology } from '../../../bench/generateTopology.mjs';
import { compileText } from '../../support/compileExample.js';
import { connectToBridge, createBridge, type Bridge } from './bridgeNamespace.js';
import { runChecked } from './command.js';
import { createHostNamespace, type HostNamespace } from './hostNamespace.js';
import { namespaceInode, type Lab } from './lab.js';
import { settleAll } from './meshLab.js';
import { connectRootToBridge, linkExists, rootRoutesInto, type RootLink } from './rootLink.js';
import { knownHostsLine } from './sshClient.js';
import { createClientKey, removeTree, startSshServer } from './sshServer.js';
import { startTcpService, type TcpService } from './tcpService.js';

/** What /etc/fortress/profile sets on every lab host; fortress's remote script sources it. */
export const LAB_PROFILE: Readonly<Record<string, string>> = {
  FORTRESS_HAPROXY_RELOAD: 'haproxy -D -p /run/haproxy.pid -f /etc/haproxy/haproxy.cfg -sf $(cat /run/haproxy.pid 2>/dev/null)',
  FORTRESS_HAPROXY_START: 'mkdir -p /run/haproxy && haproxy -D -p /run/haproxy.pid -f /etc/haproxy/haproxy.cfg',
};

/**
 * Stops the HAProxy that LAB_PROFILE's commands started. Not in the profile (the lab writes exactly
 * LAB_PROFILE unless told otherwise); pass it as `extraProfile: { FORTRESS_HAPROXY_STOP: LAB_HAPROXY_STOP }`.
 */
// Like `systemctl stop`, it returns once HAProxy has exited (and let go of its ports), bounded.
export const LAB_HAPROXY_STOP = 'if [ -s /run/haproxy.pid ]; then p=$(cat /run/haproxy.pid); kill $p; for i in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; fi; rm -f /run/haproxy.pid';

/** Private tmpfs directories of every host, besides its sshd directory. */
export const APPLY_LAB_PRIVATE_DIRS = ['/etc/wireguard', '/etc/haproxy', '/etc/sysctl.d', '/etc/fortress', '/var/lib/fortress', '/run', '/root', '/var/log'] as const;
/** Made copy-on-write (overlay on a private tmpfs), so mount points and stray writes stay in the host. */
export const APPLY_LAB_COPY_ON_WRITE = ['/etc', '/var/lib'] as const;
/** Kept 0700 like on a real host; the other private directories are 0755. */
const CLOSED_DIRS = new Set(['/etc/wireguard', '/root']);

export const LAB_MESH_CIDR = '10.99.0.0/24';
/** Replaces generateTopology's net.core.rmem_max, which a network namespace cannot set. */
export const LAB_SYSCTL_DEFAULTS = { 'net.ipv4.tcp_keepalive_time': 600 };

export interface ApplyLabOptions {
  hosts: number;
  shape?: MeshShape;
  /** First three octets of the underlay /24; by default a free one in 198.18.0.0/15 is picked. */
  underlay?: string;
  /** More `NAME='value'` lines for /etc/fortress/profile; values must not contain a single quote. */
  extraProfile?: Record<string, string>;
}

export interface CommandOutcome {
  /** -1 when the command was killed (timeout); stderr then says so. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApplyLabHost {
  name: string;
  /** This host's address on the underlay, and its ssh.address (and endpoint, for hubs and in a full mesh). */
  underlayAddress: string;
  /** Allocated by fortress (compiled in memory from the lab's topology). */
  meshAddress?: string;
  isHub: boolean;
  isDatabase: boolean;
  ns: HostNamespace;
  /** `bash -c script` inside the host's network and mount namespaces; 30 s unless told. */
  exec(script: string, options?: { timeoutMs?: number; input?: string }): Promise<CommandOutcome>;
  sshdPid: number;
  /** "ssh-ed25519 AAAA...", as in the topology's hosts.<name>.ssh.hostKey */
  hostKeyLine: string;
  /** What sshd logged (sshd -e, LogLevel VERBOSE), the last 64 KiB. */
  sshdLog(): string;
  /** Database hosts: the TCP stand-in for their service, on meshAddress:<port>. Needs the mesh up. */
  startService(): Promise<void>;
  stopService(): Promise<void>;
  /** The service's pid while it runs. */
  servicePid(): number | undefined;
}

/** What generateTopology returns as `topology`, with the lab's changes. */
export type ApplyLabTopology = ReturnType<typeof generateTopology>['topology'];

export interface ApplyLab {
  /** A temp repository: topology/topology.yaml, ready for `fortress render`. */
  dir: string;
  topologyPath: string;
  /** The object last written to topologyPath; modify a copy and pass it to writeTopology. */
  topology: ApplyLabTopology;
  /** ed25519 private key (0600) in a temp dir outside the repository; authorized for root on every host. */
  clientKeyPath: string;
  clientPublicKey: string;
  hosts: ApplyLabHost[];
  writeTopology(topology: object): void;
  /** The initial topology compiled in memory (mesh addresses, rendered files); no lock file involved. */
  compiled: Compiled;
  interfaceName: string;
  /** The root namespace's way onto the underlay. */
  underlay: RootLink;
  bridge: Bridge;
  /** known_hosts content with every host's key at its ssh address. */
  knownHosts(): string;
  host(name: string): ApplyLabHost;
  /**
   * After lab.teardown(): everything of this lab that is still there (namespaces, processes in its
   * network or mount namespaces, the root link, routes into the underlay, temp dirs). Empty when clean.
   */
  leftovers(): Promise<string[]>;
}

export async function buildApplyLab(lab: Lab, options: ApplyLabOptions): Promise<ApplyLab> {
  const shape = options.shape ?? 'hub-and-spoke';
  if (!Number.isInteger(options.hosts) || options.hosts < 2 || options.hosts > 250) throw new Error('an apply lab has 2 to 250 hosts');
  const profile = profileText({ ...LAB_PROFILE, ...options.extraProfile });
  const tempDirs: string[] = [];
  const makeTemp = (label: string) => {
    const dir = mkdtempSync(join(tmpdir(), `fortress-lab-${lab.prefix}${label}-`));
    tempDirs.push(dir);
    return dir;
  };
  // Mount points inside the hosts: removed (rmdir, never recursively) once no host holds them.
  const scratchDirs: string[] = [];
  lab.onTeardown('after-namespaces', () => {
    const failed: string[] = [];
    for (const dir of scratchDirs) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(`${dir}: ${(error as Error).message}`);
      }
    }
    if (failed.length > 0) throw new Error(`lab scratch dirs not removed: ${failed.join('; ')}`);
  });
  const namespaces: { name: string; netInode: number; mntInode?: string }[] = [];
  const servicePids: number[] = [];

  const bridge = await createBridge(lab);
  namespaces.push({ name: bridge.namespace, netInode: namespaceInode(bridge.namespace) });
  const underlay = await connectRootToBridge(lab, bridge, options.underlay);
  const underlayAddress = (index: number) => `${underlay.underlay}.${index + 1}`;

  const generated = generateTopology({ hosts: options.hosts, shape, endpoint: (_name, index) => underlayAddress(index) });
  const topology = generated.topology as ApplyLabTopology & { mesh: Record<string, unknown>; sysctl: Record<string, unknown> };
  topology.name = `apply-lab-${shape}-${options.hosts}`;
  topology.mesh.cidr = LAB_MESH_CIDR;
  topology.sysctl.defaults = { ...LAB_SYSCTL_DEFAULTS };
  const order = Object.keys(topology.hosts);
  order.forEach((name, index) => (topology.hosts[name]!.ssh = { address: underlayAddress(index), port: 22, user: 'root' }));
  const draft = compileText(stringify(topology));
  const interfaceName = draft.model.mesh.interface;

  const clientKey = await createClientKey(lab);
  tempDirs.push(clientKey.path.replace(/\/[^/]+$/, ''));

  const hosts = await settleAll(
    order.map(async (name, index): Promise<ApplyLabHost> => {
      const model = draft.model.hosts.find((h) => h.name === name);
      const privateKey = generated.privateKeys.get(name);
      if (!model || !privateKey) throw new Error(`generated host ${name} is missing from the compiled model or has no key`);
      const scratch = mkdtempSync(join(tmpdir(), `fortress-lab-${lab.prefix}h${index}-`));
      scratchDirs.push(scratch);
      const sshDir = `${scratch}/sshd`;
      const ns = await createHostNamespace(lab, `h${index}`, {
        privateDirs: [...APPLY_LAB_PRIVATE_DIRS, sshDir],
        copyOnWrite: { scratch, dirs: APPLY_LAB_COPY_ON_WRITE },
      });
      namespaces.push({ name: ns.name, netInode: namespaceInode(ns.name), mntInode: readlinkSync(`/proc/${ns.holderPid}/ns/mnt`) });
      const open = APPLY_LAB_PRIVATE_DIRS.filter((d) => !CLOSED_DIRS.has(d));
      await ns.shChecked('chmod 0755 "$@"', open);
      await connectToBridge(bridge, ns, index, `${underlayAddress(index)}/24`);
      await ns.writeFile(`/etc/wireguard/${interfaceName}.key`, `${privateKey}\n`, 0o600);
      await ns.writeFile('/etc/fortress/profile', profile, 0o644);
      const sshd = await startSshServer(lab, ns, { dir: sshDir, authorizedKeys: clientKey.publicKey });

      const isDatabase = model.roles.includes('database');
      const service = model.services[0];
      let running: TcpService | undefined;
      const exec: ApplyLabHost['exec'] = async (script, execOptions = {}) => {
        const timeoutMs = execOptions.timeoutMs ?? 30_000;
        const result = await ns.run(['bash', '-c', script], { timeoutMs, ...(execOptions.input === undefined ? {} : { input: execOptions.input }) });
        return result.code === null ? { code: -1, stdout: result.stdout, stderr: `${result.stderr}[killed: no exit within ${timeoutMs} ms]` } : { code: result.code, stdout: result.stdout, stderr: result.stderr };
      };
      return {
        name,
        underlayAddress: underlayAddress(index),
        meshAddress: model.meshAddress,
        isHub: model.isHub,
        isDatabase,
        ns,
        exec,
        sshdPid: sshd.pid,
        hostKeyLine: sshd.hostKeyLine,
        sshdLog: sshd.log,
        async startService() {
          if (!isDatabase || !service) throw new Error(`${name} is not a database host with a service`);
          if (running?.running()) return;
          running = await startTcpService(lab, ns, { address: model.meshAddress, port: service.port, banner: `${service.name} ${name}` });
          servicePids.push(running.pid);
        },
        async stopService() {
          await running?.stop();
          running = undefined;
        },
        servicePid: () => (running?.running() ? running.pid : undefined),
      };
    }),
  );

  for (const host of hosts) (topology.hosts[host.name]!.ssh as Record<string, unknown>).hostKey = host.hostKeyLine;
  const dir = makeTemp('repo');
  lab.onTeardown('after-namespaces', () => tempDirs.forEach(removeTree));
  const topologyPath = join(dir, 'topology', 'topology.yaml');
  mkdirSync(join(dir, 'topology'));
  const compiled = compileText(stringify(topology));

  const applyLab: ApplyLab = {
    dir,
    topologyPath,
    topology,
    clientKeyPath: clientKey.path,
    clientPublicKey: clientKey.publicKey,
    hosts,
    writeTopology(next) {
      writeFileSync(topologyPath, stringify(next));
      applyLab.topology = next as ApplyLabTopology;
    },
    compiled,
    interfaceName,
    underlay,
    bridge,
    knownHosts: () => hosts.map((h) => `${knownHostsLine(h.underlayAddress, h.hostKeyLine)}\n`).join(''),
    host(name) {
      const found = hosts.find((h) => h.name === name);
      if (!found) throw new Error(`no lab host ${name}; there are ${hosts.map((h) => h.name).join(', ')}`);
      return found;
    },
    async leftovers() {
      const left: string[] = [];
      const listed = (await runChecked('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0]);
      for (const { name } of namespaces) if (listed.includes(name)) left.push(`network namespace ${name}`);
      const inodes = new Set(namespaces.flatMap((n) => [`net:[${n.netInode}]`, ...(n.mntInode ? [n.mntInode] : [])]));
      const tracked = new Set([...hosts.flatMap((h) => [h.ns.holderPid, h.sshdPid]), ...servicePids]);
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        for (const kind of ['net', 'mnt']) {
          const link = readlinkOrUndefined(`/proc/${entry}/ns/${kind}`);
          if (link && inodes.has(link)) {
            left.push(`process ${entry} (${readFileOr(`/proc/${entry}/comm`, '?').trim()}${tracked.has(Number(entry)) ? ', started by the lab' : ''}) in the lab's ${link}`);
            break;
          }
        }
      }
      if (await linkExists(underlay.device)) left.push(`root-namespace link ${underlay.device}`);
      for (const route of await rootRoutesInto(underlay.underlay)) left.push(`root-namespace route ${route}`);
      for (const path of [...tempDirs, ...scratchDirs]) if (readdirOrUndefined(path)) left.push(`temp dir ${path}`);
      return left;
    },
  };
  applyLab.writeTopology(topology);
  return applyLab;
}

/** /etc/fortress/profile with these activation commands; values must not contain a single quote. */
export function profileText(variables: Record<string, string>): string {
  const lines = Object.entries(variables).map(([name, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || value.includes("'")) throw new Error(`cannot put ${name} into the profile as a single-quoted value`);
    return `${name}='${value}'`;
  });
  return `# fortress lab: activation commands for a host without systemd, sourced by fortress's remote script.\n${lines.join('\n')}\n`;
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function readFileOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function readdirOrUndefined(path: string): string[] | undefined {
  try {
    return readdirSync(path);
  } catch {
    return undefined;
  }
}
