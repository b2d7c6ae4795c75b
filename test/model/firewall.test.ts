// The firewall part of the model: clients resolved to mesh addresses, reachable frontends with their
// allow normalized, and the spoke-to-spoke traffic hubs forward.
import { describe, expect, test } from 'vitest';
import type { HostModel } from '../../src/model/topologyModel.js';
import { compileExample, compileText } from '../support/compileExample.js';
import { firewallTopology } from '../render/firewallSamples.js';

const hostsOf = (text: string) => new Map(compileText(text).model.hosts.map((h): [string, HostModel] => [h.name, h]));

describe('firewall model', () => {
  const hosts = hostsOf(firewallTopology());
  const firewall = (name: string) => hosts.get(name)!.firewall;

  test('every host has a firewall, with its SSH port (22 unless ssh.port says otherwise)', () => {
    expect([...hosts.values()].map((h) => [h.name, h.firewall.sshPort])).toEqual([
      ['app1', 22],
      ['app2', 2222],
      ['ci', 22],
      ['db2', 22],
      ['hub', 22],
      ['lb', 22],
    ]);
  });

  test('clients: hosts named, hosts with a role named, and the load-balancer hosts that send to the service, sorted by name', () => {
    expect(firewall('hub').services).toEqual([
      {
        name: 'pg',
        port: 5432,
        clients: {
          hosts: [
            { name: 'app1', address: '10.100.0.2' },
            { name: 'db2', address: '10.100.0.5' },
            { name: 'hub', address: '10.100.0.1' },
            { name: 'lb', address: '10.100.0.6' },
          ],
          written: ['app1', 'role:database'],
        },
      },
    ]);
  });

  test('a service without clients is open to the whole mesh: no hosts, nothing written', () => {
    expect(firewall('app2').services).toEqual([
      { name: 'cache', port: 6379, clients: {} },
      { name: 'metrics', port: 9100, clients: { hosts: [{ name: 'ci', address: '10.100.0.4' }], written: ['role:ci'] } },
    ]);
  });

  test('frontends: loopback ones left out; allow normalized (RFC 5952), IPv4 first, sorted', () => {
    expect(firewall('lb').frontends).toEqual([
      { name: 'admin', port: 9443, bind: '192.0.2.50:9443', allow: ['192.0.2.0/28'] },
      { name: 'open', port: 8080, bind: '*:8080' },
      { name: 'v6-only', port: 8443, bind: ':8443', allow: ['2001:db8:ff::/48'] },
      { name: 'web', port: 443, bind: '*:443', allow: ['198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'] },
    ]);
    expect(firewall('hub').frontends).toEqual([]);
  });

  test('hubs forward a client to each service on a spoke; spokes forward nothing', () => {
    const forward = firewall('hub').forward!;
    expect(forward.map((f) => `${f.service} ${f.host} ${f.address}:${f.port} ${f.clients.written?.join(',') ?? 'everyone'}`)).toEqual([
      'cache app2 10.100.0.3:6379 everyone',
      'metrics app1 10.100.0.2:9100 role:ci',
      'metrics app2 10.100.0.3:9100 role:ci',
      'pg db2 10.100.0.5:5432 app1,role:database',
    ]);
    for (const name of ['app1', 'app2', 'ci', 'db2', 'lb']) expect(firewall(name).forward, name).toBeUndefined();
  });

  test('a full mesh forwards nothing, not even on a host with the hub role', () => {
    const fullMesh = hostsOf(firewallTopology('full-mesh'));
    for (const host of fullMesh.values()) expect(host.firewall.forward, host.name).toBeUndefined();
  });

  test('the example: postgres open to role:app and role:database, the load balancers among them', () => {
    const model = compileExample().model;
    const db = model.hosts.find((h) => h.name === 'oslo-db-02')!;
    expect(db.firewall.services[0]!.clients.written).toEqual(['role:app', 'role:database']);
    expect(db.firewall.services[0]!.clients.hosts!.map((h) => h.name)).toEqual(['fra-app-01', 'fra-app-02', 'lon-app-01', 'oslo-db-01', 'oslo-db-02']);
    expect(model.hosts.find((h) => h.name === 'oslo-db-01')!.firewall.forward!.map((f) => f.host)).toEqual(['oslo-db-02']);
  });
});
