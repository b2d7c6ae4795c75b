import { describe, expect, test } from 'vitest';
import { compileText } from '../support/compileExample.js';
import { smallTopology } from '../support/smallTopology.js';

const peersOf = (text: string) =>
  Object.fromEntries(compileText(text).model.hosts.map((h) => [h.name, h.peers.map((p) => `${p.name} ${p.allowedIps.join(',')} ${p.endpoint ?? '-'}`)]));

describe('buildModel', () => {
  test('hub-and-spoke: spokes route the mesh through the first hub, hubs reach every host at /32', () => {
    const peers = peersOf(
      smallTopology({
        hub1: { roles: ['hub'], endpoint: '192.0.2.1' },
        hub2: { roles: ['hub'], endpoint: 'hub2.example.net' },
        spoke: { roles: ['app'] },
      }),
    );
    expect(peers).toEqual({
      hub1: ['hub2 10.100.0.2/32 hub2.example.net:51820', 'spoke 10.100.0.3/32 -'],
      hub2: ['hub1 10.100.0.1/32 192.0.2.1:51820', 'spoke 10.100.0.3/32 -'],
      spoke: ['hub1 10.100.0.0/24 192.0.2.1:51820', 'hub2 10.100.0.2/32 hub2.example.net:51820'],
    });
  });

  test('full mesh: everybody peers with everybody else, IPv6 endpoints in brackets', () => {
    const peers = peersOf(
      smallTopology({ a: { endpoint: '2001:db8::1' }, b: { endpoint: '192.0.2.2' }, c: {} }, {}, { shape: 'full-mesh', listenPort: 51999 }),
    );
    expect(peers).toEqual({
      a: ['b 10.100.0.2/32 192.0.2.2:51999', 'c 10.100.0.3/32 -'],
      b: ['a 10.100.0.1/32 [2001:db8::1]:51999', 'c 10.100.0.3/32 -'],
      c: ['a 10.100.0.1/32 [2001:db8::1]:51999', 'b 10.100.0.2/32 192.0.2.2:51999'],
    });
  });

  test('sysctl: defaults, then roles, then the host; hubs always forward and send no redirects unless told to', () => {
    const model = compileText(
      smallTopology(
        { hub: { roles: ['hub', 'database'], endpoint: '192.0.2.1', sysctl: { 'vm.swappiness': 1, 'net.ipv4.conf.default.send_redirects': 1 } }, app: { roles: ['app'] } },
        { sysctl: { defaults: { 'vm.swappiness': 60, 'net.core.somaxconn': 1024 }, roles: { database: { 'vm.swappiness': 10, 'vm.dirty_ratio': 5 } } } },
      ),
    ).model;
    const sysctlOf = (name: string) => model.hosts.find((h) => h.name === name)!.sysctl;
    expect(sysctlOf('hub')).toEqual([
      ['net.core.somaxconn', '1024'],
      ['net.ipv4.conf.all.send_redirects', '0'],
      ['net.ipv4.conf.default.send_redirects', '1'],
      ['net.ipv4.conf.wg0.send_redirects', '0'],
      ['net.ipv4.ip_forward', '1'],
      ['vm.dirty_ratio', '5'],
      ['vm.swappiness', '1'],
    ]);
    expect(sysctlOf('app')).toEqual([
      ['net.core.somaxconn', '1024'],
      ['vm.swappiness', '60'],
    ]);
  });

  test('load balancers resolve servers to mesh addresses and service ports', () => {
    const model = compileText(
      smallTopology(
        { db1: { roles: ['hub'], endpoint: '192.0.2.1' }, db2: {}, lb: {} },
        {
          services: { pg: { port: 6432, hosts: ['db1', 'db2'] } },
          loadBalancers: {
            edge: {
              hosts: ['lb'],
              frontends: [{ name: 'pg', bind: '127.0.0.1:5432', backend: 'pgs' }],
              backends: { pgs: { check: { interval: '500ms' }, servers: [{ host: 'db1', service: 'pg', weight: 10 }, { host: 'db2', service: 'pg', backup: true }] } },
            },
          },
        },
      ),
    ).model;
    const lb = model.hosts.find((h) => h.name === 'lb')!.loadBalancer!;
    expect(lb.frontends).toEqual([{ name: 'pg', bind: '127.0.0.1:5432', backend: 'pgs', mode: 'tcp' }]);
    expect(lb.backends).toEqual([
      {
        name: 'pgs',
        mode: 'tcp',
        balance: 'roundrobin',
        check: { interval: '500ms', rise: 3, fall: 2 },
        servers: [
          { name: 'db1', address: '10.100.0.1', port: 6432, backup: false, weight: 10 },
          { name: 'db2', address: '10.100.0.2', port: 6432, backup: true },
        ],
      },
    ]);
    expect(model.hosts.find((h) => h.name === 'db1')!.loadBalancer).toBeUndefined();
  });
});
