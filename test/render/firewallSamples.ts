// Topologies that exercise every part of the firewall: services with and without clients (hosts,
// roles, load-balancer hosts added automatically), frontends on loopback, on every address and on one
// address, with and without allow (IPv4 and IPv6), a custom SSH port, in both mesh shapes.
import type { SmallHost } from '../support/smallTopology.js';
import { smallTopology } from '../support/smallTopology.js';

export function firewallTopology(shape: 'hub-and-spoke' | 'full-mesh' = 'hub-and-spoke'): string {
  const endpoint = (i: number) => (shape === 'full-mesh' ? { endpoint: `198.51.100.${i}` } : {});
  const hosts: Record<string, SmallHost & { ssh?: { address: string; port?: number } }> = {
    hub: { roles: ['hub', 'database'], endpoint: '192.0.2.1' },
    db2: { roles: ['database'], ...endpoint(2) },
    app1: { roles: ['app'], ...endpoint(3) },
    app2: { roles: ['app'], ...endpoint(4), ssh: { address: '192.0.2.9', port: 2222 } },
    lb: { roles: ['loadbalancer'], ...endpoint(5) },
    ci: { roles: ['ci'], ...endpoint(6) },
  };
  return smallTopology(
    hosts,
    {
      services: {
        pg: { port: 5432, hosts: ['hub', 'db2'], clients: ['role:database', 'app1'] },
        cache: { port: 6379, hosts: ['app2'] },
        metrics: { port: 9100, hosts: ['app1', 'app2'], clients: ['role:ci'] },
      },
      loadBalancers: {
        edge: {
          hosts: ['lb'],
          frontends: [
            { name: 'db', bind: '127.0.0.1:5432', backend: 'pgs' },
            { name: 'web', bind: '*:443', backend: 'pgs', allow: ['2001:DB8:0::/32', '203.0.113.0/24', '198.51.100.0/24'] },
            { name: 'v6-only', bind: ':8443', backend: 'pgs', allow: ['2001:db8:ff::/48'] },
            { name: 'admin', bind: '192.0.2.50:9443', backend: 'pgs', allow: ['192.0.2.0/28'] },
            { name: 'open', bind: '*:8080', backend: 'pgs' },
          ],
          backends: { pgs: { servers: [{ host: 'hub', service: 'pg' }, { host: 'db2', service: 'pg', backup: true }] } },
        },
      },
    },
    { shape },
  );
}

/** A hub and two spokes, no load balancer; service names that start with a digit or hold a '-' name their client sets. */
export function minimalTopology(): string {
  return smallTopology(
    { hub: { roles: ['hub'], endpoint: '192.0.2.1' }, spoke: {}, 'spoke-2': {} },
    { services: { api: { port: 8080, hosts: ['spoke'] }, '2fa-api': { port: 8443, hosts: ['spoke', 'hub'], clients: ['spoke-2'] } } },
  );
}
