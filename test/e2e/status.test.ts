// fortress status against the apply lab: network namespaces with sshd, wireguard-go, HAProxy, nftables
// and a database stand-in, converged by a real `fortress apply`. First every host is clean; then one
// fault of each kind at once, each named; then an apply, which fixes the drift on files and nothing
// else (status says what is left); then the rest put right by hand, and status is clean again.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../bench/generateTopology.mjs';
import type { StatusReport } from '../../src/status/statusReport.js';
import { readExposition, sampleValue, summarySeries } from '../status/exposition.js';
import { requireRoot, requireTools } from '../support/tools.js';
import { buildApplyLab, LAB_HAPROXY_STOP, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { Lab } from './lab/lab.js';
import { labCli } from './lab/labCli.js';
import { wireguardGoPids } from './lab/wireguardHost.js';

const lab = new Lab(`fs${process.pid}`);
let fleet: ApplyLab;
const { fortress, apply, status } = labCli(() => fleet);

let hub: ApplyLabHost;
let database: ApplyLabHost;
let balancer: ApplyLabHost;
let spoke: ApplyLabHost;
let far: ApplyLabHost;

const sh = async (h: ApplyLabHost, script: string) => (await h.exec(script)).stdout.trim();
const hostIn = (report: StatusReport, h: ApplyLabHost) => report.hosts.find((r) => r.host === h.name)!;
const codes = (report: StatusReport, h: ApplyLabHost) => hostIn(report, h).problems.map((p) => p.code);
/** The private keys of every host: none may appear in anything status prints. */
let privateKeys: string[] = [];

/** Polls the load balancer's status until every HAProxy server satisfies `want`, bounded. */
async function untilServers(want: (server: { server: string; up: boolean }) => boolean, seconds = 25): Promise<StatusReport> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const { report } = await status('--hosts', balancer.name, '--samples', '1');
    const servers = hostIn(report, balancer).haproxy?.servers ?? [];
    if ((servers.length > 0 && servers.every(want)) || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'haproxy', 'wg', 'wg-quick', 'wireguard-go', 'nsenter', 'unshare', 'nft', 'perl');
  fleet = await buildApplyLab(lab, { hosts: 5, extraProfile: { FORTRESS_HAPROXY_STOP: LAB_HAPROXY_STOP } });
  hub = fleet.hosts.find((h) => h.isHub)!;
  database = fleet.hosts.find((h) => h.isDatabase && !h.isHub)!;
  balancer = fleet.hosts.find((h) => (fleet.topology.hosts[h.name]!.roles as string[]).includes('loadbalancer'))!;
  [spoke, far] = fleet.hosts.filter((h) => !h.isDatabase && h !== balancer) as [ApplyLabHost, ApplyLabHost];
  expect((await fortress('render')).code).toBe(0);
  const first = await apply();
  expect(first.code, first.log).toBe(0);
  await hub.startService();
  await database.startService();
  privateKeys = await Promise.all(fleet.hosts.map((h) => sh(h, 'cat /etc/wireguard/wg0.key')));
}, 180_000);

afterAll(async () => {
  await lab.teardown();
  if (fleet) expect(await fleet.leftovers()).toEqual([]);
}, 60_000);

function expectNoSecrets(...outputs: string[]) {
  for (const key of privateKeys) for (const output of outputs) expect(output).not.toContain(key);
}

describe('fortress status in the lab', () => {
  test('after a first converge: every host up, nothing drifted, fresh handshakes, a round trip through every tunnel', async () => {
    // HAProxy counts a server up after rise 3 x inter 2s.
    await untilServers((s) => s.up);
    const run = await status();
    expect(run.code, JSON.stringify(run.report, null, 2)).toBe(0);
    const { report } = run;
    expect(report).toMatchObject({ version: 1, ok: true, samples: 5, renderedUpToDate: true, summary: { hosts: 5, ok: 5, unreachable: 0, drifted: 0, tunnelDown: 0, warnings: 0 } });
    for (const h of report.hosts) {
      expect(h, h.host).toMatchObject({ reachable: true, ok: true, problems: [], firewall: { state: 'equal', differences: [] }, lastTransaction: { outcome: 'applied', running: false } });
      expect(h.files.length).toBeGreaterThanOrEqual(4);
      expect(h.files.every((f) => f.state === 'ok')).toBe(true);
      expect(h.wireguard!.state).toBe('up');
      for (const peer of h.wireguard!.peers) {
        expect(peer.state).toBe('ok');
        // Every host was reached through its tunnel during apply's verify, a minute ago at most.
        expect(peer.handshakeAgeSeconds).toBeLessThan(120);
        expect(peer.rxBytes! + peer.txBytes!).toBeGreaterThan(0);
      }
    }
    expect(hostIn(report, hub).tunnel).toBeUndefined();
    expect(hostIn(report, hub).wireguard!.peers.map((p) => p.name).sort()).toEqual(fleet.hosts.filter((h) => h !== hub).map((h) => h.name).sort());
    for (const h of [database, balancer, spoke, far]) {
      const tunnel = hostIn(report, h).tunnel!;
      expect(tunnel).toMatchObject({ to: hub.name, address: hub.meshAddress, port: 22, up: true });
      expect(tunnel.samples).toHaveLength(5);
      const s = tunnel.statistics!;
      expect(s.min).toBeGreaterThan(0);
      expect(s.min).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.max);
      expect(s.max).toBeLessThan(0.5);
      expect(s.jitter).toBeGreaterThanOrEqual(0);
    }
    expect(hostIn(report, balancer).haproxy).toMatchObject({
      socket: '/run/haproxy/admin.sock',
      servers: [
        { backend: 'database_nodes', server: hub.name, status: 'UP', up: true, backup: false },
        { backend: 'database_nodes', server: database.name, status: 'UP', up: true, backup: true },
      ],
    });

    const text = await fortress('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\n5 hosts: 5 ok; 0 warnings\n$/);
    expect(text.stdout).toContain(`\n${hub.name} (hub): OK\n`);
    const metrics = await fortress('status', '--format', 'prometheus', '--samples', '3');
    expect(metrics.code).toBe(0);
    const families = readExposition(metrics.stdout);
    for (const h of fleet.hosts) expect(sampleValue(families, 'fortress_host_up', { host: h.name })).toBe(1);
    for (const h of fleet.hosts.filter((h) => h !== hub)) {
      const rtt = summarySeries(metrics.stdout, 'fortress_tunnel_rtt_seconds', { host: h.name })!;
      expect(rtt.count, h.name).toBe(3);
      expect(rtt.quantiles['0']).toBeGreaterThan(0);
      expect(rtt.quantiles['0']).toBeLessThanOrEqual(rtt.quantiles['0.5']!);
      expect(rtt.quantiles['0.5']).toBeLessThanOrEqual(rtt.quantiles['1']!);
      expect(sampleValue(families, 'fortress_tunnel_jitter_seconds', { host: h.name })).toBeGreaterThanOrEqual(0);
    }
    expect(summarySeries(metrics.stdout, 'fortress_tunnel_rtt_seconds', { host: hub.name })).toBeUndefined();
    expect(sampleValue(families, 'fortress_peer_handshake_age_seconds', { host: spoke.name, peer: hub.name })).toBeLessThan(120);
    expect(sampleValue(families, 'fortress_backend_up', { lb: balancer.name, backend: 'database_nodes', server: hub.name })).toBe(1);
    expect(sampleValue(families, 'fortress_firewall_drift', { host: balancer.name })).toBe(0);
    expect(sampleValue(families, 'fortress_host_drift', { host: spoke.name, file: '/etc/wireguard/wg0.conf' })).toBe(0);
    expectNoSecrets(JSON.stringify(report), text.stdout, text.stderr, metrics.stdout);
  }, 120_000);

  test('a hand edit, a stopped wireguard-go, a stopped database, an unreachable host, a live peer and rule: each named, exit 1', async () => {
    await sh(database, "echo 'net.ipv4.tcp_fin_timeout = 42' >> /etc/sysctl.d/90-fortress.conf");
    const daemons = await wireguardGoPids(spoke.ns);
    expect(daemons.length).toBe(1);
    for (const pid of daemons) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && (await sh(spoke, '[ -e /sys/class/net/wg0 ] && echo up')) === 'up'; i++) await new Promise((r) => setTimeout(r, 100));
    await hub.stopService();
    await sh(far, 'ip link set eth0 down');
    const stranger = generateKeyPair().publicKey;
    await sh(hub, `wg set wg0 peer ${stranger} allowed-ips 10.99.0.250/32`);
    await sh(balancer, 'nft add rule inet fortress input tcp dport 9999 drop');
    // fall 2 x inter 2s before HAProxy counts the primary down.
    await untilServers((s) => s.server !== hub.name || !s.up);

    const { code, report } = await status();
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.summary).toMatchObject({ hosts: 5, ok: 0, unreachable: 1, drifted: 3, tunnelDown: 1 });
    expect(hostIn(report, far)).toMatchObject({ reachable: false, unreachable: true, problems: [{ code: 'FT540', severity: 'error', kind: 'unreachable' }] });
    expect(hostIn(report, far).problems[0]!.message).toMatch(/^cannot connect: /);

    expect(hostIn(report, database)).toMatchObject({ drifted: true, tunnelDown: false });
    expect(hostIn(report, database).problems).toEqual([{ code: 'FT541', severity: 'error', kind: 'drift', message: '/etc/sysctl.d/90-fortress.conf differs from rendered/ (changed on the host, or not applied)' }]);
    expect(hostIn(report, database).files.find((f) => f.path === '/etc/sysctl.d/90-fortress.conf')!.state).toBe('changed');

    expect(hostIn(report, spoke)).toMatchObject({ tunnelDown: true, drifted: false, wireguard: { state: 'down', peers: [] }, tunnel: { up: false, samples: [] } });
    expect(hostIn(report, spoke).problems).toEqual([{ code: 'FT545', severity: 'error', kind: 'tunnel', message: 'wg0 is not up' }]);

    expect(codes(report, hub)).toEqual(['FT543']);
    expect(hostIn(report, hub).problems[0]!.message).toBe(`peer ${stranger} is on wg0 but not in rendered/`);
    expect(hostIn(report, hub).wireguard!.peers.find((p) => p.state === 'extra')).toMatchObject({ publicKey: stranger, allowedIps: ['10.99.0.250/32'], handshakeAgeSeconds: null });

    const lb = hostIn(report, balancer);
    expect(lb.problems.map((p) => [p.code, p.severity])).toEqual([['FT544', 'error'], ['FT547', 'warning']]);
    expect(lb.problems.find((p) => p.code === 'FT547')!.message).toMatch(new RegExp(`^HAProxy server database_nodes/${hub.name} is DOWN`));
    expect(lb.firewall).toMatchObject({ state: 'different', differences: ['+ tcp dport 9999 drop'] });
    expect(lb.haproxy!.servers.find((s) => s.server === hub.name)).toMatchObject({ up: false });

    const metrics = await fortress('status', '--format', 'prometheus');
    expect(metrics.code).toBe(1);
    const families = readExposition(metrics.stdout);
    expect(sampleValue(families, 'fortress_host_up', { host: far.name })).toBe(0);
    expect(families.flatMap((f) => f.metrics).filter((m) => m.labels?.host === far.name || m.labels?.lb === far.name)).toHaveLength(1);
    expect(sampleValue(families, 'fortress_host_drift', { host: database.name, file: '/etc/sysctl.d/90-fortress.conf' })).toBe(1);
    expect(sampleValue(families, 'fortress_host_drift', { host: database.name, file: '/etc/wireguard/wg0.conf' })).toBe(0);
    expect(sampleValue(families, 'fortress_tunnel_up', { host: spoke.name })).toBe(0);
    expect(summarySeries(metrics.stdout, 'fortress_tunnel_rtt_seconds', { host: spoke.name })).toBeUndefined();
    expect(sampleValue(families, 'fortress_backend_up', { lb: balancer.name, backend: 'database_nodes', server: hub.name })).toBe(0);
    expect(sampleValue(families, 'fortress_backend_up', { lb: balancer.name, backend: 'database_nodes', server: database.name })).toBe(1);
    expect(sampleValue(families, 'fortress_firewall_drift', { host: balancer.name })).toBe(1);
    expect(sampleValue(families, 'fortress_peer_handshake_age_seconds', { host: hub.name, peer: stranger })).toBe(Infinity);

    // Text: the unreachable host first, then the other hosts with errors, each table with its problems first.
    const text = await fortress('status');
    expect(text.code).toBe(1);
    const blocks = text.stdout.split('\n\n').slice(0, -1);
    expect(blocks[0]).toMatch(new RegExp(`^\\n?${far.name}: UNREACHABLE\\n  check  +state  +detail\\n  FT540  +error  +cannot connect: `));
    // Within a rank, hubs first, then by name.
    expect(blocks.map((b) => b.trim().split(':')[0])).toEqual([far.name, `${hub.name} (hub)`, ...[database, balancer, spoke].map((h) => h.name).sort()]);
    expect(text.stdout).toMatch(/\n5 hosts: 0 ok, 1 unreachable, 3 drifted, 1 with the tunnel down; 1 warning\n$/);
    const markdown = await fortress('status', '--format', 'markdown');
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toMatch(/^### fortress status\n\n\*\*Needs attention\*\*: 5 hosts: 0 ok, 1 unreachable, 3 drifted, 1 with the tunnel down; 1 warning\.\n/);
    expect(markdown.stdout).toContain(`| ${far.name} | unreachable | - | - | **FT540** cannot connect: `);
    expectNoSecrets(JSON.stringify(report), text.stdout, metrics.stdout, markdown.stdout);
  }, 120_000);

  test('apply fixes the drift on files; status then names what apply cannot fix, and is clean once that is put right by hand', async () => {
    const applied = await apply();
    expect(applied.code).toBe(1); // the unreachable host
    expect(applied.report.hosts.find((h) => h.host === database.name)).toMatchObject({ result: 'applied', changedFiles: ['/etc/sysctl.d/90-fortress.conf'] });

    const after = await status();
    expect(after.code).toBe(1);
    expect(hostIn(after.report, database)).toMatchObject({ ok: true, problems: [] });
    // What apply does not touch: it installs files that differ, and these files do not.
    expect(codes(after.report, far)).toEqual(['FT540']); // still unreachable
    expect(codes(after.report, spoke)).toEqual(['FT545']); // the interface apply found down and its file unchanged
    expect(codes(after.report, hub)).toEqual(['FT543']); // a peer added live
    expect(codes(after.report, balancer)).toEqual(['FT544', 'FT547']); // a rule added live, and a service apply does not manage

    await sh(far, 'ip link set eth0 up');
    expect((await spoke.exec('wg-quick up wg0')).code).toBe(0);
    await sh(hub, `wg set wg0 peer ${hostIn(after.report, hub).wireguard!.peers.find((p) => p.state === 'extra')!.publicKey} remove`);
    await sh(balancer, 'nft -f /etc/fortress/firewall.nft');
    await hub.startService();
    await untilServers((s) => s.up);

    const clean = await status();
    expect(clean.code, JSON.stringify(clean.report.hosts.map((h) => [h.host, h.problems]))).toBe(0);
    expect(clean.report.summary).toMatchObject({ hosts: 5, ok: 5, warnings: 0 });
    expect(hostIn(clean.report, spoke).tunnel!.up).toBe(true);
  }, 180_000);
});
