import { describe, expect, test } from 'vitest';
import { formatPrometheus } from '../../src/status/formatPrometheus.js';
import { formatStatusMarkdown } from '../../src/status/formatStatusMarkdown.js';
import { formatStatusText } from '../../src/status/formatStatusText.js';
import type { HostStatus } from '../../src/status/hostStatus.js';
import { buildStatusReport } from '../../src/status/statusReport.js';
import { readExposition, sampleValue, summarySeries } from './exposition.js';

const HUB_KEY = '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=';
const at = new Date('2026-11-26T10:00:00Z');

const hub: HostStatus = {
  host: 'oslo-db-01',
  isHub: true,
  reachable: true,
  seconds: 0.3,
  problems: [],
  files: [{ path: '/etc/wireguard/wg0.conf', state: 'ok' }],
  lastTransaction: { tx: '20261125-aa', outcome: 'applied', detail: '', running: false },
  wireguard: {
    interface: 'wg0',
    state: 'up',
    peers: [
      { name: 'fra-app-01', publicKey: 'k1', state: 'ok', differences: [], allowedIps: ['10.0.0.2/32'], handshakeAgeSeconds: 12, rxBytes: 2048, txBytes: 4096 },
      { name: 'lon-app-01', publicKey: 'k2', state: 'ok', differences: [], allowedIps: ['10.0.0.3/32'], handshakeAgeSeconds: null, rxBytes: 0, txBytes: 0 },
    ],
  },
  firewall: { state: 'equal', differences: [] },
};
const spoke: HostStatus = {
  host: 'fra-app-01',
  isHub: false,
  reachable: true,
  seconds: 0.4,
  problems: [
    { code: 'FT541', severity: 'error', kind: 'drift', message: '/etc/sysctl.d/90-fortress.conf differs from rendered/ (changed on the host, or not applied)' },
    { code: 'FT547', severity: 'warning', kind: 'backend', message: 'HAProxy server db/oslo-db-02 (backup) is DOWN (check L4CON)' },
  ],
  files: [
    { path: '/etc/wireguard/wg0.conf', state: 'ok' },
    { path: '/etc/sysctl.d/90-fortress.conf', state: 'changed' },
  ],
  wireguard: { interface: 'wg0', state: 'up', peers: [{ name: 'oslo-db-01', publicKey: HUB_KEY, state: 'ok', differences: [], endpoint: '192.0.2.10:51820', allowedIps: ['10.0.0.0/24'], handshakeAgeSeconds: 12, rxBytes: 4096, txBytes: 2048 }] },
  tunnel: { to: 'oslo-db-01', address: '10.0.0.1', port: 22, up: true, samples: [0.0004, 0.0006, 0.0005], statistics: { samples: 3, min: 0.0004, median: 0.0005, max: 0.0006, mean: 0.0005, jitter: 0.00015 } },
  haproxy: {
    socket: '/run/haproxy/admin.sock',
    servers: [
      { backend: 'db', server: 'oslo-db-01', status: 'UP', up: true, backup: false },
      { backend: 'db', server: 'oslo-db-02', status: 'DOWN', up: false, checkStatus: 'L4CON', backup: true },
    ],
  },
  firewall: { state: 'different', differences: ['+ tcp dport 9999 drop'] },
};
const gone: HostStatus = { host: 'lon-app-01', isHub: false, reachable: false, seconds: 3, files: [], problems: [{ code: 'FT540', severity: 'error', kind: 'unreachable', message: 'cannot connect: connect EHOSTUNREACH 192.0.2.3:22' }] };
const report = buildStatusReport([spoke, gone, hub], { checkedAt: at, samples: 3, renderedUpToDate: true });

describe('the report', () => {
  test('verdicts and counts; the hosts in the order read; the JSON is the report itself', () => {
    expect(report).toMatchObject({ version: 1, ok: false, checkedAt: '2026-11-26T10:00:00.000Z', samples: 3, renderedUpToDate: true, summary: { hosts: 3, ok: 1, unreachable: 1, drifted: 1, tunnelDown: 0, warnings: 1 } });
    expect(report.hosts.map((h) => [h.host, h.ok, h.unreachable, h.drifted, h.tunnelDown])).toEqual([
      ['fra-app-01', false, false, true, false],
      ['lon-app-01', false, true, false, false],
      ['oslo-db-01', true, false, false, false],
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(buildStatusReport([hub], { checkedAt: at, samples: 5, renderedUpToDate: true }).ok).toBe(true);
  });
});

describe('text', () => {
  test('a table per host, hosts with problems first (unreachable first), problems first in each table', () => {
    const text = formatStatusText(report);
    expect(text).toBe(
      [
        '',
        'lon-app-01: UNREACHABLE',
        '  check  state  detail',
        '  FT540  error  cannot connect: connect EHOSTUNREACH 192.0.2.3:22',
        '',
        'fra-app-01: DRIFTED',
        '  check       state      detail',
        '  FT541       error      /etc/sysctl.d/90-fortress.conf differs from rendered/ (changed on the host, or not applied)',
        '  FT547       warning    HAProxy server db/oslo-db-02 (backup) is DOWN (check L4CON)',
        '  files       1 differ   2 managed: /etc/sysctl.d/90-fortress.conf changed',
        '  last apply  none       no transaction recorded on the host',
        '  wireguard   up         wg0, 1 peer',
        '    peer      ok         oslo-db-01: handshake 12 s ago, received 4.0 KiB, sent 2.0 KiB, endpoint 192.0.2.10:51820',
        '  tunnel      up         to oslo-db-01 at 10.0.0.1:22: median 0.50 ms (min 0.40 ms, max 0.60 ms), jitter 0.15 ms, 3 samples',
        '  haproxy     1 down     db/oslo-db-01 UP, db/oslo-db-02 DOWN (backup)',
        '  firewall    different  + tcp dport 9999 drop',
        '',
        'oslo-db-01 (hub): OK',
        '  check       state    detail',
        '  files       match    1 managed',
        '  last apply  applied  20261125-aa',
        '  wireguard   up       wg0, 2 peers',
        '    peer      ok       fra-app-01: handshake 12 s ago, received 2.0 KiB, sent 4.0 KiB',
        '    peer      ok       lon-app-01: no handshake yet, received 0 B, sent 0 B',
        '  firewall    equal',
        '',
        '3 hosts: 1 ok, 1 unreachable, 1 drifted; 1 warning',
        '',
      ].join('\n'),
    );
  });

  test('a stale rendered/ is said first', () => {
    expect(formatStatusText(buildStatusReport([hub], { checkedAt: at, samples: 5, renderedUpToDate: false }))).toMatch(/^note: rendered\/ is not what the topology renders; the hosts were compared with rendered\/ as it is\n/);
  });
});

describe('markdown', () => {
  test('one table, problems first; a host\'s text cannot add markup', () => {
    const hostile: HostStatus = { ...gone, host: 'lon-app-01', problems: [{ code: 'FT540', severity: 'error', kind: 'unreachable', message: 'cannot read the host\'s state: | <img src=x> [link](http://x) `code` *x*' }] };
    const markdown = formatStatusMarkdown(buildStatusReport([spoke, hostile, hub], { checkedAt: at, samples: 3, renderedUpToDate: true }));
    expect(markdown).toBe(
      [
        '### fortress status',
        '',
        '**Needs attention**: 3 hosts: 1 ok, 1 unreachable, 1 drifted; 1 warning.',
        '',
        '| host | state | rtt to hub (median) | jitter | problems |',
        '| --- | --- | ---: | ---: | --- |',
        "| lon-app-01 | unreachable | - | - | **FT540** cannot read the host's state: \\| &lt;img src=x&gt; \\[link\\](http://x) \\`code\\` \\*x\\* |",
        '| fra-app-01 | drifted | 0.50 ms | 0.15 ms | **FT541** /etc/sysctl.d/90-fortress.conf differs from rendered/ (changed on the host, or not applied); FT547 HAProxy server db/oslo-db-02 (backup) is DOWN (check L4CON) |',
        '| oslo-db-01 (hub) | ok | - | - | - |',
        '',
      ].join('\n'),
    );
  });

  test("all well says so; an estate of thousands stays under GitHub's limit for an issue", () => {
    expect(formatStatusMarkdown(buildStatusReport([hub], { checkedAt: at, samples: 5, renderedUpToDate: true }))).toContain('\nEvery host is reachable, matches rendered/ and reaches the hub through its tunnel (1 host: 1 ok; 0 warnings).\n');
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...gone, host: `host-${String(i).padStart(4, '0')}` }));
    const markdown = formatStatusMarkdown(buildStatusReport(many, { checkedAt: at, samples: 5, renderedUpToDate: true }));
    expect(markdown.length).toBeLessThan(65_536);
    expect(markdown).toMatch(/\n\n\d+ more hosts left out to fit; `fortress status` shows every host\.\n$/);
  });
});

describe('prometheus', () => {
  const text = formatPrometheus(report);
  const families = readExposition(text);

  test('every family with HELP and TYPE, read back by a parser', () => {
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['fortress_host_up', 'GAUGE'],
      ['fortress_host_drift', 'GAUGE'],
      ['fortress_tunnel_up', 'GAUGE'],
      ['fortress_peer_handshake_age_seconds', 'GAUGE'],
      ['fortress_peer_transfer_bytes', 'COUNTER'],
      ['fortress_tunnel_rtt_seconds', 'SUMMARY'],
      ['fortress_tunnel_jitter_seconds', 'GAUGE'],
      ['fortress_backend_up', 'GAUGE'],
      ['fortress_firewall_drift', 'GAUGE'],
    ]);
    expect(families.every((f) => f.help.length > 0)).toBe(true);
  });

  test('the values', () => {
    expect(['fra-app-01', 'lon-app-01', 'oslo-db-01'].map((host) => sampleValue(families, 'fortress_host_up', { host }))).toEqual([1, 0, 1]);
    expect(sampleValue(families, 'fortress_host_drift', { host: 'fra-app-01', file: '/etc/sysctl.d/90-fortress.conf' })).toBe(1);
    expect(sampleValue(families, 'fortress_host_drift', { host: 'fra-app-01', file: '/etc/wireguard/wg0.conf' })).toBe(0);
    expect(sampleValue(families, 'fortress_peer_handshake_age_seconds', { host: 'oslo-db-01', peer: 'fra-app-01' })).toBe(12);
    expect(sampleValue(families, 'fortress_peer_handshake_age_seconds', { host: 'oslo-db-01', peer: 'lon-app-01' })).toBe(Infinity);
    expect(sampleValue(families, 'fortress_peer_transfer_bytes', { host: 'oslo-db-01', peer: 'fra-app-01', direction: 'rx' })).toBe(2048);
    expect(sampleValue(families, 'fortress_peer_transfer_bytes', { host: 'oslo-db-01', peer: 'fra-app-01', direction: 'tx' })).toBe(4096);
    expect(summarySeries(text, 'fortress_tunnel_rtt_seconds', { host: 'fra-app-01' })).toEqual({ quantiles: { '0': 0.0004, '0.5': 0.0005, '1': 0.0006 }, sum: 0.0015, count: 3 });
    expect(summarySeries(text, 'fortress_tunnel_rtt_seconds', { host: 'oslo-db-01' })).toBeUndefined();
    expect(sampleValue(families, 'fortress_tunnel_jitter_seconds', { host: 'fra-app-01' })).toBe(0.00015);
    expect(sampleValue(families, 'fortress_tunnel_up', { host: 'fra-app-01' })).toBe(1);
    expect(sampleValue(families, 'fortress_backend_up', { lb: 'fra-app-01', backend: 'db', server: 'oslo-db-02' })).toBe(0);
    expect(sampleValue(families, 'fortress_firewall_drift', { host: 'fra-app-01' })).toBe(1);
    expect(sampleValue(families, 'fortress_firewall_drift', { host: 'oslo-db-01' })).toBe(0);
    // What nobody measured has no sample: the unreachable host is only "down".
    expect(text.split('\n').filter((l) => l.includes('"lon-app-01"'))).toEqual(['fortress_host_up{host="lon-app-01"} 0', 'fortress_peer_handshake_age_seconds{host="oslo-db-01",peer="lon-app-01"} +Inf', 'fortress_peer_transfer_bytes{host="oslo-db-01",peer="lon-app-01",direction="rx"} 0', 'fortress_peer_transfer_bytes{host="oslo-db-01",peer="lon-app-01",direction="tx"} 0']);
  });

  test('label values are escaped: a backslash, a double quote and a newline come back as they were', () => {
    const odd: HostStatus = { ...hub, files: [{ path: '/etc/a "quoted"\\path\nnext', state: 'changed' }], wireguard: undefined, firewall: undefined };
    const exposition = formatPrometheus(buildStatusReport([odd], { checkedAt: at, samples: 1, renderedUpToDate: true }));
    expect(exposition).toContain('fortress_host_drift{host="oslo-db-01",file="/etc/a \\"quoted\\"\\\\path\\nnext"} 1\n');
    const parsed = readExposition(exposition);
    expect(sampleValue(parsed, 'fortress_host_drift', { host: 'oslo-db-01', file: '/etc/a "quoted"\\path\nnext' })).toBe(1);
  });
});
