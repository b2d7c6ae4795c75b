// Adding a host, as an operator does it: a new machine with only sshd and no WireGuard key, then
// `fortress enroll` with its host key fingerprint, `fortress render`, and `fortress apply` bring it
// into the mesh: no placeholder key, no hand-edited topology.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fingerprintOf } from '../../src/enroll/hostKeyTrust.js';
import { requireRoot, requireTools } from '../support/tools.js';
import { buildApplyLab, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { Lab } from './lab/lab.js';
import { labCli } from './lab/labCli.js';

const lab = new Lab(`fe${process.pid}`);
let fleet: ApplyLab;
let hub: ApplyLabHost;
let newcomer: ApplyLabHost;
/** The newcomer's entry as the lab generated it: where enroll's --site and --roles come from. */
let entry: { site: string; roles: string[] };
const { fortress, apply } = labCli(() => fleet);
const sh = async (h: ApplyLabHost, script: string) => (await h.exec(script, { timeoutMs: 30_000 })).stdout.trim();
const topologyText = () => readFileSync(join(fleet.dir, 'topology/topology.yaml'), 'utf8');

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'wg', 'wg-quick', 'wireguard-go', 'nsenter', 'unshare', 'ping');
  fleet = await buildApplyLab(lab, { hosts: 5 });
  hub = fleet.hosts.find((h) => h.isHub)!;
  // An app node no load balancer names: the topology is whole without it.
  const named = JSON.stringify(fleet.topology.loadBalancers ?? {});
  newcomer = fleet.hosts.filter((h) => !h.isDatabase && !named.includes(`"${h.name}"`)).at(-1)!;
  const topology = structuredClone(fleet.topology);
  entry = structuredClone(topology.hosts[newcomer.name]) as unknown as typeof entry;
  for (const h of fleet.hosts) topology.hosts[h.name]!.meshAddress = h.meshAddress;
  delete topology.hosts[newcomer.name];
  fleet.writeTopology(topology);
  const rendered = await fortress('render');
  expect(rendered.code, rendered.stderr).toBe(0);
  const first = await apply();
  expect(first.code, first.log).toBe(0);
  // A freshly booted machine: sshd and its host key, no WireGuard key.
  await sh(newcomer, 'rm -f /etc/wireguard/wg0.key');
}, 180_000);

afterAll(async () => {
  await lab.teardown();
  if (fleet) expect(await fleet.leftovers()).toEqual([]);
}, 60_000);

describe('fortress enroll', () => {
  const site = () => entry.site;
  const roles = () => entry.roles.join(',');

  test('a wrong fingerprint is refused and nothing changes, on the machine or in the topology', async () => {
    const before = topologyText();
    const wrong = fingerprintOf(hub.hostKeyLine);
    const run = await fortress('enroll', newcomer.name, '--ssh-address', newcomer.underlayAddress, '--site', site(), '--host-key-fingerprint', wrong);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/FT532/);
    expect(topologyText()).toBe(before);
    expect(await sh(newcomer, 'ls /etc/wireguard')).toBe('');
  }, 60_000);

  test('without a fingerprint it prints the one presented and refuses', async () => {
    const run = await fortress('enroll', newcomer.name, '--ssh-address', newcomer.underlayAddress, '--site', site());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(fingerprintOf(newcomer.hostKeyLine));
  }, 60_000);

  test('the right fingerprint: enroll, render and apply bring the machine into the mesh', async () => {
    const before = topologyText();
    const run = await fortress('enroll', newcomer.name, '--ssh-address', newcomer.underlayAddress, '--site', site(), '--roles', roles(), '--host-key-fingerprint', fingerprintOf(newcomer.hostKeyLine));
    expect(run.code, run.stderr).toBe(0);
    const publicKey = await sh(newcomer, 'wg pubkey < /etc/wireguard/wg0.key');
    expect(run.stdout).toContain(publicKey);
    const after = topologyText();
    // The file only grew: every line of it before is still there, in order.
    const kept = after.split('\n');
    let at = 0;
    for (const line of before.split('\n')) {
      at = kept.indexOf(line, at) + 1;
      expect(at, `"${line}" is gone or moved:\n${after}`).toBeGreaterThan(0);
    }
    expect(after).toContain(publicKey);
    expect(after).toContain(newcomer.hostKeyLine.split(' ')[1]);

    expect((await fortress('render')).code).toBe(0);
    const { code, report, log } = await apply();
    expect(code, `${log}\n${JSON.stringify(report, null, 2)}`).toBe(0);
    expect(report.hosts.find((h) => h.host === newcomer.name)).toMatchObject({ result: 'applied' });
    expect(await sh(newcomer, `ping -c 1 -W 2 ${hub.meshAddress} >/dev/null && echo ok`)).toBe('ok');
    expect(await sh(newcomer, 'wg show wg0 public-key')).toBe(publicKey);
  }, 180_000);
});
