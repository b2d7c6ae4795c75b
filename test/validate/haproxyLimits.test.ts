// HAProxy timers fit HAProxy (checked against the real `haproxy -c` at the boundary), and frontends
// bind only addresses of their own host.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { durationMs, HAPROXY_MAX_TIMER_MS } from '../../src/validate/rules/haproxyTimers.js';
import { compileText } from '../support/compileExample.js';
import { smallTopology } from '../support/smallTopology.js';
import { requireTools } from '../support/tools.js';
import { errorCodes, validateText } from './validateText.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-haproxy-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Balancer {
  interval?: string;
  bind?: string;
  lbHosts?: string[];
  pins?: Record<string, string>;
  serviceOn?: string[];
}

function withBalancer({ interval = '2s', bind = '127.0.0.1:5432', lbHosts = ['lb'], pins = {}, serviceOn = ['db'] }: Balancer): string {
  const pin = (name: string) => (pins[name] ? { meshAddress: pins[name] } : {});
  return smallTopology(
    { db: { roles: ['hub'], endpoint: '192.0.2.1', ...pin('db') }, lb: { ...pin('lb') }, lb2: { ...pin('lb2') } },
    {
      services: { pg: { port: 5432, hosts: serviceOn } },
      loadBalancers: { edge: { hosts: lbHosts, frontends: [{ name: 'pg', bind, backend: 'pgs' }], backends: { pgs: { check: { interval }, servers: [{ host: 'db', service: 'pg' }] } } } },
    },
  );
}

describe('HAProxy timers', () => {
  test('durations are read as HAProxy reads them: a bare number is milliseconds', () => {
    expect(['500', '500ms', '2s', '1m', '35791m'].map(durationMs)).toEqual([500, 500, 2000, 60_000, 2_147_460_000]);
    expect(HAPROXY_MAX_TIMER_MS).toBe(2147483647);
  });

  test('35791m fits, 35792m is refused at the value', () => {
    expect(errorCodes(withBalancer({ interval: '35791m' }))).toEqual([]);
    const text = withBalancer({ interval: '35792m' });
    const { diagnostics } = validateText(text);
    expect(diagnostics.map((d) => [d.code, text.split('\n')[d.span!.start.line - 1]!.trim()])).toEqual([['FT324', 'interval: 35792m']]);
    expect(errorCodes(withBalancer({ interval: '999999m' }))).toEqual(['FT324']);
    expect(errorCodes(withBalancer({ interval: '999999s' }))).toEqual([]);
  });

  test('the limit is the real haproxy’s: it accepts the largest interval fortress accepts and refuses the next', () => {
    requireTools('haproxy');
    const config = compileText(withBalancer({ interval: '35791m' })).files.find((f) => f.hostPath === '/etc/haproxy/haproxy.cfg')!.content;
    expect(config).toContain('check inter 35791m ');
    const check = (content: string) => {
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, content);
      try {
        execFileSync('haproxy', ['-c', '-f', file], { stdio: 'pipe' });
        return 'accepted';
      } catch {
        return 'refused';
      }
    };
    expect(check(config)).toBe('accepted');
    expect(check(config.replace('inter 35791m', 'inter 35792m'))).toBe('refused');
  });
});

describe('frontend binds', () => {
  test('loopback, wildcard and addresses outside the mesh are fine', () => {
    for (const bind of ['127.0.0.1:5432', '*:6432', ':6432', '192.0.2.50:6432']) expect(errorCodes(withBalancer({ bind }))).toEqual([]);
  });

  test('the host’s own pinned mesh address is fine on a free port', () => {
    expect(errorCodes(withBalancer({ bind: '10.100.0.20:6432', pins: { lb: '10.100.0.20' } }))).toEqual([]);
  });

  test('another host’s mesh address is refused at the bind, naming the owner', () => {
    const { diagnostics } = validateText(withBalancer({ bind: '10.100.0.1:6432', pins: { db: '10.100.0.1', lb: '10.100.0.20' } }));
    expect(diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['FT325', 'frontend "pg" of load balancer "edge" binds 10.100.0.1, inside mesh.cidr 10.100.0.0/24, but that is the mesh address of host "db", and the frontend runs on host "lb"', 'bind 127.0.0.1 or * instead'],
    ]);
  });

  test('a mesh address the host is not pinned to, or that only one of two load balancer hosts has, is refused', () => {
    expect(errorCodes(withBalancer({ bind: '10.100.0.30:6432' }))).toEqual(['FT325']);
    expect(errorCodes(withBalancer({ bind: '10.100.0.30:6432', pins: { lb: '10.100.0.20' } }))).toEqual(['FT325']);
    expect(errorCodes(withBalancer({ bind: '10.100.0.20:6432', lbHosts: ['lb', 'lb2'], pins: { lb: '10.100.0.20' } }))).toEqual(['FT325']);
  });

  test('its own mesh address on the port of a service of the same host is a port clash', () => {
    const { diagnostics } = validateText(withBalancer({ bind: '10.100.0.20:5432', pins: { lb: '10.100.0.20' }, serviceOn: ['db', 'lb'] }));
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['FT316', 'frontend "pg" of load balancer "edge" listens on port 5432 of the mesh address of host "lb", where service "pg" listens too'],
    ]);
    expect(errorCodes(withBalancer({ bind: '127.0.0.1:5432', serviceOn: ['db', 'lb'] }))).toEqual([]);
  });
});
