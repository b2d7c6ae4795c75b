// The firewall lab: a topology written by the test (keys made at run time) compiled in memory, one
// lab host per topology host on a shared underlay bridge, plus an outsider on the underlay that is no
// part of the mesh (the public internet, as the hosts see it). Each host has its rendered WireGuard
// config and key, and private directories for the rest of what fortress renders (/etc/fortress,
// /etc/haproxy, /run/haproxy), inside a copy-on-write /etc, so nothing lands on this machine.
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Compiled } from '../../../src/compile.js';
import type { HostModel } from '../../../src/model/topologyModel.js';
import type { RenderedFile } from '../../../src/render/renderedFile.js';
import { compileText } from '../../support/compileExample.js';
import { connectToBridge, createBridge, type Bridge } from './bridgeNamespace.js';
import type { CommandResult } from './command.js';
import { createHostNamespace, type HostNamespace } from './hostNamespace.js';
import type { Lab } from './lab.js';
import { settleAll } from './meshLab.js';
import { installWireguard } from './wireguardHost.js';

export const FIREWALL_LAB_PRIVATE_DIRS = ['/etc/wireguard', '/run/wireguard', '/etc/fortress', '/etc/haproxy', '/run/haproxy'] as const;

export interface FirewallLabHost {
  name: string;
  isHub: boolean;
  meshAddress: string;
  underlayAddress: string;
  model: HostModel;
  ns: HostNamespace;
  /** Rendered files of this host, by their path on the host. */
  rendered: Map<string, RenderedFile>;
}

export interface FirewallLab {
  compiled: Compiled;
  interfaceName: string;
  bridge: Bridge;
  hosts: FirewallLabHost[];
  /** On the underlay only; not in the topology. */
  outsider: { ns: HostNamespace; underlayAddress: string };
  host(name: string): FirewallLabHost;
}

export interface FirewallLabOptions {
  /** The topology object; hosts are plugged into the underlay in its key order. */
  topology: { hosts: Record<string, unknown> } & Record<string, unknown>;
  privateKeys: ReadonlyMap<string, string>;
  /** host name -> underlay address in `underlay`.0/24; the outsider gets `<underlay>.200`. */
  underlayAddress: (name: string) => string;
  underlay: string;
}

export async function buildFirewallLab(lab: Lab, options: FirewallLabOptions): Promise<FirewallLab> {
  const compiled = compileText(stringify(options.topology));
  const interfaceName = compiled.model.mesh.interface;
  const order = Object.keys(options.topology.hosts);
  if (order.length > 20) throw new Error('a firewall lab has at most 20 hosts');

  // Mount points of each host's copy-on-write /etc: removed (rmdir, never recursively) once no host holds them.
  const scratchDirs: string[] = [];
  lab.onTeardown('after-namespaces', () => {
    const failed: string[] = [];
    for (const dir of scratchDirs.splice(0)) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(`${dir}: ${(error as Error).message}`);
      }
    }
    if (failed.length > 0) throw new Error(`firewall lab scratch dirs not removed: ${failed.join('; ')}`);
  });
  const makeHost = async (suffix: string) => {
    const scratch = mkdtempSync(join(tmpdir(), `fortress-lab-${lab.prefix}${suffix}-`));
    scratchDirs.push(scratch);
    return createHostNamespace(lab, suffix, { privateDirs: FIREWALL_LAB_PRIVATE_DIRS, copyOnWrite: { scratch, dirs: ['/etc'] } });
  };

  const bridge = await createBridge(lab);
  const outsiderAddress = `${options.underlay}.200`;
  const outsiderWork = (async () => {
    const ns = await makeHost('x');
    await connectToBridge(bridge, ns, 200, `${outsiderAddress}/24`);
    return ns;
  })();
  const hostsWork = settleAll(
    order.map(async (name, index): Promise<FirewallLabHost> => {
      const model = compiled.model.hosts.find((h) => h.name === name);
      const privateKey = options.privateKeys.get(name);
      if (!model || !privateKey) throw new Error(`host ${name} is missing from the compiled model or has no key`);
      const rendered = new Map(compiled.files.filter((f) => f.host === name && f.hostPath).map((f) => [f.hostPath as string, f]));
      const config = rendered.get(`/etc/wireguard/${interfaceName}.conf`);
      if (!config) throw new Error(`no rendered WireGuard config for ${name}`);
      const ns = await makeHost(`h${index}`);
      const underlayAddress = options.underlayAddress(name);
      await connectToBridge(bridge, ns, index, `${underlayAddress}/24`);
      await installWireguard(ns, { interfaceName, config: config.content, configMode: config.mode, privateKey });
      return { name, isHub: model.isHub, meshAddress: model.meshAddress, underlayAddress, model, ns, rendered };
    }),
  );
  // Both settle before either failure is thrown: teardown must not race a host still being created.
  const [outsiderSettled, hostsSettled] = await Promise.allSettled([outsiderWork, hostsWork]);
  if (outsiderSettled.status === 'rejected') throw outsiderSettled.reason;
  if (hostsSettled.status === 'rejected') throw hostsSettled.reason;
  const outsider = outsiderSettled.value;
  const labHosts = hostsSettled.value;
  return {
    compiled,
    interfaceName,
    bridge,
    hosts: labHosts,
    outsider: { ns: outsider, underlayAddress: outsiderAddress },
    host(name) {
      const found = labHosts.find((h) => h.name === name);
      if (!found) throw new Error(`no lab host ${name}; there are ${labHosts.map((h) => h.name).join(', ')}`);
      return found;
    },
  };
}

/** Writes the rendered file to its path on the host (a private directory) and loads it: `nft -f <path>`. */
export async function loadRenderedNft(host: FirewallLabHost, path = '/etc/fortress/firewall.nft'): Promise<CommandResult> {
  const file = host.rendered.get(path);
  if (!file) throw new Error(`${host.name} has no rendered ${path}`);
  await host.ns.writeFile(path, file.content, file.mode);
  return host.ns.run(['nft', '-f', path], { timeoutMs: 15_000 });
}

/** `nft -s list ruleset`: the whole ruleset of the host's network namespace, without counter values. */
export async function listRuleset(ns: HostNamespace): Promise<string> {
  return ns.shChecked('nft -s list ruleset');
}

/** `nft list tables`, one "table <family> <name>" a line. */
export async function listTables(ns: HostNamespace): Promise<string[]> {
  return (await ns.shChecked('nft list tables'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** `wg show <if> latest-handshakes` as peer public key -> unix seconds (0: never). */
export async function latestHandshakes(ns: HostNamespace, interfaceName: string): Promise<Map<string, number>> {
  const out = await ns.shChecked('wg show "$1" latest-handshakes', [interfaceName]);
  return new Map(
    out
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [key, seconds] = line.split('\t');
        return [key ?? '', Number(seconds)];
      }),
  );
}

const HAPROXY_STAT = `
const net = require('node:net');
const socket = net.connect(process.argv[1]);
let out = '';
socket.setEncoding('utf8');
socket.on('connect', () => socket.write('show stat\\n'));
socket.on('data', (chunk) => (out += chunk));
const timer = setTimeout(() => { process.stderr.write('no answer from the stats socket'); process.exit(1); }, 5000);
socket.on('end', () => { clearTimeout(timer); process.stdout.write(out); });
socket.on('error', (error) => { process.stderr.write(String(error.message)); process.exit(1); });
`;

export interface HaproxyServerStat {
  backend: string;
  server: string;
  /** UP, DOWN, "UP 1/3", ... */
  status: string;
  /** L4OK, L7OK, L4TOUT, L4CON, ... (empty before the first check) */
  checkStatus: string;
}

/** HAProxy's `show stat` over its admin socket inside the host: every server line. */
export async function haproxyServers(ns: HostNamespace, socketPath = '/run/haproxy/admin.sock'): Promise<HaproxyServerStat[]> {
  const result = await ns.run(['env', '-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, process.execPath, '-e', HAPROXY_STAT, socketPath], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`show stat on ${ns.name}: ${result.stderr.trim()}`);
  const [header, ...rows] = result.stdout.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  return rows
    .map((row) => row.split(','))
    .filter((cells) => cells[at('svname')] !== 'FRONTEND' && cells[at('svname')] !== 'BACKEND' && cells.length > 1)
    .map((cells) => ({ backend: cells[at('pxname')] ?? '', server: cells[at('svname')] ?? '', status: cells[at('status')] ?? '', checkStatus: cells[at('check_status')] ?? '' }));
}

/** `ip route add` inside a host: e.g. the outsider routing the mesh prefix at a host's underlay address. */
export async function addRoute(ns: HostNamespace, prefix: string, via: string): Promise<void> {
  await ns.shChecked('ip route add "$1" via "$2"', [prefix, via]);
}
