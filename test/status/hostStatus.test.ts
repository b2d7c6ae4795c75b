import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { PlannedFile } from '../../src/apply/hostPlan.js';
import { parseHostObservation } from '../../src/status/hostObservation.js';
import { comparePeers, endpointMatches, hostStatus, hostVerdict, isServerUp, unreachableHost } from '../../src/status/hostStatus.js';
import type { StatusTarget } from '../../src/status/statusTargets.js';

const HUB = '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=';
const OTHER = '8xLtNVWHeVTAkyrszH/6CLt8tMOSPV8kUreHa4ZFuCo=';
const STRANGER = 'WvX7Den7bMFC1Fse4auMeDXVAix1Q2lY+mavuhgFR0c=';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (hostPath: string, reload: PlannedFile['reload'], content: string): PlannedFile => ({ path: `hosts/s${hostPath}`, hostPath, mode: '0644', reload, content, sha256: sha(content) });

const files = [file('/etc/wireguard/wg0.conf', 'wireguard', 'wg'), file('/etc/sysctl.d/90-fortress.conf', 'sysctl', 'a = 1\n'), file('/etc/fortress/firewall.nft', 'firewall', 'table')];
const spoke: StatusTarget = {
  job: { host: 'spoke', isHub: false, publicKey: OTHER, meshAddress: '10.0.0.2', interfaceName: 'wg0', files, ssh: { address: '192.0.2.2', port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' } },
  peers: [{ name: 'hub', publicKey: HUB, allowedIps: ['10.0.0.0/24'], endpoint: '192.0.2.1:51820', persistentKeepalive: 25 }],
  firewall: 'table',
  tunnel: { host: 'hub', address: '10.0.0.1', port: 22 },
};
const balancer: StatusTarget = {
  ...spoke,
  job: { ...spoke.job, host: 'lb', files: [...files, file('/etc/haproxy/haproxy.cfg', 'haproxy', 'global\n')] },
  haproxy: { socket: '/run/haproxy/admin.sock', servers: [{ backend: 'db', server: 'one', backup: false }, { backend: 'db', server: 'two', backup: true }] },
};

/** What a healthy spoke reports, with lines replaced or added by `change`. */
function report(change: (lines: string[]) => string[] = (l) => l): string {
  return change([
    ...files.map((f) => `file ${f.sha256} ${f.hostPath}`),
    'file - /etc/haproxy/haproxy.cfg',
    'last free 20261125-aa applied',
    'now 1000',
    'wg up',
    `peer ${HUB} 192.0.2.1:51820 10.0.0.0/24 990 10 20 25`,
    'rtt 400',
    'rtt 600',
    'rtt 500',
    'firewall equal',
  ]).join('\n');
}
const statusOf = (target: StatusTarget, text: string) => hostStatus(target, parseHostObservation(text), 0.5);

describe('hostStatus', () => {
  test('a healthy spoke: no problems, its facts', () => {
    const s = statusOf(spoke, report());
    expect(s.problems).toEqual([]);
    expect(hostVerdict(s)).toEqual({ unreachable: false, drifted: false, tunnelDown: false, ok: true });
    expect(s.files.map((f) => f.state)).toEqual(['ok', 'ok', 'ok']);
    expect(s.wireguard!.peers).toEqual([{ name: 'hub', publicKey: HUB, state: 'ok', differences: [], endpoint: '192.0.2.1:51820', allowedIps: ['10.0.0.0/24'], handshakeAgeSeconds: 10, rxBytes: 10, txBytes: 20 }]);
    expect(s.tunnel).toMatchObject({ to: 'hub', up: true, samples: [0.0004, 0.0006, 0.0005], statistics: { median: 0.0005, min: 0.0004, max: 0.0006 } });
    expect(s.tunnel!.statistics!.jitter).toBeCloseTo(0.00015);
    expect(s.lastTransaction).toEqual({ tx: '20261125-aa', outcome: 'applied', detail: '', running: false });
  });

  test('files: changed, missing, and a role file left behind are drift (errors, exit 1)', () => {
    const s = statusOf(
      spoke,
      report((l) => l.map((line) => line.replace(/^file \S+ \/etc\/sysctl\.d/, `file ${'b'.repeat(64)} /etc/sysctl.d`).replace(/^file \S+ \/etc\/fortress\/firewall\.nft$/, 'file - /etc/fortress/firewall.nft').replace('file - /etc/haproxy', `file ${'c'.repeat(64)} /etc/haproxy`))),
    );
    expect(s.files).toEqual([
      { path: '/etc/wireguard/wg0.conf', state: 'ok' },
      { path: '/etc/sysctl.d/90-fortress.conf', state: 'changed' },
      { path: '/etc/fortress/firewall.nft', state: 'missing' },
      { path: '/etc/haproxy/haproxy.cfg', state: 'left behind' },
    ]);
    expect(s.problems.map((p) => [p.code, p.severity, p.kind])).toEqual([
      ['FT541', 'error', 'drift'],
      ['FT541', 'error', 'drift'],
      ['FT541', 'error', 'drift'],
    ]);
    expect(hostVerdict(s)).toMatchObject({ drifted: true, ok: false });
  });

  test.each([
    ['running', false, 'FT542', 'error'],
    ['ROLLBACK-FAILED', false, 'FT542', 'error'],
    ['rolled-back', false, 'FT550', 'warning'],
    ['running', true, 'FT550', 'warning'],
  ])('the last transaction %s (lock held: %s) is %s, %s', (outcome, busy, code, severity) => {
    const s = statusOf(spoke, report((l) => l.map((line) => (line.startsWith('last ') ? `last ${busy ? 'busy' : 'free'} 20261125-bb ${outcome} verify: no handshake` : line))));
    expect(s.problems).toEqual([expect.objectContaining({ code, severity })]);
  });

  test('a refused or never-run transaction says nothing', () => {
    expect(statusOf(spoke, report((l) => l.map((line) => (line.startsWith('last ') ? 'last free 1-a refused the host changed' : line)))).problems).toEqual([]);
    expect(statusOf(spoke, report((l) => l.filter((line) => !line.startsWith('last ')))).problems).toEqual([]);
  });

  test('the tunnel is down when the interface is, or when no round trip gets through', () => {
    const down = statusOf(spoke, report((l) => l.filter((line) => !line.startsWith('peer ') && !line.startsWith('rtt ')).map((line) => (line === 'wg up' ? 'wg down' : line))));
    expect(down.problems).toEqual([{ code: 'FT545', severity: 'error', kind: 'tunnel', message: 'wg0 is not up' }]);
    expect(down.tunnel).toMatchObject({ up: false, samples: [] });
    expect(hostVerdict(down)).toMatchObject({ tunnelDown: true, drifted: false });
    const silent = statusOf(spoke, report((l) => [...l.filter((line) => !line.startsWith('rtt ')), 'rtt-timeout']));
    expect(silent.problems).toEqual([{ code: 'FT545', severity: 'error', kind: 'tunnel', message: 'no TCP connection through the tunnel to hub at 10.0.0.1:22 (no answer in time)' }]);
    // A sample or more before a failure: the tunnel works; statistics from what was measured.
    const partial = statusOf(spoke, report((l) => [...l.filter((line) => line !== 'rtt 500'), 'rtt-failed']));
    expect(partial.tunnel).toMatchObject({ up: true, failure: 'the TCP connection failed', statistics: { samples: 2 } });
    expect(partial.problems).toEqual([]);
  });

  test('peers: missing and extra ones and wrong settings are drift; a stale handshake a warning', () => {
    const s = statusOf(
      spoke,
      report((l) => [...l.map((line) => (line.startsWith('peer ') ? `peer ${HUB} 192.0.2.9:51820 10.0.0.0/16 700 10 20 off` : line)), `peer ${STRANGER} (none) 10.0.0.9/32 0 0 0 off`]),
    );
    expect(s.problems.map((p) => [p.code, p.severity, p.message])).toEqual([
      ['FT543', 'error', 'peer hub: AllowedIPs 10.0.0.0/16, rendered 10.0.0.0/24; endpoint 192.0.2.9:51820, rendered 192.0.2.1:51820; keepalive off, rendered 25'],
      ['FT543', 'error', `peer ${STRANGER} is on wg0 but not in rendered/`],
      ['FT546', 'warning', 'peer hub: last handshake 5 min ago'],
    ]);
    const missing = statusOf(spoke, report((l) => l.filter((line) => !line.startsWith('peer '))));
    expect(missing.problems.map((p) => p.message)).toEqual(['peer hub is in rendered/ but not on wg0']);
    expect(missing.wireguard!.peers[0]).toEqual({ name: 'hub', publicKey: HUB, state: 'missing', differences: [] });
    const never = statusOf(spoke, report((l) => l.map((line) => (line.startsWith('peer ') ? `peer ${HUB} 192.0.2.1:51820 10.0.0.0/24 0 0 0 25` : line))));
    expect(never.problems.map((p) => [p.code, p.message])).toEqual([['FT546', 'peer hub: no handshake yet']]);
    // Without a keepalive a quiet tunnel legitimately has no recent handshake.
    const quiet: StatusTarget = { ...spoke, peers: [{ ...spoke.peers![0]!, persistentKeepalive: 0 }] };
    expect(statusOf(quiet, report((l) => l.map((line) => (line.startsWith('peer ') ? `peer ${HUB} 192.0.2.1:51820 10.0.0.0/24 10 0 0 off` : line)))).problems).toEqual([]);
  });

  test('HAProxy: a server not UP, or one it does not run, is a warning; a socket that cannot be read too', () => {
    const lines = (servers: string[]) => report((l) => [...l.map((line) => line.replace(/^file - \/etc\/haproxy\/haproxy\.cfg$/, `file ${sha('global\n')} /etc/haproxy/haproxy.cfg`)), ...servers]);
    const up = statusOf(balancer, lines(['haproxy\tdb\tone\tUP\tL4OK\t5\t0', 'haproxy\tdb\ttwo\tUP 2/3\tL4CON\t1\t1']));
    expect(up.problems).toEqual([]);
    expect(up.haproxy!.servers.map((s) => s.up)).toEqual([true, true]);
    const down = statusOf(balancer, lines(['haproxy\tdb\tone\tDOWN\tL4CON\t5\t0', 'haproxy\tdb\tthree\tMAINT\t\t1\t0']));
    expect(down.problems.map((p) => [p.code, p.severity, p.message])).toEqual([
      ['FT547', 'warning', 'HAProxy server db/one is DOWN (check L4CON)'],
      ['FT547', 'warning', 'HAProxy server db/three is MAINT'],
      ['FT547', 'warning', 'HAProxy runs no server db/two, which the rendered haproxy.cfg has (not reloaded since?)'],
    ]);
    expect(hostVerdict(down).ok).toBe(true);
    const unread = statusOf(balancer, lines(['haproxy-error no stats socket at /run/haproxy/admin.sock: HAProxy is not running']));
    expect(unread.problems.map((p) => [p.code, p.severity])).toEqual([['FT548', 'warning']]);
    const noSocket = statusOf({ ...balancer, haproxy: { servers: [] } }, lines([]));
    expect(noSocket.problems.map((p) => p.message)).toEqual(["HAProxy's backend servers cannot be read: the rendered haproxy.cfg has no `stats socket` line"]);
  });

  test('the firewall: different or missing is drift; not comparable is a warning', () => {
    const withFirewall = (state: string) => report((l) => l.map((line) => (line === 'firewall equal' ? state : line)));
    expect(statusOf(spoke, withFirewall('firewall missing')).problems.map((p) => [p.code, p.severity, p.message])).toEqual([['FT544', 'error', 'no table inet fortress is loaded']]);
    expect(statusOf(spoke, withFirewall('firewall different\nfirewall-diff + tcp dport 1 drop')).problems.map((p) => p.message)).toEqual(['the live table inet fortress differs from the rendered firewall.nft: + tcp dport 1 drop']);
    expect(statusOf(spoke, withFirewall('firewall unknown nft is not installed')).problems.map((p) => [p.code, p.severity])).toEqual([['FT549', 'warning']]);
  });

  test('errors come before warnings', () => {
    const s = statusOf(spoke, report((l) => [...l.map((line) => (line.startsWith('peer ') ? `peer ${HUB} 192.0.2.1:51820 10.0.0.0/24 0 0 0 25` : line === 'firewall equal' ? 'firewall missing' : line))]));
    expect(s.problems.map((p) => p.code)).toEqual(['FT544', 'FT546']);
  });

  test('an unreachable host has one problem and no facts', () => {
    const s = unreachableHost(spoke, 'cannot connect: connect EHOSTUNREACH 192.0.2.2:22', 3);
    expect(s).toEqual({ host: 'spoke', isHub: false, reachable: false, seconds: 3, files: [], problems: [{ code: 'FT540', severity: 'error', kind: 'unreachable', message: 'cannot connect: connect EHOSTUNREACH 192.0.2.2:22' }] });
    expect(hostVerdict(s)).toEqual({ unreachable: true, drifted: false, tunnelDown: false, ok: false });
  });
});

describe('comparing peers', () => {
  test('rendered order first, then the extra ones; AllowedIPs compared as sets', () => {
    const peers = comparePeers(
      [{ name: 'a', publicKey: HUB, allowedIps: ['10.0.0.2/32', '10.0.1.0/24'], persistentKeepalive: 0 }],
      [
        { publicKey: STRANGER, allowedIps: [], latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 0 },
        { publicKey: HUB, allowedIps: ['10.0.1.0/24', '10.0.0.2/32'], latestHandshake: 95, rxBytes: 1, txBytes: 2, persistentKeepalive: 0 },
      ],
      100,
    );
    expect(peers.map((p) => [p.name, p.state, p.handshakeAgeSeconds])).toEqual([
      ['a', 'ok', 5],
      [STRANGER, 'extra', null],
    ]);
  });

  test('endpoints: an address must match; a DNS name (resolved at wg-quick up) only by port; IPv6 in brackets', () => {
    expect(endpointMatches('192.0.2.1:51820', '192.0.2.1:51820')).toBe(true);
    expect(endpointMatches('192.0.2.1:51820', '192.0.2.9:51820')).toBe(false);
    expect(endpointMatches('192.0.2.1:51820', undefined)).toBe(false);
    expect(endpointMatches('hub.example.net:51820', '203.0.113.4:51820')).toBe(true);
    expect(endpointMatches('hub.example.net:51820', '203.0.113.4:51821')).toBe(false);
    expect(endpointMatches('[2001:DB8::1]:51820', '[2001:db8::1]:51820')).toBe(true);
  });

  test("HAProxy's words for a server that serves", () => {
    expect(['UP', 'UP 1/3', 'no check'].map(isServerUp)).toEqual([true, true, true]);
    expect(['DOWN', 'DOWN 1/2', 'MAINT', 'NOLB', 'DRAIN', ''].map(isServerUp)).toEqual([false, false, false, false, false, false]);
  });
});
