// apply's plan when `keys rotate` left a new key beside the current one and the topology names it.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseRemoteState, planHost, type PlannedFile } from '../../src/apply/hostPlan.js';
import { interfaceLines } from '../../src/render/wireguard/disruption.js';

const OLD = '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=';
const NEW = 'Xq2CVyQBb6jMqZ5hFh8SgQ0tgoBzsNYvtN4ybs3A0W4=';
const OTHER = 'mJ0u4Cwv6Q2x4d1tFZcH8xg5hYmQ5Jt2b7Yh2d9N0F8=';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const conf = '[Interface]\nAddress = 10.0.0.2/24\nListenPort = 51820\nPostUp = wg set %i private-key /etc/wireguard/wg0.key\n\n[Peer]\nPublicKey = A\nAllowedIPs = 10.0.0.0/24\n';
const wgFile: PlannedFile = { path: 'hosts/h/etc/wireguard/wg0.conf', hostPath: '/etc/wireguard/wg0.conf', mode: '0600', reload: 'wireguard', content: conf, sha256: sha(conf) };
const state = (lines: string) => parseRemoteState(`file ${sha(conf)} /etc/wireguard/wg0.conf\ninterface ${Buffer.from(interfaceLines(conf)).toString('base64')}\n${lines}`);

describe('a key rotation in the plan', () => {
  test('the topology names the waiting key: the host switches live, though no file changes', () => {
    const plan = planHost('h', false, NEW, [wgFile], state(`key ${OLD}\nkeyfile ${OLD}\nnextkey ${NEW}\n`));
    expect(plan).toMatchObject({ rotateKey: true, changes: [], wireguard: 'live', disruption: 'live' });
    expect(plan.refusal).toBeUndefined();
  });

  test('a host that has switched already has nothing to do', () => {
    expect(planHost('h', false, NEW, [wgFile], state(`key ${NEW}\nkeyfile ${NEW}\n`))).toMatchObject({ rotateKey: false, changes: [] });
  });

  test('a waiting key the topology does not name changes nothing, and a key nobody made is still refused', () => {
    expect(planHost('h', false, OLD, [wgFile], state(`key ${OLD}\nkeyfile ${OLD}\nnextkey ${NEW}\n`))).toMatchObject({ rotateKey: false, changes: [] });
    const wrong = planHost('h', false, OTHER, [wgFile], state(`key ${OLD}\nkeyfile ${OLD}\nnextkey ${NEW}\n`));
    expect(wrong.rotateKey).toBe(false);
    expect(wrong.refusal).toMatch(/^identity: this host's WireGuard key is/);
  });
});
