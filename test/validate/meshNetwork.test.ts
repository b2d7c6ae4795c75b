// mesh.cidr is private address space and clear of every endpoint and SSH address; hubs have distinct endpoints.
import { describe, expect, test } from 'vitest';
import { smallTopology } from '../support/smallTopology.js';
import { errorCodes, validateText } from './validateText.js';

const withCidr = (cidr: string, hosts: Parameters<typeof smallTopology>[0] = { hub: { roles: ['hub'], endpoint: '192.0.2.1' }, app: {} }) => smallTopology(hosts, {}, { cidr });

describe('mesh.cidr', () => {
  test.each(['10.0.0.0/8', '10.100.0.0/24', '172.16.0.0/12', '172.31.255.0/24', '192.168.0.0/16', '192.168.77.0/28', '100.64.0.0/10', '100.127.255.248/29'])(
    'accepts the private or shared network %s',
    (cidr) => {
      expect(errorCodes(withCidr(cidr))).toEqual([]);
    },
  );

  test.each([
    ['0.0.0.0/0', /every IPv4 address/],
    ['0.0.0.0/8', /"this network"/],
    ['8.8.8.0/24', /public address space/],
    ['11.0.0.0/24', /public address space/],
    ['10.0.0.0/7', /reaches beyond private address space/],
    ['172.0.0.0/8', /reaches beyond private address space|public/],
    ['172.32.0.0/16', /public address space/],
    ['192.168.0.0/15', /reaches beyond private address space/],
    ['100.0.0.0/9', /reaches beyond private address space/],
    ['100.128.0.0/24', /public address space/],
    ['127.0.0.0/24', /loopback/],
    ['169.254.0.0/24', /link-local/],
    ['224.0.0.0/24', /multicast/],
    ['198.18.0.0/24', /reserved/],
    ['192.0.2.0/24', /reserved/],
  ])('refuses %s', (cidr, why) => {
    const { diagnostics } = validateText(withCidr(cidr));
    const errors = diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['FT319']);
    expect(errors[0]!.message).toMatch(why);
    expect(errors[0]!.span?.start.line).toBeGreaterThan(0);
  });

  test('an endpoint or SSH address inside the mesh is refused at that address, naming the CIDR', () => {
    const { diagnostics } = validateText(
      smallTopology({ hub: { roles: ['hub'], endpoint: '10.100.0.200' }, app: {} }, {}, { cidr: '10.100.0.0/24' }),
    );
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.message])).toEqual([
      ['FT320', 'endpoint 10.100.0.200 of host "hub" is inside mesh.cidr 10.100.0.0/24: spokes would route the way to it into the tunnel it is needed to build'],
    ]);
  });

  test('addresses outside the mesh, IPv6 and DNS endpoints are fine', () => {
    const text = smallTopology(
      { hub: { roles: ['hub'], endpoint: '10.101.0.1' }, hub2: { roles: ['hub'], endpoint: '2001:db8::1' }, hub3: { roles: ['hub'], endpoint: 'hub3.example.net' }, app: {} },
      {},
      { cidr: '10.100.0.0/24' },
    );
    expect(errorCodes(text)).toEqual([]);
  });

  test('the edges of the mesh count: its network and broadcast addresses are inside', () => {
    expect(errorCodes(smallTopology({ hub: { roles: ['hub'], endpoint: '10.100.0.0' }, app: {} }))).toEqual(['FT320']);
    expect(errorCodes(smallTopology({ hub: { roles: ['hub'], endpoint: '10.100.0.255' }, app: {} }))).toEqual(['FT320']);
    expect(errorCodes(smallTopology({ hub: { roles: ['hub'], endpoint: '10.100.1.0' }, app: {} }))).toEqual([]);
  });

  test('an SSH address inside the mesh is refused at ssh.address', () => {
    const text = smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1' }, app: {} }).replace(/(\n  app:\n)/, '$1    ssh: { address: 10.100.0.9 }\n');
    const errors = validateText(text).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['FT320']);
    expect(errors[0]!.message).toMatch(/^ssh\.address 10\.100\.0\.9 of host "app" is inside mesh\.cidr 10\.100\.0\.0\/24/);
  });
});

describe('hub endpoints', () => {
  test('two hubs with one endpoint: an error at the hub written second', () => {
    const text = smallTopology({ zulu: { roles: ['hub'], endpoint: '192.0.2.1' }, alpha: { roles: ['hub'], endpoint: '192.0.2.1' }, app: {} });
    const errors = validateText(text).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.message])).toEqual([['FT321', 'hubs "zulu" and "alpha" both have the endpoint 192.0.2.1: spokes would dial one machine for both']]);
    expect(errors[0]!.span!.start.line).toBeGreaterThan(text.split('\n').findIndex((l) => l === '  alpha:'));
  });

  test('endpoints compare as addresses and as case-insensitive DNS names', () => {
    expect(errorCodes(smallTopology({ a: { roles: ['hub'], endpoint: '2001:db8::1' }, b: { roles: ['hub'], endpoint: '2001:0db8:0:0::1' } }))).toEqual(['FT321']);
    expect(errorCodes(smallTopology({ a: { roles: ['hub'], endpoint: 'Hub.Example.net' }, b: { roles: ['hub'], endpoint: 'hub.example.net' } }))).toEqual(['FT321']);
    expect(errorCodes(smallTopology({ a: { roles: ['hub'], endpoint: '192.0.2.1' }, b: { roles: ['hub'], endpoint: '192.0.2.2' } }))).toEqual([]);
  });

  test('a spoke may share an endpoint with a hub (two hosts behind one address are not dialled as one)', () => {
    expect(errorCodes(smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1' }, app: { endpoint: '192.0.2.1' } }))).toEqual([]);
  });
});
