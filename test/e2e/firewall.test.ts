// End to end: the rendered firewall.nft, loaded with the real `nft -f` in one network namespace per
// host of a hub-and-spoke mesh (real wg-quick, wireguard-go), does what the topology says. Every
// service listens on its host's mesh address AND on its underlay address, so what keeps a connection
// out is the firewall, not where the daemon binds: clients reach their services through the mesh
// (directly, and forwarded by the hub), other hosts do not, nobody reaches a service on the underlay,
// and SSH, WireGuard, ping and HAProxy's health checks keep working. Before the firewall is loaded
// the same connections all succeed, so each refusal below is the firewall's doing. Needs root.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../bench/generateTopology.mjs';
import { requireRoot, requireTools } from '../support/tools.js';
import { runChecked, type CommandResult } from './lab/command.js';
import { addRoute, buildFirewallLab, haproxyServers, latestHandshakes, listRuleset, listTables, loadRenderedNft, type FirewallLab, type FirewallLabHost } from './lab/firewallLab.js';
import { Lab } from './lab/lab.js';
import { settleAll } from './lab/meshLab.js';
import { applyNamespacedSysctls, parseSysctlConf, readSysctl } from './lab/namespacedSysctl.js';
import { ping, waitUntilReachable } from './lab/ping.js';
import { probeTcp, type ProbeResult } from './lab/tcpProbe.js';
import { startTcpService } from './lab/tcpService.js';
import { wgQuickUp } from './lab/wireguardHost.js';

const FIREWALL = '/etc/fortress/firewall.nft';
const UNDERLAY = '198.18.9';
const SSH_PORT = 22;

// The lab's hosts. `lon-bi-1` is a client of postgres by its role, `fra-app-1` by name; `fra-web-1`
// has the same role as fra-app-1 but is no client; the hub balances postgres, which makes it a
// client of the service without being listed.
const HUB = 'oslo-hub';
const DB = 'oslo-db-1';
const APP = 'fra-app-1';
const BI = 'lon-bi-1';
const WEB = 'fra-web-1';
const HOSTS = [HUB, DB, APP, BI, WEB] as const;
type HostName = (typeof HOSTS)[number];
const OUTSIDER = 'outsider';
type From = HostName | typeof OUTSIDER;

const SERVICES = { postgres: 5432, metrics: 9100 } as const;
type Service = keyof typeof SERVICES | 'ssh';
const SERVICE_HOSTS: HostName[] = [HUB, DB];

function firewallTopology() {
  const privateKeys = new Map<string, string>();
  const underlayAddress = (name: string) => `${UNDERLAY}.${HOSTS.indexOf(name as HostName) + 1}`;
  const host = (name: HostName, site: string, roles: string[]) => {
    const keys = generateKeyPair();
    privateKeys.set(name, keys.privateKey);
    return {
      site,
      roles,
      ...(roles.includes('hub') && { endpoint: underlayAddress(name) }),
      publicKey: keys.publicKey,
      ssh: { address: underlayAddress(name), port: SSH_PORT, user: 'root' },
    };
  };
  const topology = {
    version: 1,
    name: 'firewall-lab',
    mesh: { cidr: '10.100.0.0/24', shape: 'hub-and-spoke' },
    sites: {
      oslo: { provider: 'coolvds', region: 'oslo', country: 'NO' },
      frankfurt: { provider: 'aws', region: 'eu-central-1', country: 'DE' },
      london: { provider: 'gcp', region: 'europe-west2', country: 'GB' },
    },
    hosts: {
      [HUB]: host(HUB, 'oslo', ['hub', 'loadbalancer']),
      [DB]: host(DB, 'oslo', ['database']),
      [APP]: host(APP, 'frankfurt', ['app']),
      [BI]: host(BI, 'london', ['analytics']),
      [WEB]: host(WEB, 'frankfurt', ['app']),
    },
    services: {
      postgres: { port: SERVICES.postgres, hosts: SERVICE_HOSTS, clients: [APP, 'role:analytics'] },
      // No clients: open to every host of the mesh.
      metrics: { port: SERVICES.metrics, hosts: SERVICE_HOSTS },
    },
    loadBalancers: {
      edge: {
        hosts: [HUB],
        frontends: [{ name: 'db', bind: '127.0.0.1:6432', backend: 'database_nodes' }],
        backends: { database_nodes: { mode: 'tcp', check: { interval: '1s', rise: 1, fall: 1 }, servers: [{ host: DB, service: 'postgres' }] } },
      },
    },
  };
  return { topology, privateKeys, underlayAddress };
}

interface Live {
  lab?: FirewallLab;
  /** The matrix probed before any firewall was loaded. */
  baseline: ProbeResult[];
  /** `nft -f` of each host's file, the first time. */
  loaded: Map<string, CommandResult>;
  /** Whether lon-bi-1's mesh interface existed when its file was loaded (it must not: boot order). */
  biInterfaceAtLoad?: CommandResult;
  /** lon-bi-1's wg-quick up, after its firewall and the hub's were loaded. */
  biUp?: CommandResult;
  /** Unix seconds just before the first firewall was loaded. */
  loadedAt: number;
  /** `nft -s list table ip lab_operator` before any fortress file was loaded, by host. */
  operatorTable: Map<string, string>;
  haproxyStart?: CommandResult;
}

const OPERATOR_TABLE = `table ip lab_operator {
  set watch { type ipv4_addr; elements = { 192.0.2.99 } }
  chain input {
    type filter hook input priority 10; policy accept;
    ip saddr @watch counter
  }
}
`;

interface Expectation {
  from: From;
  to: HostName;
  service: Service;
  /** mesh: the host's mesh address over the tunnel; underlay: its underlay address; routed: its mesh address, routed over the underlay. */
  via: 'mesh' | 'underlay' | 'routed';
  open: boolean;
  why: string;
}

/** What a user of the mesh sees: who connects where, and whether they get in. */
const MATRIX: Expectation[] = [
  // postgres, clients [fra-app-1, role:analytics] (+ the hub, which balances it)
  { from: APP, to: HUB, service: 'postgres', via: 'mesh', open: true, why: 'client by name, direct to the hub' },
  { from: APP, to: DB, service: 'postgres', via: 'mesh', open: true, why: 'client by name, forwarded by the hub' },
  { from: BI, to: HUB, service: 'postgres', via: 'mesh', open: true, why: 'client by role, direct to the hub' },
  { from: BI, to: DB, service: 'postgres', via: 'mesh', open: true, why: 'client by role, forwarded by the hub' },
  { from: HUB, to: DB, service: 'postgres', via: 'mesh', open: true, why: 'the hub balances postgres: a client without being listed' },
  { from: WEB, to: HUB, service: 'postgres', via: 'mesh', open: false, why: 'not a client (same role as a client), direct to the hub' },
  { from: WEB, to: DB, service: 'postgres', via: 'mesh', open: false, why: 'not a client, through the hub' },
  { from: DB, to: HUB, service: 'postgres', via: 'mesh', open: false, why: 'a server of postgres is not its client' },
  // metrics, no clients: the whole mesh
  ...HOSTS.filter((h) => h !== HUB).map((from): Expectation => ({ from, to: HUB, service: 'metrics', via: 'mesh', open: true, why: 'open service, direct to the hub' })),
  ...HOSTS.filter((h) => h !== DB).map((from): Expectation => ({ from, to: DB, service: 'metrics', via: 'mesh', open: true, why: from === HUB ? 'open service, from the hub' : 'open service, forwarded by the hub' })),
  // nobody on the underlay, not even a client, nor via the mesh address routed over the underlay
  ...SERVICE_HOSTS.flatMap((to) =>
    (['postgres', 'metrics'] as const).flatMap((service): Expectation[] => [
      { from: OUTSIDER, to, service, via: 'underlay', open: false, why: 'the internet, at the underlay address' },
      { from: APP, to, service, via: 'underlay', open: false, why: 'a client, but at the underlay address' },
      { from: OUTSIDER, to, service, via: 'routed', open: false, why: 'the mesh address, routed over the underlay (AllowedIPs are no access control)' },
    ]),
  ),
  { from: HUB, to: DB, service: 'postgres', via: 'underlay', open: false, why: 'the hub, a client, but at the underlay address' },
  { from: HUB, to: DB, service: 'metrics', via: 'underlay', open: false, why: 'the hub, at the underlay address' },
  // SSH is never blocked
  ...HOSTS.map((host): Expectation => ({ from: OUTSIDER, to: host, service: 'ssh', via: 'underlay', open: true, why: 'the controller at ssh.address' })),
  { from: WEB, to: HUB, service: 'ssh', via: 'mesh', open: true, why: 'SSH over the mesh to the hub' },
  { from: HUB, to: WEB, service: 'ssh', via: 'mesh', open: true, why: 'SSH over the mesh from the hub' },
];

function portOf(service: Service): number {
  return service === 'ssh' ? SSH_PORT : SERVICES[service];
}

function bannerOf(service: Service, host: string, via: Expectation['via']): string {
  if (service === 'ssh') return `SSH-2.0-lab ${host}`;
  return `${service} ${host} ${via === 'underlay' ? 'underlay' : 'mesh'}`;
}

function label(e: Expectation): string {
  return `${e.from} -> ${e.service}@${e.to} (${e.via}): ${e.why}`;
}

describe('firewall lab: hub-and-spoke, the rendered firewall.nft loaded with the real nft in network namespaces', { timeout: 60_000 }, () => {
  const lab = new Lab(`ff${process.pid}`.slice(0, 12));
  const live: Live = { baseline: [], loaded: new Map(), loadedAt: 0, operatorTable: new Map() };
  const labOf = () => {
    if (!live.lab) throw new Error('the lab did not come up; see beforeAll');
    return live.lab;
  };
  const nsOf = (name: From) => (name === OUTSIDER ? labOf().outsider.ns : labOf().host(name).ns);
  const addressOf = (e: Expectation) => {
    const host = labOf().host(e.to);
    return e.via === 'underlay' ? host.underlayAddress : host.meshAddress;
  };

  /** Probes every expectation, in parallel per source host; open ones that fail get up to two more tries. */
  async function probeMatrix(matrix: readonly Expectation[], timeoutMs = 1_500): Promise<ProbeResult[]> {
    const sources = [...new Set(matrix.map((e) => e.from))];
    const results = new Map<Expectation, ProbeResult>();
    await settleAll(
      sources.map(async (from) => {
        const mine = matrix.filter((e) => e.from === from);
        const first = await probeTcp(nsOf(from), mine.map((e) => ({ address: addressOf(e), port: portOf(e.service) })), timeoutMs);
        mine.forEach((e, i) => results.set(e, first[i]!));
      }),
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      const retry = matrix.filter((e) => e.open && results.get(e)?.outcome !== 'open');
      if (retry.length === 0) break;
      await settleAll(
        retry.map(async (e) => {
          const [again] = await probeTcp(nsOf(e.from), [{ address: addressOf(e), port: portOf(e.service) }], 3_000);
          results.set(e, again!);
        }),
      );
    }
    return matrix.map((e) => results.get(e)!);
  }

  function expectMatrix(matrix: readonly Expectation[], results: readonly ProbeResult[]): void {
    const wrong = matrix
      .map((e, i) => ({ e, r: results[i]! }))
      .filter(({ e, r }) => (e.open ? r.outcome !== 'open' || r.banner !== bannerOf(e.service, e.to, e.via) : r.outcome === 'open'))
      .map(({ e, r }) => `${label(e)}: expected ${e.open ? 'open' : 'blocked'}, got ${r.outcome}${r.banner ? ` "${r.banner}"` : ''}${r.code ? ` ${r.code}` : ''} after ${r.ms} ms`);
    expect(wrong, `${wrong.length} of ${matrix.length} connections wrong`).toEqual([]);
  }

  beforeAll(async () => {
    requireRoot();
    requireTools('ip', 'nft', 'wg', 'wg-quick', 'wireguard-go', 'ping', 'unshare', 'nsenter', 'sysctl', 'findmnt', 'haproxy');
    try {
      const { topology, privateKeys, underlayAddress } = firewallTopology();
      const fw = await buildFirewallLab(lab, { topology, privateKeys, underlayAddress, underlay: UNDERLAY });
      live.lab = fw;

      // The mesh, as the WireGuard lab brings it up: rendered sysctl, then wg-quick.
      await settleAll(
        fw.hosts.map(async (host) => {
          await applyNamespacedSysctls(host.ns, parseSysctlConf(renderedContent(host, '/etc/sysctl.d/90-fortress.conf')));
          const up = await wgQuickUp(host.ns, fw.interfaceName);
          if (up.code !== 0) throw new Error(`wg-quick up on ${host.name}: ${up.stderr}`);
        }),
      );

      // A listener per service on the mesh address and on the underlay address; SSH on every address.
      await settleAll(
        fw.hosts.flatMap((host) => [
          ...host.model.services.flatMap((service) =>
            (['mesh', 'underlay'] as const).map((via) =>
              startTcpService(lab, host.ns, { address: via === 'mesh' ? host.meshAddress : host.underlayAddress, port: service.port, banner: bannerOf(service.name as Service, host.name, via) }),
            ),
          ),
          startTcpService(lab, host.ns, { address: '0.0.0.0', port: SSH_PORT, banner: bannerOf('ssh', host.name, 'underlay') }),
        ]),
      );

      // Every tunnel has handshaken before the baseline: spokes to the hub, and spoke to spoke.
      const hub = fw.host(HUB);
      const spokes = fw.hosts.filter((h) => !h.isHub);
      await settleAll(spokes.map((s, i) => waitUntilReachable(s.ns, spokes[(i + 1) % spokes.length]!.meshAddress)));
      await settleAll(spokes.map((s) => waitUntilReachable(s.ns, hub.meshAddress)));
      for (const host of SERVICE_HOSTS) await addRoute(fw.outsider.ns, `${fw.host(host).meshAddress}/32`, fw.host(host).underlayAddress);
      live.baseline = await probeMatrix(MATRIX);

      // A table of the operator's own, there before fortress's.
      for (const host of fw.hosts) {
        await host.ns.shChecked('nft -f -', [], { input: OPERATOR_TABLE });
        live.operatorTable.set(host.name, await host.ns.shChecked('nft -s list table ip lab_operator'));
      }

      // Load every host's file. lon-bi-1 loads it the way a host boots: before its mesh interface exists.
      live.loadedAt = Math.floor(Date.now() / 1000) - 1;
      const bi = fw.host(BI);
      const down = await bi.ns.run(['wg-quick', 'down', fw.interfaceName], { timeoutMs: 20_000 });
      if (down.code !== 0) throw new Error(`wg-quick down on ${BI}: ${down.stderr}`);
      live.biInterfaceAtLoad = await bi.ns.run(['ip', 'link', 'show', fw.interfaceName]);
      await settleAll(fw.hosts.map(async (host) => live.loaded.set(host.name, await loadRenderedNft(host, FIREWALL))));
      live.biUp = await wgQuickUp(bi.ns, fw.interfaceName);

      // HAProxy on the hub, with its rendered config; checked once the matrix has run.
      const cfg = hub.rendered.get('/etc/haproxy/haproxy.cfg');
      if (cfg) {
        await hub.ns.writeFile('/etc/haproxy/haproxy.cfg', cfg.content, cfg.mode);
        live.haproxyStart = await hub.ns.run(['haproxy', '-D', '-p', '/run/haproxy/haproxy.pid', '-f', '/etc/haproxy/haproxy.cfg'], { timeoutMs: 15_000 });
      }
    } catch (error) {
      await lab.teardown();
      throw error;
    }
  }, 60_000);

  afterAll(async () => {
    const names = [...lab.namespaceNames()];
    await lab.teardown();
    const listed = (await runChecked('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0]);
    expect(listed.filter((name) => names.includes(name ?? ''))).toEqual([]);
  }, 30_000);

  test('without the firewall every one of these connections succeeds (so each refusal below is the firewall)', () => {
    expectMatrix(
      MATRIX.map((e) => ({ ...e, open: true })),
      live.baseline,
    );
  });

  test('every host loads its rendered file with nft -f: one table inet fortress, next to the operator\'s table', async () => {
    const fw = labOf();
    for (const host of fw.hosts) {
      const result = live.loaded.get(host.name);
      expect(result?.code, `${host.name}: ${result?.stderr}`).toBe(0);
      const tables = await listTables(host.ns);
      expect(tables, host.name).toContain('table inet fortress');
      expect(tables, host.name).toContain('table ip lab_operator');
      expect(await host.ns.shChecked('nft -s list table ip lab_operator'), host.name).toBe(live.operatorTable.get(host.name));
    }
    // lon-bi-1 loaded it before wg-quick created its interface, as at boot, and came up after.
    expect(live.biInterfaceAtLoad?.code, 'the mesh interface of lon-bi-1 existed at load time').not.toBe(0);
    expect(live.biUp?.code, live.biUp?.stderr).toBe(0);
  });

  test('loading the file a second time changes nothing; a chain added since vanishes; the operator\'s table survives', async () => {
    const fw = labOf();
    await settleAll(
      fw.hosts.map(async (host) => {
        const before = await listRuleset(host.ns);
        const again = await loadRenderedNft(host, FIREWALL);
        expect(again.code, `${host.name}: ${again.stderr}`).toBe(0);
        expect(await listRuleset(host.ns), host.name).toBe(before);
        // Replaced, not flushed: a chain the file does not have (an older version's) is gone after a load.
        await host.ns.shChecked('nft add chain inet fortress lab_stale');
        const third = await loadRenderedNft(host, FIREWALL);
        expect(third.code, `${host.name}: ${third.stderr}`).toBe(0);
        const after = await listRuleset(host.ns);
        expect(after, host.name).not.toContain('lab_stale');
        expect(after, host.name).toBe(before);
        expect(await host.ns.shChecked('nft -s list table ip lab_operator'), host.name).toBe(live.operatorTable.get(host.name));
      }),
    );
  });

  test('the matrix: clients get in through the mesh, directly and via the hub; nobody else, and nobody on the underlay', async () => {
    const results = await probeMatrix(MATRIX);
    expectMatrix(MATRIX, results);
    const blocked = results.filter((_, i) => !MATRIX[i]!.open);
    console.info(`firewall matrix: ${results.length} connections, ${results.length - blocked.length} open, ${blocked.length} blocked (${[...new Set(blocked.map((r) => r.outcome))].join(', ')})`);
    // Not asserted (the contract leaves it open): SSH from one spoke to another, through the hub's forward chain.
    const [sshAcross] = await probeTcp(nsOf(WEB), [{ address: labOf().host(DB).meshAddress, port: SSH_PORT }]);
    console.info(`SSH ${WEB} -> ${DB} over the mesh (forwarded by the hub): ${sshAcross?.outcome}`);
  });

  test('ping works through the tunnel: spokes to the hub, the hub to spokes, spoke to spoke through the hub', async () => {
    const fw = labOf();
    const hub = fw.host(HUB);
    const spokes = fw.hosts.filter((h) => !h.isHub);
    const pairs: [FirewallLabHost, FirewallLabHost][] = [
      ...spokes.map((s): [FirewallLabHost, FirewallLabHost] => [s, hub]),
      ...spokes.map((s): [FirewallLabHost, FirewallLabHost] => [hub, s]),
      ...spokes.map((s, i): [FirewallLabHost, FirewallLabHost] => [s, spokes[(i + 1) % spokes.length]!]),
    ];
    const pings = await settleAll(pairs.map(([from, to]) => ping(from.ns, to.meshAddress)));
    const names = pairs.map(([from, to]) => `${from.name} -> ${to.name}`);
    expect(pings.map((p, i) => `${names[i]}: ${p.code}`)).toEqual(names.map((n) => `${n}: 0`));
  });

  test('WireGuard keeps handshaking: a spoke that came up after the firewalls handshook through them', async () => {
    const fw = labOf();
    const hub = fw.host(HUB);
    const bi = fw.host(BI);
    const now = Math.floor(Date.now() / 1000);
    const atHub = await latestHandshakes(hub.ns, fw.interfaceName);
    expect(atHub.size).toBe(HOSTS.length - 1);
    for (const spoke of fw.hosts.filter((h) => !h.isHub)) {
      const at = atHub.get(spoke.model.publicKey) ?? 0;
      expect(now - at, `${HUB} <-> ${spoke.name}: last handshake ${now - at} s ago`).toBeLessThan(180);
    }
    // lon-bi-1's interface is younger than every firewall: its session with the hub is new.
    expect(atHub.get(bi.model.publicKey), `${HUB}'s handshake with ${BI}`).toBeGreaterThanOrEqual(live.loadedAt);
    const atBi = await latestHandshakes(bi.ns, fw.interfaceName);
    expect(atBi.get(hub.model.publicKey), `${BI}'s handshake with ${HUB}`).toBeGreaterThanOrEqual(live.loadedAt);
    expect(await readSysctl(hub.ns, 'net.ipv4.ip_forward')).toBe('1');
  });

  test("HAProxy on the hub sees its postgres server up through both firewalls", async () => {
    const hub = labOf().host(HUB);
    expect(live.haproxyStart?.code, live.haproxyStart?.stderr).toBe(0);
    let servers = await haproxyServers(hub.ns);
    for (let i = 0; i < 40 && !servers.every((s) => /^L[47]OK$/.test(s.checkStatus)); i++) {
      await sleep(250);
      servers = await haproxyServers(hub.ns);
    }
    expect(servers.map((s) => `${s.backend}/${s.server}: ${s.status} ${s.checkStatus}`)).toEqual([`database_nodes/${DB}: UP ${servers[0]?.checkStatus}`]);
    expect(servers[0]?.checkStatus).toMatch(/^L[47]OK$/);
  });

  // Last: it takes the database's own firewall away for a moment.
  test("the hub enforces the ACL by itself: with the database's table gone, a non-client still cannot get through the hub", async () => {
    const fw = labOf();
    const db = fw.host(DB);
    await db.ns.shChecked('nft delete table inet fortress');
    try {
      const matrix = MATRIX.filter((e) => e.to === DB && e.via === 'mesh' && e.from !== HUB);
      expectMatrix(matrix, await probeMatrix(matrix));
    } finally {
      const restored = await loadRenderedNft(db, FIREWALL);
      expect(restored.code, restored.stderr).toBe(0);
    }
  });
});

function renderedContent(host: FirewallLabHost, path: string): string {
  const file = host.rendered.get(path);
  if (!file) throw new Error(`${host.name} has no rendered ${path}`);
  return file.content;
}
