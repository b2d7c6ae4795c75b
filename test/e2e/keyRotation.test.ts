// `fortress keys rotate`, then render and apply, in the lab: a spoke and the hub each switch to a key
// made on the host, with no manual step; the old key file goes once the new key has shaken hands; and
// the tunnel's gap is measured from a host that pings through it the whole time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireRoot, requireTools } from '../support/tools.js';
import { buildApplyLab, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { Lab } from './lab/lab.js';
import { labCli } from './lab/labCli.js';

const lab = new Lab(`fr${process.pid}`);
let fleet: ApplyLab;
let hub: ApplyLabHost;
let spokes: ApplyLabHost[];

const { fortress, apply } = labCli(() => fleet);
const sh = async (h: ApplyLabHost, script: string) => (await h.exec(script, { timeoutMs: 60_000 })).stdout.trim();
const topologyText = () => readFileSync(join(fleet.dir, 'topology/topology.yaml'), 'utf8');

/** Pings `address` from `from` every 50 ms until stopped (at most 90 s); returns the stop function, which gives the longest gap between replies in seconds. */
async function gapProbe(from: ApplyLabHost, address: string): Promise<() => Promise<number>> {
  const pid = await sh(from, `setsid timeout 90 ping -D -n -i 0.05 -W 1 ${address} > /run/gap-probe.log 2>&1 < /dev/null & echo $!`);
  await new Promise((r) => setTimeout(r, 500));
  return async () => {
    await sh(from, `kill ${pid} 2>/dev/null; true`);
    const replies = (await sh(from, 'cat /run/gap-probe.log')).split('\n').flatMap((line) => {
      const match = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(line);
      return match ? [Number(match[1])] : [];
    });
    expect(replies.length).toBeGreaterThan(10);
    return Math.max(...replies.slice(1).map((t, i) => t - replies[i]!));
  };
}

async function rotate(h: ApplyLabHost): Promise<string> {
  const before = topologyText();
  const oldKey = fleet.topology.hosts[h.name]!.publicKey;
  const run = await fortress('keys', 'rotate', h.name, '--format', 'json');
  expect(run.code, run.stderr).toBe(0);
  const { publicKey, created, topologyUpdated } = JSON.parse(run.stdout) as { publicKey: string; created: boolean; topologyUpdated: boolean };
  expect({ created, topologyUpdated }).toEqual({ created: true, topologyUpdated: true });
  expect(publicKey).not.toBe(oldKey);
  // The new key waits beside the old one, which the host still runs.
  expect(await sh(h, 'wg pubkey < /etc/wireguard/wg0.key.next; wg pubkey < /etc/wireguard/wg0.key; wg show wg0 public-key')).toBe(`${publicKey}\n${oldKey}\n${oldKey}`);
  // Only the host's publicKey line changed in topology.yaml.
  expect(topologyText()).toBe(before.replace(oldKey, publicKey));
  fleet.topology.hosts[h.name]!.publicKey = publicKey;
  expect((await fortress('render')).code).toBe(0);
  return publicKey;
}

async function expectSwitched(h: ApplyLabHost, publicKey: string): Promise<void> {
  expect(await sh(h, 'wg show wg0 public-key; wg pubkey < /etc/wireguard/wg0.key; ls /etc/wireguard')).toBe(`${publicKey}\n${publicKey}\nwg0.conf\nwg0.key`);
}

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'wg', 'wg-quick', 'wireguard-go', 'nsenter', 'unshare', 'ping', 'timeout', 'setsid');
  fleet = await buildApplyLab(lab, { hosts: 4 });
  hub = fleet.hosts.find((h) => h.isHub)!;
  spokes = fleet.hosts.filter((h) => h !== hub);
  const topology = structuredClone(fleet.topology);
  for (const h of fleet.hosts) topology.hosts[h.name]!.meshAddress = h.meshAddress;
  fleet.writeTopology(topology);
  expect((await fortress('render')).code).toBe(0);
  const first = await apply();
  expect(first.code, first.log).toBe(0);
}, 180_000);

afterAll(async () => {
  await lab.teardown();
  if (fleet) expect(await fleet.leftovers()).toEqual([]);
}, 60_000);

describe('keys rotate', () => {
  test('a spoke: its new key is made on it, the topology updated, and apply switches the hub and the spoke with a gap of seconds', async () => {
    const spoke = spokes[0]!;
    const publicKey = await rotate(spoke);
    const stop = await gapProbe(spoke, hub.meshAddress!);
    const { code, report, log } = await apply();
    const gap = await stop();
    expect(code, `${log}\n${JSON.stringify(report, null, 2)}`).toBe(0);
    expect(report.hosts.find((h) => h.host === spoke.name)).toMatchObject({ result: 'applied' });
    await expectSwitched(spoke, publicKey);
    expect(await sh(hub, 'wg show wg0 peers')).toContain(publicKey);
    console.log(`keys rotate, a spoke: the longest gap through its tunnel was ${gap.toFixed(2)} s`);
    expect(gap).toBeLessThan(10);
  }, 180_000);

  test('the hub: every spoke follows, the old key file goes, and the gap a spoke sees is seconds', async () => {
    const watcher = spokes.at(-1)!;
    const publicKey = await rotate(hub);
    const stop = await gapProbe(watcher, hub.meshAddress!);
    const { code, log } = await apply();
    const gap = await stop();
    expect(code, log).toBe(0);
    await expectSwitched(hub, publicKey);
    for (const spoke of spokes) expect(await sh(spoke, `ping -c 1 -W 2 ${hub.meshAddress} >/dev/null && echo ok`), spoke.name).toBe('ok');
    console.log(`keys rotate, the hub: the longest gap a spoke saw through its tunnel was ${gap.toFixed(2)} s`);
    expect(gap).toBeLessThan(20);
  }, 180_000);

  test('rotating again before applying reuses the key waiting on the host', async () => {
    const spoke = spokes[1]!;
    const publicKey = await rotate(spoke);
    const again = await fortress('keys', 'rotate', spoke.name, '--format', 'json');
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, publicKey, topologyUpdated: false });
    const { code, log } = await apply();
    expect(code, log).toBe(0);
    await expectSwitched(spoke, publicKey);
  }, 180_000);

  test('a switch the hub cannot follow rolls back: the old key live and in its file, the new one waiting again', async () => {
    const spoke = spokes[2]!;
    const oldKey = fleet.topology.hosts[spoke.name]!.publicKey;
    const publicKey = await rotate(spoke);
    // Only the spoke: the hub never learns the new key, so the spoke's verify through the tunnel fails.
    const { code, report } = await apply('--hosts', spoke.name);
    expect(code).toBe(1);
    expect(report.hosts.find((h) => h.host === spoke.name)).toMatchObject({ result: 'rolled back' });
    expect(await sh(spoke, 'wg show wg0 public-key; wg pubkey < /etc/wireguard/wg0.key; wg pubkey < /etc/wireguard/wg0.key.next; ls /etc/wireguard')).toBe(
      `${oldKey}\n${oldKey}\n${publicKey}\nwg0.conf\nwg0.key\nwg0.key.next`,
    );
    expect(await sh(spoke, `ping -c 1 -W 2 ${hub.meshAddress} >/dev/null && echo ok`)).toBe('ok');
    // The next whole apply switches both ends.
    const again = await apply();
    expect(again.code, again.log).toBe(0);
    await expectSwitched(spoke, publicKey);
  }, 180_000);
});
