// mesh.presharedKeys: true, end to end in the lab: apply makes each pair's key in memory, puts it on
// both ends (and nowhere else), a new spoke gets its keys live, a host that lost its key files is
// caught up, and a hub's live reload keeps its private key and every preshared key.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireRoot, requireTools } from '../support/tools.js';
import { buildApplyLab, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { Lab } from './lab/lab.js';
import { labCli } from './lab/labCli.js';

const lab = new Lab(`fk${process.pid}`);
let fleet: ApplyLab;
let hub: ApplyLabHost;
let spokes: ApplyLabHost[];
let newcomer: ApplyLabHost;
let full: ApplyLab['topology'];
/** Everything fortress printed in these tests: no key may be in it. */
let printed = '';

const { fortress, apply } = labCli(() => fleet);
const sh = async (h: ApplyLabHost, script: string) => (await h.exec(script, { timeoutMs: 30_000 })).stdout.trim();

/** `wg show wg0 preshared-keys` of a host: peer public key -> key ("(none)" when it has none). */
async function presharedKeys(h: ApplyLabHost): Promise<Map<string, string>> {
  const out = await sh(h, 'wg show wg0 preshared-keys');
  return new Map(out.split('\n').filter(Boolean).map((line) => line.split('\t') as [string, string]));
}

/** The key the hub and a spoke share, as each end has it live. */
async function pairKeys(spoke: ApplyLabHost): Promise<{ atHub: string | undefined; atSpoke: string | undefined }> {
  return { atHub: (await presharedKeys(hub)).get(full.hosts[spoke.name]!.publicKey), atSpoke: (await presharedKeys(spoke)).get(full.hosts[hub.name]!.publicKey) };
}

async function applied(): Promise<void> {
  const { code, report, log } = await apply();
  printed += JSON.stringify(report) + log;
  expect(code, `${log}\n${JSON.stringify(report, null, 2)}`).toBe(0);
}

async function render(topology: object): Promise<void> {
  fleet.writeTopology(topology);
  const run = await fortress('render');
  printed += run.stdout + run.stderr;
  expect(run.code, run.stderr).toBe(0);
}

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'wg', 'wg-quick', 'wireguard-go', 'nsenter', 'unshare', 'ping');
  fleet = await buildApplyLab(lab, { hosts: 4 });
  hub = fleet.hosts.find((h) => h.isHub)!;
  const others = fleet.hosts.filter((h) => h !== hub);
  newcomer = others.at(-1)!;
  spokes = others.slice(0, -1);
  full = structuredClone(fleet.topology);
  (full.mesh as Record<string, unknown>).presharedKeys = true;
  for (const h of fleet.hosts) full.hosts[h.name]!.meshAddress = h.meshAddress;
  const first = structuredClone(full);
  delete first.hosts[newcomer.name];
  await render(first);
}, 120_000);

afterAll(async () => {
  await lab.teardown();
  if (fleet) expect(await fleet.leftovers()).toEqual([]);
}, 60_000);

describe('preshared keys', () => {
  test('the first converge gives every pair one key, the same at both ends, in 0600 files under a 0700 directory', async () => {
    await applied();
    for (const spoke of spokes) {
      const { atHub, atSpoke } = await pairKeys(spoke);
      expect(atHub, spoke.name).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(atSpoke).toBe(atHub);
      expect(await sh(spoke, `ping -c 1 -W 2 ${hub.meshAddress} >/dev/null && echo ok`)).toBe('ok');
      expect(await sh(spoke, `stat -c '%a' /etc/wireguard/wg0.psk /etc/wireguard/wg0.psk/${hub.name}.psk`)).toBe('700\n600');
    }
    // Two different pairs never share a key.
    const keys = await Promise.all(spokes.map(async (s) => (await pairKeys(s)).atHub));
    expect(new Set(keys).size).toBe(spokes.length);
  }, 180_000);

  test('a new spoke added live gets its key; the hub reloads live and keeps its private key and every other pair key', async () => {
    const before = await Promise.all(spokes.map(pairKeys));
    const hubPrivateBefore = await sh(hub, 'wg show wg0 private-key');
    await render(full);
    await applied();
    const { atHub, atSpoke } = await pairKeys(newcomer);
    expect(atHub).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(atSpoke).toBe(atHub);
    expect(await sh(newcomer, `ping -c 1 -W 2 ${hub.meshAddress} >/dev/null && echo ok`)).toBe('ok');
    expect(await Promise.all(spokes.map(pairKeys))).toEqual(before);
    expect(await sh(hub, 'wg show wg0 private-key')).toBe(hubPrivateBefore);
  }, 180_000);

  test('a host whose key files were deleted is caught up with fresh keys for its pairs, and its tunnel works', async () => {
    const [lost, untouched] = spokes as [ApplyLabHost, ApplyLabHost];
    const old = await pairKeys(lost);
    const keep = await pairKeys(untouched);
    await sh(lost, 'rm -rf /etc/wireguard/wg0.psk');
    await applied();
    const now = await pairKeys(lost);
    expect(now.atHub).not.toBe(old.atHub);
    expect(now.atSpoke).toBe(now.atHub);
    expect(await sh(lost, `cat /etc/wireguard/wg0.psk/${hub.name}.psk`)).toBe(now.atSpoke);
    expect(await pairKeys(untouched)).toEqual(keep);
    // The tunnel carries traffic with the new key. A handshake begun while only one end had it fails
    // and WireGuard retries it every 5 s (with jitter, and slower on a loaded machine): up to 45 s.
    const through = await lost.exec(`for i in $(seq 45); do ping -c 1 -W 1 ${hub.meshAddress} >/dev/null && { echo ok; break; }; done`, { timeoutMs: 90_000 });
    expect(through.stdout.trim()).toBe('ok');
  }, 180_000);

  test('an apply with nothing to do keeps every key', async () => {
    const before = await Promise.all(fleet.hosts.map(presharedKeys));
    await applied();
    expect(await Promise.all(fleet.hosts.map(presharedKeys))).toEqual(before);
  }, 180_000);

  test('no preshared key is in anything fortress printed or in any file of the repository', async () => {
    const keys = new Set<string>();
    for (const h of fleet.hosts) for (const key of (await presharedKeys(h)).values()) if (key !== '(none)') keys.add(key);
    expect(keys.size).toBe(spokes.length + 1);
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? (name === '.git' ? [] : files(path)) : [path];
      });
    const everything = [printed, ...files(fleet.dir).map((path) => readFileSync(path, 'utf8'))].join('\n');
    for (const key of keys) expect(everything.includes(key)).toBe(false);
  });
});
