// What the firewall is rendered from: clients that exist, allow lists of real networks where they mean
// something, no listener on a port the firewall treats otherwise.
import { describe, expect, test } from 'vitest';
import { parseIpNetwork } from '../../src/validate/ipNetworks.js';
import { firewallTopology } from '../render/firewallSamples.js';
import { smallTopology } from '../support/smallTopology.js';
import { errorCodes, errorsOf, validateText } from './validateText.js';

interface Options {
  clients?: string[];
  servicePort?: number;
  frontend?: Record<string, unknown>;
  sshPort?: number;
}

/** hub (runs pg), app (role app), lb (the load balancer, optionally with an SSH port). */
function topology({ clients, servicePort = 5432, frontend, sshPort }: Options): string {
  return smallTopology(
    {
      hub: { roles: ['hub', 'database'], endpoint: '192.0.2.1' },
      app: { roles: ['app'] },
      lb: { roles: ['loadbalancer'], ...(sshPort && { ssh: { address: '192.0.2.9', port: sshPort } }) },
    },
    {
      services: { pg: { port: servicePort, hosts: ['hub'], ...(clients && { clients }) } },
      loadBalancers: {
        edge: {
          hosts: ['lb'],
          frontends: [{ name: 'db', bind: '127.0.0.1:5432', backend: 'pgs' }, ...(frontend ? [{ name: 'public', backend: 'pgs', ...frontend }] : [])],
          backends: { pgs: { servers: [{ host: 'hub', service: 'pg' }] } },
        },
      },
    },
  );
}

const messages = (text: string) => validateText(text).diagnostics.map((d) => `${d.code} ${d.message}${d.hint ? ` (${d.hint})` : ''}`);

describe('clients', () => {
  test('the sample topologies are valid', () => {
    expect(errorCodes(firewallTopology())).toEqual([]);
    expect(errorCodes(firewallTopology('full-mesh'))).toEqual([]);
    expect(errorCodes(topology({ clients: ['app', 'role:app', 'role:hub'] }))).toEqual([]);
  });

  test('an unknown host is a reference that does not resolve, with "did you mean"', () => {
    expect(messages(topology({ clients: ['ap'] }))).toEqual(['FT301 clients of service "pg" refer to unknown host "ap" (did you mean "app"?)']);
  });

  test('a role written without "role:" is named as such', () => {
    expect(messages(topology({ clients: ['database'] }))).toEqual(['FT301 clients of service "pg" refer to unknown host "database" ("database" is a role: write "role:database")']);
  });

  test('a role no host has lets nobody in: FT329, with "did you mean"', () => {
    expect(messages(topology({ clients: ['role:databse'] }))).toEqual(['FT329 clients of service "pg" name role "databse", which no host has (did you mean "role:database"?)']);
    expect(messages(topology({ clients: ['role:loadbalancers'] }))[0]).toMatch(/^FT329 .*\(did you mean "role:loadbalancer"\?\)$/);
    expect(messages(topology({ clients: ['role:app-server-legacy'] }))).toEqual(['FT329 clients of service "pg" name role "app-server-legacy", which no host has (roles hosts have: app, database, hub, loadbalancer)']);
  });

  test('a host written with "role:" is named as such', () => {
    expect(messages(topology({ clients: ['role:lb'] }))).toEqual(['FT329 clients of service "pg" name role "lb", which no host has ("lb" is a host: write it without "role:")']);
  });

  test('the schema refuses an empty list, a repeated entry and anything that is not a name or role:name', () => {
    expect(errorCodes(topology({ clients: [] }))).toEqual(['FT206']);
    expect(errorCodes(topology({ clients: ['app', 'app'] }))).toEqual(['FT207']);
    for (const entry of ['App', 'role:', 'role:role:app', 'app,hub', 'app }', '"app"', 'role: app', 'host:app']) {
      expect(errorCodes(topology({ clients: [entry] })), entry).toEqual(['FT205']);
    }
  });
});

describe('allow', () => {
  test('IPv4 and IPv6 networks on a frontend bound beyond loopback', () => {
    expect(errorCodes(topology({ frontend: { bind: '*:6432', allow: ['203.0.113.0/24', '2001:db8::/32', '0.0.0.0/0', '::/0', '192.0.2.7/32'] } }))).toEqual([]);
    expect(errorCodes(topology({ frontend: { bind: '192.0.2.50:6432', allow: ['203.0.113.0/24'] } }))).toEqual([]);
  });

  test('a malformed network, a prefix out of range or host bits set: FT340 at the entry', () => {
    const errors = messages(topology({ frontend: { bind: '*:6432', allow: ['203.0.113.0/33', '256.0.0.0/8', '10.1/16', '2001:db8::/129', '2001:db8:::/32', '203.0.113.7/24', '2001:db8::1/32', '010.0.0.0/8'] } }));
    expect(errors).toEqual([
      'FT340 allow entry "203.0.113.0/33" of frontend "public" is not an IPv4 or IPv6 network (write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32)',
      'FT340 allow entry "256.0.0.0/8" of frontend "public" is not an IPv4 or IPv6 network (write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32)',
      'FT340 allow entry "10.1/16" of frontend "public" is not an IPv4 or IPv6 network (write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32)',
      'FT340 allow entry "2001:db8::/129" of frontend "public" is not an IPv4 or IPv6 network (write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32)',
      'FT340 allow entry "2001:db8:::/32" of frontend "public" is not an IPv4 or IPv6 network (write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32)',
      'FT340 allow entry "203.0.113.7/24" of frontend "public" has host bits set (write the network, 203.0.113.0/24)',
      'FT340 allow entry "2001:db8::1/32" of frontend "public" has host bits set (write the network, 2001:db8::/32)',
      'FT340 allow entry "010.0.0.0/8" of frontend "public" is not an IPv4 or IPv6 network (write a network such as 203.0.113.0/24 or 2001:db8::/32; one address is 203.0.113.7/32)',
    ]);
  });

  test('the schema refuses an address without a prefix, text that is not an address, an empty list', () => {
    for (const entry of ['203.0.113.7', 'any', '203.0.113.0/24 accept', '203.0.113.0/24;', 'fe80::1%eth0/64', '"10.0.0.0/8"']) {
      expect(errorCodes(topology({ frontend: { bind: '*:6432', allow: [entry] } })), entry).toEqual(['FT205']);
    }
    expect(errorCodes(topology({ frontend: { bind: '*:6432', allow: [] } }))).toEqual(['FT206']);
  });

  test('allow on a loopback frontend limits nothing: FT341', () => {
    expect(messages(topology({ frontend: { bind: '127.0.0.53:6432', allow: ['203.0.113.0/24'] } }))).toEqual([
      'FT341 frontend "public" of load balancer "edge" is bound to 127.0.0.53, which only its own host reaches: allow has nothing to limit (remove allow, or bind the frontend to an address other hosts reach)',
    ]);
  });

  test('an IPv6 network for a frontend bound to one IPv4 address: FT342; on every address it is fine', () => {
    expect(errorCodes(topology({ frontend: { bind: '192.0.2.50:6432', allow: ['203.0.113.0/24', '2001:db8::/32'] } }))).toEqual(['FT342']);
    expect(errorCodes(topology({ frontend: { bind: ':6432', allow: ['2001:db8::/32'] } }))).toEqual([]);
  });
});

describe('ports the firewall treats otherwise', () => {
  test("a service on its host's SSH port: FT343 (the firewall never closes SSH)", () => {
    expect(errorsOf(topology({ servicePort: 22 }))).toEqual([expect.stringMatching(/^FT343 \d+$/)]);
    expect(errorCodes(topology({ frontend: { bind: '*:2222' }, sshPort: 2222 }))).toEqual(['FT343']);
    expect(errorCodes(topology({ frontend: { bind: '*:22' }, sshPort: 2222 }))).toEqual([]);
  });

  test("a frontend on a public address of a host, on a service's port there: FT344", () => {
    const onHub = (bind: string) =>
      smallTopology(
        { hub: { roles: ['hub'], endpoint: '192.0.2.1', meshAddress: '10.100.0.1' } },
        {
          services: { pg: { port: 5432, hosts: ['hub'] } },
          loadBalancers: { edge: { hosts: ['hub'], frontends: [{ name: 'db', bind, backend: 'pgs' }], backends: { pgs: { servers: [{ host: 'hub', service: 'pg' }] } } } },
        },
      );
    expect(errorCodes(onHub('192.0.2.1:5432'))).toEqual(['FT344']);
    expect(errorCodes(onHub('*:5432'))).toEqual(['FT316']); // every address: a clash of listeners already
    expect(errorCodes(onHub('10.100.0.1:5432'))).toEqual(['FT316']);
    expect(errorCodes(onHub('127.0.0.1:5432'))).toEqual([]); // loopback is never filtered
    expect(errorCodes(onHub('192.0.2.1:5433'))).toEqual([]);
  });
});

test('parseIpNetwork normalizes what it accepts', () => {
  expect(parseIpNetwork('2001:DB8:0:0::/32')).toMatchObject({ family: 6, cidr: '2001:db8::/32', prefixLength: 32 });
  expect(parseIpNetwork('0.0.0.0/0')).toMatchObject({ family: 4, cidr: '0.0.0.0/0' });
  expect(parseIpNetwork('::ffff:10.0.0.0/104')).toMatchObject({ family: 6, cidr: '::ffff:a00:0/104' });
  expect(parseIpNetwork('10.0.0.0/08')).toEqual({ problem: 'invalid' });
});
