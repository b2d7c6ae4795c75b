// The rendered firewall: one self-replacing table inet fortress per host and the unit that loads it at
// boot. What nft itself says about the files is in test/tools/nft.test.ts.
import { describe, expect, test } from 'vitest';
import { compile } from '../../src/compile.js';
import { smallTopology } from '../support/smallTopology.js';
import { compileExample, compileText } from '../support/compileExample.js';
import { firewallTopology } from './firewallSamples.js';

const samples = [
  ['example', compileExample()],
  ['hub-and-spoke sample', compileText(firewallTopology())],
  ['full-mesh sample', compileText(firewallTopology('full-mesh'))],
] as const;

const firewallOf = (compiled: (typeof samples)[number][1], host: string) => compiled.files.find((f) => f.host === host && f.hostPath === '/etc/fortress/firewall.nft')!.content;

describe.each(samples)('%s', (_name, compiled) => {
  const firewalls = compiled.files.filter((f) => f.hostPath === '/etc/fortress/firewall.nft');

  test('every host has its firewall and the unit that loads it, mode 0644', () => {
    const hosts = compiled.model.hosts.map((h) => h.name);
    expect(firewalls.map((f) => [f.host, f.path, f.mode, f.reload])).toEqual(hosts.map((h) => [h, `hosts/${h}/etc/fortress/firewall.nft`, 0o644, 'firewall']));
    const units = compiled.files.filter((f) => f.hostPath === '/etc/fortress/fortress-firewall.service');
    expect(units.map((f) => [f.host, f.mode, f.reload])).toEqual(hosts.map((h) => [h, 0o644, 'systemd']));
  });

  test('one table, created if absent, deleted and defined anew in the same file; no other table', () => {
    for (const { host, content } of firewalls) {
      const commands = content.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(commands.slice(0, 3), host).toEqual(['table inet fortress', 'delete table inet fortress', 'table inet fortress {']);
      expect(commands.at(-1), host).toBe('}');
      expect(commands.filter((l) => /^\S/.test(l)), host).toEqual(['table inet fortress', 'delete table inet fortress', 'table inet fortress {', '}']);
      expect(content, host).not.toMatch(/flush|ruleset|\bip filter\b/);
    }
  });

  test('SSH, WireGuard, established and loopback are accepted before any rule drops', () => {
    for (const { host, content } of firewalls) {
      const ssh = compiled.model.hosts.find((h) => h.name === host)!.firewall.sshPort;
      const lines = content.split('\n');
      const firstDrop = lines.findIndex((l) => /\bdrop\b/.test(l) && !l.trimStart().startsWith('#'));
      for (const rule of [`tcp dport ${ssh} accept`, `udp dport ${compiled.model.mesh.listenPort} accept`, 'ct state established,related accept', 'iifname "lo" accept']) {
        const at = lines.findIndex((l) => l.includes(rule));
        expect(at, `${host}: ${rule}`).toBeGreaterThan(0);
        if (firstDrop >= 0) expect(at, `${host}: ${rule}`).toBeLessThan(firstDrop);
      }
    }
  });

  test('rule and element comments fit nft (128 bytes) and hold no quote', () => {
    for (const { content } of firewalls) {
      for (const [, comment] of content.matchAll(/comment "([^"\n]*)"/g)) expect(Buffer.byteLength(comment!)).toBeLessThanOrEqual(128);
      expect(content.match(/"/g)!.length % 2).toBe(0);
    }
  });
});

describe('what each chain holds', () => {
  const compiled = compileText(firewallTopology());

  test('a service: accepted on the mesh interface from its clients (a set of their addresses), then dropped everywhere', () => {
    const hub = firewallOf(compiled, 'hub');
    expect(hub).toContain(
      [
        '\t# clients of pg: app1, role:database; lb as load-balancer hosts that send to it',
        '\tset clients_pg {',
        '\t\ttype ipv4_addr',
        '\t\telements = { 10.100.0.2 comment "app1",',
        '\t\t\t     10.100.0.5 comment "db2",',
        '\t\t\t     10.100.0.1 comment "hub",',
        '\t\t\t     10.100.0.6 comment "lb" }',
        '\t}',
      ].join('\n'),
    );
    expect(hub).toContain(
      [
        '\t\t# pg on hub: clients app1, role:database',
        '\t\tiifname "wg0" ip saddr @clients_pg tcp dport 5432 accept comment "pg: its clients, through the mesh"',
        '\t\ttcp dport 5432 drop comment "pg: anyone else, on any interface"',
      ].join('\n'),
    );
  });

  test('a service without clients: the whole mesh CIDR, through the mesh only', () => {
    expect(firewallOf(compiled, 'app2')).toContain('\t\tiifname "wg0" ip saddr 10.100.0.0/24 tcp dport 6379 accept comment "cache: every mesh host, through the mesh"\n\t\ttcp dport 6379 drop');
  });

  test('frontends: allow by family, one bind address matched, the rest of the port dropped; without allow, accepted', () => {
    const lb = firewallOf(compiled, 'lb');
    expect(lb).toContain(
      [
        '\t\t# frontend admin (192.0.2.50:9443): allow 192.0.2.0/28',
        '\t\tip daddr 192.0.2.50 ip saddr 192.0.2.0/28 tcp dport 9443 accept comment "frontend admin: allowed networks"',
        '\t\tip daddr 192.0.2.50 tcp dport 9443 drop comment "frontend admin: anyone else"',
        '\t\t# frontend open (*:8080): open to every address',
        '\t\ttcp dport 8080 accept comment "frontend open: every address"',
        '\t\t# frontend v6-only (:8443): allow 2001:db8:ff::/48',
        '\t\tip6 saddr 2001:db8:ff::/48 tcp dport 8443 accept comment "frontend v6-only: allowed networks"',
        '\t\ttcp dport 8443 drop comment "frontend v6-only: anyone else"',
        '\t\t# frontend web (*:443): allow 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32',
        '\t\tip saddr { 198.51.100.0/24, 203.0.113.0/24 } tcp dport 443 accept comment "frontend web: allowed networks"',
        '\t\tip6 saddr 2001:db8::/32 tcp dport 443 accept comment "frontend web: allowed networks"',
        '\t\ttcp dport 443 drop comment "frontend web: anyone else"',
      ].join('\n'),
    );
    expect(lb).not.toContain('5432'); // the loopback frontend needs no rule
  });

  test('the hub forwards between spokes only to services, from their clients', () => {
    const hub = firewallOf(compiled, 'hub');
    expect(hub).toContain('\t\tiifname "wg0" oifname "wg0" jump spoke_to_spoke comment "from one spoke to another"');
    expect(hub).toContain(
      [
        '\tchain spoke_to_spoke {',
        '\t\tct state established,related accept comment "replies to connections already let in"',
        '\t\ticmp type echo-request accept comment "ping inside the mesh"',
        '\t\ttcp dport { 22, 2222 } accept comment "SSH: never blocked by fortress"',
        '\t\t# cache on app2: clients every mesh host',
        '\t\tip saddr 10.100.0.0/24 ip daddr 10.100.0.3 tcp dport 6379 accept comment "cache: every mesh host"',
        '\t\t# metrics on app1: clients role:ci',
        '\t\tip saddr @clients_metrics ip daddr 10.100.0.2 tcp dport 9100 accept comment "metrics: its clients"',
        '\t\t# metrics on app2: clients role:ci',
        '\t\tip saddr @clients_metrics ip daddr 10.100.0.3 tcp dport 9100 accept comment "metrics: its clients"',
        '\t\t# pg on db2: clients app1, role:database',
        '\t\tip saddr @clients_pg ip daddr 10.100.0.5 tcp dport 5432 accept comment "pg: its clients"',
        '\t\tdrop comment "anything else between spokes"',
        '\t}',
      ].join('\n'),
    );
    for (const spoke of ['app1', 'app2', 'ci', 'db2', 'lb']) expect(firewallOf(compiled, spoke), spoke).not.toContain('hook forward');
    for (const host of ['hub', 'db2']) expect(firewallOf(compileText(firewallTopology('full-mesh')), host), host).not.toContain('hook forward');
  });

  test('a hub with no service on a spoke still drops what spokes send each other', () => {
    const hub = firewallOf(compileText(smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1' }, a: {}, b: {} }, { services: { api: { port: 8080, hosts: ['hub'] } } })), 'hub');
    expect(hub).toContain(
      [
        '\tchain spoke_to_spoke {',
        '\t\tct state established,related accept comment "replies to connections already let in"',
        '\t\ticmp type echo-request accept comment "ping inside the mesh"',
        '\t\ttcp dport 22 accept comment "SSH: never blocked by fortress"',
        '\t\tdrop comment "anything else between spokes"',
        '\t}',
      ].join('\n'),
    );
  });

  test('the custom SSH port of a host is the one accepted', () => {
    expect(firewallOf(compiled, 'app2')).toContain('\t\ttcp dport 2222 accept comment "SSH: never blocked by fortress"');
    expect(firewallOf(compiled, 'app2')).not.toContain('tcp dport 22 ');
  });
});

test('names as long as they may be keep every comment within 128 bytes', () => {
  const service = `s${'x'.repeat(62)}`;
  const host = `h${'y'.repeat(62)}`;
  const frontend = `f${'z'.repeat(63)}`;
  const compiled = compileText(
    smallTopology(
      { hub: { roles: ['hub'], endpoint: '192.0.2.1' }, [host]: { roles: ['loadbalancer'] } },
      {
        services: { [service]: { port: 8080, hosts: [host], clients: [host] } },
        loadBalancers: { edge: { hosts: [host], frontends: [{ name: frontend, bind: '*:443', backend: 'b', allow: ['203.0.113.0/24', '2001:db8::/32'] }], backends: { b: { servers: [{ host, service }] } } } },
      },
    ),
  );
  for (const name of ['hub', host]) {
    const comments = [...firewallOf(compiled, name).matchAll(/comment "([^"]*)"/g)].map((m) => m[1]!);
    expect(comments.length).toBeGreaterThan(5);
    for (const comment of comments) expect(Buffer.byteLength(comment), comment).toBeLessThanOrEqual(128);
  }
});

test('a control character in the topology path cannot end a comment line of the firewall', () => {
  const result = compile({ topology: { path: 't.yaml', text: firewallTopology() }, source: 'topo\nlogy/x.yaml\r' });
  const content = result.compiled!.files.find((f) => f.hostPath === '/etc/fortress/firewall.nft')!.content;
  expect(content.split('\n')[0]).toBe('# Generated by fortress from topo?logy/x.yaml? (small). Do not edit: change the topology and run `fortress render`.');
});

test('the unit loads the table at boot, before the network, without default dependencies', () => {
  const unit = compileExample().files.find((f) => f.host === 'oslo-db-01' && f.hostPath === '/etc/fortress/fortress-firewall.service')!.content;
  expect(unit.split('\n')[0]).toMatch(/^# Generated by fortress from topology\/topology\.yaml/);
  for (const line of [
    '[Unit]',
    'DefaultDependencies=no',
    'Wants=network-pre.target',
    'Before=network-pre.target shutdown.target',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    'ExecStart=/usr/sbin/nft -f /etc/fortress/firewall.nft',
    '[Install]',
    'WantedBy=multi-user.target',
  ]) {
    expect(unit.split('\n')).toContain(line);
  }
});
