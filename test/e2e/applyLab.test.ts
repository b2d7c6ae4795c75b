// The lab `fortress apply` is tested in, tested on its own: three hosts in network namespaces, each
// with a real sshd that the test process reaches over the underlay with the lab's client key and a
// pinned host key, private directories nobody else sees, and a profile whose HAProxy commands work
// with a rendered haproxy.cfg. Needs root.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireRoot, requireTools } from '../support/tools.js';
import { compileText } from '../support/compileExample.js';
import { APPLY_LAB_PRIVATE_DIRS, buildApplyLab, LAB_HAPROXY_STOP, LAB_PROFILE, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { runChecked } from './lab/command.js';
import { Lab } from './lab/lab.js';
import { knownHostsLine, sshRun } from './lab/sshClient.js';

const lab = new Lab(`fa${process.pid}`);
const live = { lab: undefined as ApplyLab | undefined };
const scratch = mkdtempSync(join(tmpdir(), 'fortress-applylab-test-'));
const knownHostsPath = join(scratch, 'known_hosts');

function applyLab(): ApplyLab {
  if (!live.lab) throw new Error('the lab did not come up; see beforeAll');
  return live.lab;
}

function ssh(host: ApplyLabHost, command: string, knownHosts = knownHostsPath) {
  return sshRun({ address: host.underlayAddress }, { keyPath: applyLab().clientKeyPath, knownHostsPath: knownHosts }, command);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const alive = async (host: ApplyLabHost, pid: string) => (await host.exec(`[ -d /proc/${pid} ] && ! grep -q '^State:.*Z' /proc/${pid}/status`)).code === 0;

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh', 'ssh-keygen', 'haproxy', 'wg', 'nsenter', 'unshare', 'bash', 'findmnt');
  try {
    live.lab = await buildApplyLab(lab, { hosts: 3, shape: 'hub-and-spoke' });
    writeFileSync(knownHostsPath, live.lab.knownHosts(), { mode: 0o600 });
  } catch (error) {
    await lab.teardown();
    throw error;
  }
}, 60_000);

afterAll(async () => {
  const built = live.lab;
  const names = [...lab.namespaceNames()];
  try {
    await lab.teardown();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const listed = (await runChecked('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0]);
  expect(listed.filter((name) => names.includes(name ?? ''))).toEqual([]);
  if (built) {
    // Namespaces, every process in their network or mount namespaces (sshd, holders, services,
    // haproxy), the root-side veth, routes into the underlay, temp dirs.
    expect(await built.leftovers()).toEqual([]);
    expect(existsSync(built.clientKeyPath)).toBe(false);
    expect(existsSync(built.dir)).toBe(false);
  }
}, 60_000);

describe('apply lab: 3 hosts, real sshd reachable from the test process', { timeout: 30_000 }, () => {
  test('the topology: a hub that is also a database, a second database, a load balancer; every host has ssh', () => {
    const { hosts, topology, underlay } = applyLab();
    expect(hosts.map((h) => [h.name, h.isHub, h.isDatabase])).toEqual([
      ['oslo-db-01', true, true],
      ['oslo-db-02', false, true],
      ['fra-app-0002', false, false],
    ]);
    for (const host of hosts) {
      const entry = topology.hosts[host.name]!;
      expect(entry.ssh).toEqual({ address: host.underlayAddress, port: 22, user: 'root', hostKey: host.hostKeyLine });
      expect(host.hostKeyLine).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/);
      expect(host.underlayAddress.startsWith(`${underlay.underlay}.`)).toBe(true);
      expect(host.meshAddress).toMatch(/^10\.99\.0\.\d+$/);
    }
    expect(topology.hosts['oslo-db-01']!.endpoint).toBe(hosts[0]!.underlayAddress);
    expect(topology.hosts['fra-app-0002']!.roles).toContain('loadbalancer');
    // The file on disk is the object, and compiles.
    const compiled = compileText(readFileSync(applyLab().topologyPath, 'utf8'));
    expect(compiled.model.hosts.map((h) => [h.name, h.meshAddress]).sort()).toEqual(hosts.map((h) => [h.name, h.meshAddress]).sort());
    expect(statSync(applyLab().clientKeyPath).mode & 0o777).toBe(0o600);
    expect(applyLab().clientKeyPath.startsWith(applyLab().dir)).toBe(false);
  });

  test('ssh as root with the client key and a pinned host key works on every host', async () => {
    const { interfaceName } = applyLab();
    const profile = Object.entries(LAB_PROFILE).map(([name, value]) => `${name}='${value}'`);
    await Promise.all(
      applyLab().hosts.map(async (host) => {
        const result = await ssh(host, 'cat /etc/fortress/profile; ls /etc/wireguard; findmnt -n -o FSTYPE,SOURCE /etc/wireguard; id -un; ip -o -4 addr show dev eth0');
        expect(result.code, `${host.name}: ${result.stderr}\nsshd: ${host.sshdLog()}`).toBe(0);
        const lines = result.stdout.trim().split('\n');
        for (const line of profile) expect(lines).toContain(line);
        expect(lines).toContain(`${interfaceName}.key`);
        expect(result.stdout).toMatch(new RegExp(`^tmpfs\\s+${host.ns.name}\\s*$`, 'm'));
        expect(lines).toContain('root');
        expect(result.stdout).toContain(`inet ${host.underlayAddress}/24`);
      }),
    );
  });

  test("each host's WireGuard key is there, 0600, and matches the topology's public key (checked on the host)", async () => {
    const { interfaceName, topology } = applyLab();
    for (const host of applyLab().hosts) {
      const result = await ssh(host, `stat -c %a /etc/wireguard/${interfaceName}.key && wg pubkey < /etc/wireguard/${interfaceName}.key && ip link show ${interfaceName} 2>/dev/null | wc -l`);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(['600', topology.hosts[host.name]!.publicKey, '0']);
    }
  });

  test('the private directories are private: what one host writes there, no other host and not this machine sees', async () => {
    const [first, second] = applyLab().hosts;
    const marker = `lab-marker-${randomBytes(6).toString('hex')}`;
    const dirs = [...APPLY_LAB_PRIVATE_DIRS, '/etc', '/var/lib'];
    const paths = dirs.map((dir) => `${dir}/${marker}`);
    const written = await ssh(first!, `set -e; for p in ${paths.join(' ')}; do echo x > "$p"; done; ls ${paths.join(' ')}`);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout.trim().split('\n').sort()).toEqual([...paths].sort());
    const elsewhere = await ssh(second!, `for p in ${paths.join(' ')}; do [ -e "$p" ] && echo "$p"; done; true`);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stdout).toBe('');
    for (const path of paths) expect(existsSync(path), path).toBe(false);
    // Mount points of the copy-on-write /etc and /var/lib never reach this machine either.
    expect(existsSync('/etc/fortress')).toBe(false);
    expect(existsSync('/var/lib/fortress')).toBe(false);
    const mounts = await ssh(second!, `for d in ${APPLY_LAB_PRIVATE_DIRS.join(' ')} /etc /var/lib; do echo "$d $(findmnt -n -o FSTYPE,SOURCE -T "$d")"; done`);
    expect(mounts.code, mounts.stderr).toBe(0);
    expect(mounts.stdout.trim().split('\n').map((l) => l.split(/\s+/))).toEqual([
      ...APPLY_LAB_PRIVATE_DIRS.map((d) => [d, 'tmpfs', second!.ns.name]),
      ['/etc', 'overlay', second!.ns.name],
      ['/var/lib', 'overlay', second!.ns.name],
    ]);
  });

  test('a wrong or unknown host key is refused, and so is another client key', async () => {
    const [first, second] = applyLab().hosts;
    const wrong = join(scratch, 'known_hosts.wrong');
    writeFileSync(wrong, `${knownHostsLine(first!.underlayAddress, second!.hostKeyLine)}\n`, { mode: 0o600 });
    const changed = await ssh(first!, 'echo reached', wrong);
    expect(changed.code).toBe(255);
    expect(changed.stdout).not.toContain('reached');
    expect(changed.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');

    const empty = join(scratch, 'known_hosts.empty');
    writeFileSync(empty, '', { mode: 0o600 });
    const unknown = await ssh(first!, 'echo reached', empty);
    expect(unknown.code).toBe(255);
    expect(unknown.stderr).toContain('Host key verification failed');

    const otherKey = join(scratch, 'other_key');
    await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const stranger = await sshRun({ address: first!.underlayAddress }, { keyPath: otherKey, knownHostsPath }, 'echo reached');
    expect(stranger.code).toBe(255);
    expect(stranger.stderr).toContain('Permission denied (publickey)');
  });

  test("the rendered sysctl file applies in every host with fortress's default command", async () => {
    const { compiled } = applyLab();
    for (const host of applyLab().hosts) {
      const file = compiled.files.find((f) => f.host === host.name && f.hostPath === '/etc/sysctl.d/90-fortress.conf');
      expect(file, host.name).toBeDefined();
      await host.ns.writeFile('/etc/sysctl.d/90-fortress.conf', file!.content, 0o644);
      // apply runs it once the mesh interface is up (a hub's file names the interface's own key):
      // a stand-in interface of that name plays the part here.
      if (host.isHub) await host.ns.shChecked('ip tuntap add dev wg0 mode tun');
      const result = await ssh(host, 'sysctl -q -p /etc/sysctl.d/90-fortress.conf && sysctl -n net.ipv4.tcp_keepalive_time net.ipv4.ip_forward');
      if (host.isHub) await host.ns.shChecked('ip link del wg0');
      expect(result.code, `${host.name}: ${result.stderr}`).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(['600', host.isHub ? '1' : '0']);
    }
  });

  test("the profile's HAProxy START and RELOAD work over ssh with the rendered haproxy.cfg", async () => {
    const { compiled, hosts } = applyLab();
    const balancer = hosts.find((h) => h.name === 'fra-app-0002')!;
    const cfg = compiled.files.find((f) => f.host === balancer.name && f.hostPath === '/etc/haproxy/haproxy.cfg');
    expect(cfg?.content).toMatch(/stats socket \/run\/haproxy\/admin\.sock .*expose-fd listeners/);
    await balancer.ns.writeFile('/etc/haproxy/haproxy.cfg', cfg!.content, cfg!.mode);
    const profile = '. /etc/fortress/profile';

    const check = await ssh(balancer, 'haproxy -c -f /etc/haproxy/haproxy.cfg');
    expect(check.code, check.stdout + check.stderr).toBe(0);

    // The ssh session must end although haproxy runs on: it must not hold the session's stdout.
    const started = await ssh(balancer, `${profile} && eval "$FORTRESS_HAPROXY_START" && cat /run/haproxy.pid`);
    expect(started.code, started.stderr).toBe(0);
    const first = started.stdout.trim();
    expect(first).toMatch(/^\d+$/);
    const about = async (pid: string) => (await balancer.exec(`cat /proc/${pid}/comm; readlink /proc/${pid}/ns/net`)).stdout.trim().split('\n');
    const netns = (await balancer.exec('readlink /proc/self/ns/net')).stdout.trim();
    expect(await about(first)).toEqual(['haproxy', netns]);
    const listens = () => balancer.exec('timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/5432"');
    expect((await listens()).code).toBe(0);
    expect((await balancer.exec('[ -S /run/haproxy/admin.sock ]')).code).toBe(0);

    const reloaded = await ssh(balancer, `${profile} && eval "$FORTRESS_HAPROXY_RELOAD" && cat /run/haproxy.pid`);
    expect(reloaded.code, reloaded.stderr).toBe(0);
    const second = reloaded.stdout.trim();
    expect(second).toMatch(/^\d+$/);
    expect(second).not.toBe(first);
    expect(await about(second)).toEqual(['haproxy', netns]);
    await waitFor(`the old haproxy ${first} to exit after the reload`, async () => !(await alive(balancer, first)));
    expect((await listens()).code).toBe(0);

    const stopped = await ssh(balancer, LAB_HAPROXY_STOP);
    expect(stopped.code, stopped.stderr).toBe(0);
    await waitFor(`haproxy ${second} to exit`, async () => !(await alive(balancer, second)));
    expect((await listens()).code).not.toBe(0);
  });

  test('a database host serves on its mesh address once that address exists, and stops', async () => {
    const db = applyLab().hosts.find((h) => h.name === 'oslo-db-02')!;
    // No WireGuard in the lab: the address does not exist, so the service cannot bind it.
    await expect(db.startService()).rejects.toThrow(/EADDRNOTAVAIL/);
    // Stand in for the tunnel: the mesh address on lo, just for this test.
    await db.ns.shChecked('ip address add "$1/32" dev lo', [db.meshAddress!]);
    try {
      await db.startService();
      const pid = db.servicePid();
      expect(pid).toBeGreaterThan(0);
      const read = await db.exec(`timeout 2 bash -c 'exec 3<>/dev/tcp/${db.meshAddress}/5432; cat <&3'`);
      expect(read.code, read.stderr).toBe(0);
      expect(read.stdout).toBe(`postgres ${db.name}\n`);
      await db.stopService();
      expect(db.servicePid()).toBeUndefined();
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      expect((await db.exec(`timeout 2 bash -c 'exec 3<>/dev/tcp/${db.meshAddress}/5432'`)).code).not.toBe(0);
    } finally {
      await db.ns.shChecked('ip address del "$1/32" dev lo', [db.meshAddress!]);
    }
    await expect(applyLab().hosts[2]!.startService()).rejects.toThrow(/not a database host/);
  });
});
