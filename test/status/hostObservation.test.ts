import { describe, expect, test } from 'vitest';
import { parseHostObservation } from '../../src/status/hostObservation.js';

const HUB = '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=';
const SPOKE = '8xLtNVWHeVTAkyrszH/6CLt8tMOSPV8kUreHa4ZFuCo=';

describe('parseHostObservation', () => {
  test("apply's lines and status's, as readState.sh prints them with STATUS_PROBE=1", () => {
    const output = [
      'file 0f 1a /etc/wireguard/wg0.conf'.replace('0f 1a', 'a'.repeat(64)),
      'file - /etc/haproxy/haproxy.cfg',
      `key ${SPOKE}`,
      'last free 20261125101010-abcd1234 applied',
      'now 1795625918',
      'wg up',
      `peer ${HUB} 198.18.0.1:51820 10.99.0.0/24 1795625900 1234 5678 25`,
      `peer ${SPOKE} (none) (none) 0 0 0 off`,
      'rtt 412',
      'rtt 388',
      'haproxy\tdatabase_nodes\toslo-db-01\tUP\tL4OK\t12\t0',
      'haproxy\tdatabase_nodes\toslo-db-02\tDOWN 1/3\tL4CON\t3\t1',
      'firewall different',
      'firewall-diff + tcp dport 9999 drop',
      'firewall-diff - tcp dport 5432 drop comment "postgres"',
      '',
    ].join('\n');
    const observed = parseHostObservation(output);
    expect(observed.state.hashes.get('/etc/wireguard/wg0.conf')).toBe('a'.repeat(64));
    expect(observed.state.hashes.get('/etc/haproxy/haproxy.cfg')).toBeUndefined();
    expect(observed.state.last).toEqual({ tx: '20261125101010-abcd1234', outcome: 'applied', detail: '', busy: false });
    expect(observed).toMatchObject({ now: 1795625918, wireguard: 'up', rttSamples: [0.000412, 0.000388] });
    expect(observed.peers).toEqual([
      { publicKey: HUB, endpoint: '198.18.0.1:51820', allowedIps: ['10.99.0.0/24'], latestHandshake: 1795625900, rxBytes: 1234, txBytes: 5678, persistentKeepalive: 25 },
      { publicKey: SPOKE, allowedIps: [], latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 0 },
    ]);
    expect(observed.servers).toEqual([
      { backend: 'database_nodes', server: 'oslo-db-01', status: 'UP', checkStatus: 'L4OK', lastChangeSeconds: 12, backup: false },
      { backend: 'database_nodes', server: 'oslo-db-02', status: 'DOWN 1/3', checkStatus: 'L4CON', lastChangeSeconds: 3, backup: true },
    ]);
    expect(observed.firewall).toEqual({ state: 'different', differences: ['+ tcp dport 9999 drop', '- tcp dport 5432 drop comment "postgres"'] });
    expect(observed.rttFailure).toBeUndefined();
  });

  test('an interface that is down, a tunnel that does not answer, HAProxy and nft that cannot be read', () => {
    expect(parseHostObservation('wg down\n')).toMatchObject({ wireguard: 'down', peers: [], rttSamples: [] });
    expect(parseHostObservation('wg up\nrtt 900\nrtt-failed\n')).toMatchObject({ rttSamples: [0.0009], rttFailure: 'connect failed' });
    expect(parseHostObservation('wg up\nrtt-timeout\n')).toMatchObject({ rttSamples: [], rttFailure: 'timed out' });
    expect(parseHostObservation('haproxy-error no stats socket at /run/haproxy/admin.sock: HAProxy is not running\n').haproxyError).toBe('no stats socket at /run/haproxy/admin.sock: HAProxy is not running');
    expect(parseHostObservation('firewall unknown nft is not installed\n').firewall).toEqual({ state: 'unknown', detail: 'nft is not installed', differences: [] });
    expect(parseHostObservation('firewall missing\n').firewall).toEqual({ state: 'missing', differences: [] });
    // Nothing said: nothing assumed.
    expect(parseHostObservation('')).toMatchObject({ wireguard: 'not read', peers: [], rttSamples: [], servers: [] });
  });

  test("a host's text is data: control characters are stripped, and a line that is not a peer is no peer", () => {
    const observed = parseHostObservation(
      ['haproxy\tdb\x1b[31m\tsrv\r\n', 'firewall-diff x', 'firewall different', 'firewall-diff + \x1b]8;;http://x\x07link', 'peer not-a-key 1.2.3.4:1 10.0.0.1/32 0 0 0 off', 'rtt -5', 'rtt 1.5', ''].join('\n'),
    );
    expect(observed.servers).toEqual([{ backend: 'db [31m', server: 'srv', status: '', checkStatus: '', backup: false }]);
    expect(observed.firewall!.differences).toEqual(['+ ]8;;http://x link']);
    expect(observed.peers).toEqual([]);
    expect(observed.rttSamples).toEqual([]);
  });
});
