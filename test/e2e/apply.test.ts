// fortress apply against a lab of real hosts: network namespaces with sshd, wg-quick/wireguard-go,
// HAProxy and a database stand-in. The tests run in order and build on each other, as a fleet's
// history does: first converge, failover, a no-op, a live change under traffic, then faults.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../bench/generateTopology.mjs';
import { applyFleet } from '../../src/apply/applyFleet.js';
import { hostJobs } from '../../src/apply/hostJobs.js';
import { connectSsh } from '../../src/apply/sshConnection.js';
import { readRenderedTree } from '../../src/emit/renderedTree.js';
import { snapshotOfFiles } from '../../src/review/treeSnapshot.js';
import { runCli } from '../../src/cli/runCli.js';
import { compileText } from '../support/compileExample.js';
import { requireRoot, requireTools } from '../support/tools.js';
import { buildApplyLab, LAB_HAPROXY_STOP, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { Lab } from './lab/lab.js';
import { labCli, type ApplyReport } from './lab/labCli.js';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const lab = new Lab(`fp${process.pid}`);
let fleet: ApplyLab;
/** The topology as the tests last applied it; every edit starts from it and each fault test restores it. */
let baseline: string;
let fullTopology: string;

const { fortress, apply } = labCli(() => fleet);

async function renderTopology(edit: (t: typeof fleet.topology) => void) {
  const topology = JSON.parse(baseline) as typeof fleet.topology;
  edit(topology);
  fleet.writeTopology(topology);
  expect((await fortress('render')).code).toBe(0);
}

async function restoreBaseline() {
  fleet.writeTopology(JSON.parse(baseline));
  expect((await fortress('render')).code).toBe(0);
}

const host = (name: string) => fleet.host(name);
const resultOf = (report: ApplyReport, name: string) => report.hosts.find((h) => h.host === name)!;
const sh = async (h: ApplyLabHost, script: string, timeoutMs = 30_000) => {
  const out = await h.exec(script, { timeoutMs });
  return out.stdout.trim();
};
/** sha256 of every managed file on the host, to prove a failed apply left them as they were. */
const managedFiles = (h: ApplyLabHost) => sh(h, 'sha256sum /etc/wireguard/*.conf /etc/sysctl.d/90-fortress.conf /etc/haproxy/haproxy.cfg 2>/dev/null; true');
const tcpBanner = (h: ApplyLabHost, address: string, port: number) => sh(h, `timeout 2 bash -c 'exec 3<>/dev/tcp/${address}/${port}; head -n1 <&3' 2>/dev/null; true`);

let hub: ApplyLabHost;
let backup: ApplyLabHost;
let balancer: ApplyLabHost;
let spoke: ApplyLabHost;
let newcomer: ApplyLabHost;

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'haproxy', 'wg', 'wg-quick', 'wireguard-go', 'nsenter', 'unshare', 'ping');
  fleet = await buildApplyLab(lab, { hosts: 5, extraProfile: { FORTRESS_HAPROXY_STOP: LAB_HAPROXY_STOP } });
  hub = fleet.hosts.find((h) => h.isHub)!;
  backup = fleet.hosts.find((h) => h.isDatabase && !h.isHub)!;
  balancer = fleet.hosts.find((h) => (fleet.topology.hosts[h.name]!.roles as string[]).includes('loadbalancer'))!;
  [spoke, newcomer] = fleet.hosts.filter((h) => !h.isDatabase && h !== balancer) as [ApplyLabHost, ApplyLabHost];
  // Addresses pinned as the lab computed them, so hosts coming and going move nobody.
  const full = structuredClone(fleet.topology);
  for (const h of fleet.hosts) full.hosts[h.name]!.meshAddress = h.meshAddress;
  fullTopology = JSON.stringify(full);
  // The newcomer exists in the lab from the start but joins the topology only in the live-change test.
  const topology = structuredClone(full);
  delete topology.hosts[newcomer.name];
  baseline = JSON.stringify(topology);
  fleet.writeTopology(topology);
  expect((await fortress('render')).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await lab.teardown();
  if (fleet) expect(await fleet.leftovers()).toEqual([]);
}, 60_000);

describe('fortress apply in the lab', () => {
  test('the first apply from nothing brings up the whole mesh', async () => {
    const { code, report, log } = await apply();
    expect(code, log).toBe(0);
    expect(report.hosts.map((h) => [h.host, h.result]).sort()).toEqual(fleet.hosts.filter((h) => h !== newcomer).map((h) => [h.name, 'applied']).sort());
    expect(report.hosts.filter((h) => h.host !== hub.name).every((h) => h.rttMs! > 0)).toBe(true);
    for (const h of [backup, balancer, spoke]) {
      expect(await sh(h, `ping -c 1 -W 2 ${hub.meshAddress} >/dev/null && echo ok`), h.name).toBe('ok');
      expect(await sh(h, `wg show wg0 public-key`)).toBe(fleet.topology.hosts[h.name]!.publicKey);
    }
    expect(await sh(hub, 'sysctl -n net.ipv4.ip_forward')).toBe('1');
    // The interface's own key, set once the interface is up on this first apply: no ICMP redirects.
    expect(await sh(hub, 'sysctl -n net.ipv4.conf.wg0.send_redirects net.ipv4.conf.all.send_redirects')).toBe('0\n0');
    expect(await sh(hub, 'tail -n 1 /var/lib/fortress/journal')).toMatch(/ applied$/);
  }, 120_000);

  test('HAProxy reaches the database through the tunnel, and fails over to the backup', async () => {
    await hub.startService();
    await backup.startService();
    const banner = () => tcpBanner(balancer, '127.0.0.1', 5432);
    const until = async (want: string, seconds: number) => {
      const start = Date.now();
      for (let i = 0; i < seconds * 4 && !(await banner()).includes(want); i++) await new Promise((r) => setTimeout(r, 250));
      expect(await banner()).toContain(want);
      return (Date.now() - start) / 1000;
    };
    await until(hub.name, 20); // rise 3 x inter 2s before the primary counts as up
    await hub.stopService();
    const failover = await until(backup.name, 20);
    // fall 2 x inter 2s, plus one check timeout: the backup takes over well inside 10 s.
    expect(failover).toBeLessThan(10);
    await hub.startService();
  }, 90_000);

  test('an unchanged re-apply writes nothing on any host', async () => {
    const before = await Promise.all(fleet.hosts.map((h) => sh(h, 'find /etc/wireguard /etc/sysctl.d /etc/haproxy /var/lib/fortress -type f -printf "%p %T@\\n" 2>/dev/null | sort')));
    const summary = join(fleet.dir, '..', `step-summary-${process.pid}.md`);
    let stdout = '';
    const code = await runCli(['apply'], { cwd: fleet.dir, stdout: (t) => (stdout += t), stderr: () => {}, env: { sshKeyFile: fleet.clientKeyPath, githubStepSummary: summary } });
    expect(code).toBe(0);
    expect(stdout).toContain(`0 applied, ${fleet.hosts.length - 1} unchanged, 0 planned, 0 failed, 0 rolled back, 0 skipped\n`);
    // In GitHub Actions the same table lands in the job summary, as markdown.
    const markdown = readFileSync(summary, 'utf8');
    rmSync(summary);
    expect(markdown).toMatch(/^### fortress apply\n\n\| host \| changed files \| disruption \| result \| rtt \| time \|\n/);
    expect(markdown).toContain(`| ${hub.name} (hub) | 0 | none | unchanged | - |`);
    const after = await Promise.all(fleet.hosts.map((h) => sh(h, 'find /etc/wireguard /etc/sysctl.d /etc/haproxy /var/lib/fortress -type f -printf "%p %T@\\n" 2>/dev/null | sort')));
    expect(after).toEqual(before);
  }, 60_000);

  test('--dry-run reads every host, prints the plan, and changes nothing', async () => {
    await renderTopology((t) => void ((t.hosts[spoke.name]!.sysctl as unknown) = { 'net.ipv4.tcp_fin_timeout': 25 }));
    const before = await managedFiles(spoke);
    const dry = await fortress('apply', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`\n${spoke.name}: live\n  /etc/sysctl.d/90-fortress.conf (sysctl)\n`);
    expect(dry.stdout).toContain('0 applied, 3 unchanged, 1 planned, 0 failed, 0 rolled back, 0 skipped\n');
    expect(await managedFiles(spoke)).toBe(before);
    await restoreBaseline();
  }, 60_000);

  test('a live change (a new spoke) under a TCP stream and a ping: no tunnel drops, the hub keeps its key', async () => {
    // 15 s of traffic from a spoke to the hub: ping every 0.2 s, and a TCP connection to the database every 0.2 s.
    const traffic = spoke.exec(
      `ping -q -i 0.2 -c 75 ${hub.meshAddress} | grep -o '[0-9.]*% packet loss' & ` +
        `fails=0; for i in $(seq 75); do timeout 1 bash -c 'exec 3<>/dev/tcp/${hub.meshAddress}/5432; head -n1 <&3' >/dev/null 2>&1 || fails=$((fails+1)); sleep 0.2; done; echo "tcp failures $fails"; wait`,
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 1_500));
    baseline = fullTopology; // the newcomer joins
    await restoreBaseline();
    const { code, report, log } = await apply();
    expect(code, log).toBe(0);
    expect(resultOf(report, hub.name)).toMatchObject({ result: 'applied', disruption: 'live' });
    expect(resultOf(report, newcomer.name)).toMatchObject({ result: 'applied', disruption: 'restart' });
    const out = (await traffic).stdout;
    expect(out).toContain('0% packet loss');
    expect(out).toContain('tcp failures 0');
    expect(await sh(hub, 'wg show wg0 public-key')).toBe(fleet.topology.hosts[hub.name]!.publicKey);
    expect(await sh(newcomer, `ping -c 1 -W 2 ${spoke.meshAddress} >/dev/null && echo ok`)).toBe('ok');
  }, 120_000);
});

describe('authentication', () => {
  test('through an SSH agent (SSH_AUTH_SOCK), the way a workstation runs apply', async () => {
    const socket = join(fleet.dir, '..', `agent-${process.pid}.sock`);
    // Foreground (-D), so this test owns the agent's pid and ends it itself.
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
      execFileSync('ssh-add', [fleet.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      let stdout = '';
      const code = await runCli(['apply', '--dry-run'], { cwd: fleet.dir, stdout: (t) => (stdout += t), stderr: () => {}, env: { sshAuthSock: socket } });
      expect(code).toBe(0);
      expect(stdout).toContain(' unchanged, 0 planned, 0 failed, 0 rolled back, 0 skipped\n');
    } finally {
      agent.kill();
      rmSync(socket, { force: true });
    }
  }, 60_000);
});

describe('fortress keys bootstrap', () => {
  test('creates a key on the host only when it has none, and prints only the public key', async () => {
    const existing = await fortress('keys', 'bootstrap', newcomer.name);
    expect(existing).toMatchObject({ code: 0, stdout: `${newcomer.name}: already has a WireGuard key in /etc/wireguard/wg0.key\npublicKey: ${fleet.topology.hosts[newcomer.name]!.publicKey}\n` });

    await sh(newcomer, 'mv /etc/wireguard/wg0.key /etc/wireguard/wg0.key.kept');
    try {
      const created = await fortress('keys', 'bootstrap', newcomer.name);
      expect(created.code).toBe(0);
      const publicKey = /publicKey: (\S+)/.exec(created.stdout)![1]!;
      expect(publicKey).not.toBe(fleet.topology.hosts[newcomer.name]!.publicKey);
      expect(await sh(newcomer, 'stat -c %a /etc/wireguard/wg0.key; wg pubkey < /etc/wireguard/wg0.key')).toBe(`600\n${publicKey}`);
      // Only the public half ever crosses to this side: the private key is in no output.
      const privateKey = await sh(newcomer, 'cat /etc/wireguard/wg0.key');
      expect(`${created.stdout}${created.stderr}`).not.toContain(privateKey);
    } finally {
      await sh(newcomer, 'mv -f /etc/wireguard/wg0.key.kept /etc/wireguard/wg0.key');
    }
  }, 60_000);
});

describe('fortress keys bootstrap, when the host cannot be reached as pinned', () => {
  test('a changed host key or an unreachable host is a clean one-line error, exit 1, never a stack trace', async () => {
    await renderTopology((t) => void (t.hosts[newcomer.name]!.ssh = { ...(t.hosts[newcomer.name]!.ssh as object), hostKey: spoke.hostKeyLine }));
    const wrongKey = await fortress('keys', 'bootstrap', newcomer.name);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(new RegExp(`^fortress: ${newcomer.name}: cannot connect: ${newcomer.name} presented host key ssh-ed25519 \\S+, not the one pinned in the topology: refusing to connect`));
    await renderTopology((t) => void (t.hosts[newcomer.name]!.ssh = { ...(t.hosts[newcomer.name]!.ssh as object), address: newcomer.underlayAddress.replace(/\.\d+$/, '.250') }));
    const unreachable = await fortress('keys', 'bootstrap', newcomer.name);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^fortress: ${newcomer.name}: cannot connect: `));
    for (const run of [wrongKey, unreachable]) expect(`${run.stdout}${run.stderr}`).not.toMatch(/internal error|\n\s+at /);
    await restoreBaseline();
  }, 60_000);
});

describe('faults: nothing is left half-configured', () => {
  test('an unreachable host fails, the others converge, and a later apply catches it up', async () => {
    await renderTopology((t) => {
      (t.sysctl as { defaults: Record<string, number> }).defaults['net.ipv4.tcp_keepalive_intvl'] = 30;
      t.hosts[spoke.name]!.ssh = { ...(t.hosts[spoke.name]!.ssh as object), address: spoke.underlayAddress.replace(/\.\d+$/, '.250') };
    });
    const { code, report } = await apply();
    expect(code).toBe(1);
    expect(resultOf(report, spoke.name)).toMatchObject({ result: 'failed' });
    expect(resultOf(report, spoke.name).message).toMatch(/^cannot connect/);
    expect(report.hosts.filter((h) => h.host !== spoke.name).every((h) => h.result === 'applied')).toBe(true);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_keepalive_intvl')).not.toBe('30');

    await renderTopology((t) => void ((t.sysctl as { defaults: Record<string, number> }).defaults['net.ipv4.tcp_keepalive_intvl'] = 30));
    const again = await apply();
    expect(again.code).toBe(0);
    expect(resultOf(again.report, spoke.name)).toMatchObject({ result: 'applied', changedFiles: ['/etc/sysctl.d/90-fortress.conf'] });
    expect(again.report.hosts.filter((h) => h.host !== spoke.name).every((h) => h.result === 'unchanged')).toBe(true);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_keepalive_intvl')).toBe('30');
    baseline = JSON.stringify(fleet.topology);
  }, 120_000);

  test('a changed host key is refused before anything is sent', async () => {
    const files = await managedFiles(spoke);
    await renderTopology((t) => {
      t.hosts[spoke.name]!.ssh = { ...(t.hosts[spoke.name]!.ssh as object), hostKey: newcomer.hostKeyLine };
      (t.hosts[spoke.name]!.sysctl as unknown) = { 'net.ipv4.tcp_fin_timeout': 20 };
    });
    const { code, report } = await apply('--hosts', spoke.name);
    expect(code).toBe(1);
    expect(resultOf(report, spoke.name).message).toMatch(/presented host key ssh-ed25519 \S+, not the one pinned in the topology: refusing to connect/);
    expect(await managedFiles(spoke)).toBe(files);
    await restoreBaseline();
  }, 60_000);

  test("a remote haproxy -c failure leaves the load balancer on its working config", async () => {
    const files = await managedFiles(balancer);
    // A host whose haproxy user went missing: its own haproxy -c rejects the config, ours did not.
    await sh(balancer, "sed -i '/^haproxy:/d' /etc/passwd");
    await renderTopology((t) => {
      const edge = (t.loadBalancers as Record<string, { backends: Record<string, { check: { interval: string } }> }>).edge!;
      edge.backends.database_nodes!.check.interval = '3s';
    });
    const { code, report } = await apply('--hosts', balancer.name);
    expect(code).toBe(1);
    expect(resultOf(report, balancer.name).message).toMatch(/^validate: haproxy -c rejects the new haproxy.cfg/);
    expect(await managedFiles(balancer)).toBe(files);
    expect(await tcpBanner(balancer, '127.0.0.1', 5432)).not.toBe(''); // still serving
    await sh(balancer, "grep -q '^haproxy:' /etc/passwd || getent passwd haproxy >/dev/null || echo 'haproxy:x:999:999::/var/lib/haproxy:/usr/sbin/nologin' >> /etc/passwd");
    await restoreBaseline();
  }, 60_000);

  test('a connection cut mid-upload changes nothing, and the next apply converges', async () => {
    const files = await managedFiles(spoke);
    await renderTopology((t) => void ((t.hosts[spoke.name]!.sysctl as unknown) = { 'net.ipv4.tcp_fin_timeout': 21 }));
    const compiled = compileText(readFileSync(fleet.topologyPath, 'utf8'), readFileSync(join(fleet.dir, 'topology/topology.lock.json'), 'utf8'));
    const tree = snapshotOfFiles('rendered/', readRenderedTree(join(fleet.dir, 'rendered')));
    const jobs = hostJobs(compiled.model, tree.manifest!, tree.files, [spoke.name]);
    const results = await applyFleet(
      jobs,
      {
        connect: async (target) => {
          const remote = await connectSsh(target, { privateKey: readFileSync(fleet.clientKeyPath) });
          return {
            ...remote,
            upload: async (files) => {
              await remote.upload(files.slice(0, 1).map((f) => ({ ...f, content: f.content.slice(0, 10) })));
              remote.close(); // the line goes down halfway through the upload
              throw new Error('connection reset during upload');
            },
          };
        },
        onEvent: () => {},
        now: () => Date.now(),
      },
      { dryRun: false, concurrency: 1, verifyTimeoutSeconds: 10, confirmTimeoutSeconds: 10, lockWaitSeconds: 10 },
    );
    expect(results[0]).toMatchObject({ host: spoke.name, result: 'failed', message: 'connection lost: connection reset during upload' });
    expect(await managedFiles(spoke)).toBe(files);
    const { code, report } = await apply('--hosts', spoke.name);
    expect(code).toBe(0);
    expect(resultOf(report, spoke.name)).toMatchObject({ result: 'applied' });
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).toBe('21');
    await restoreBaseline();
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
  }, 90_000);

  test('a tunnel that does not handshake after activation is rolled back', async () => {
    const files = await managedFiles(spoke);
    // The spoke is given a hub key that no hub holds: its new config can never handshake. (A wrong hub
    // endpoint would not do: WireGuard roams to wherever the hub's authenticated packets come from.)
    await renderTopology((t) => void (t.hosts[hub.name]!.publicKey = generateKeyPair().publicKey));
    const { code, report } = await apply('--hosts', spoke.name);
    expect(code).toBe(1);
    expect(resultOf(report, spoke.name).result).toBe('rolled back');
    expect(resultOf(report, spoke.name).message).toMatch(/verify: no TCP connection to the hub .* through the tunnel/);
    expect(resultOf(report, spoke.name).message).toContain('rolled back to the previous files');
    expect(await managedFiles(spoke)).toBe(files);
    expect(await sh(spoke, `ping -c 1 -W 3 ${hub.meshAddress} >/dev/null && echo ok`)).toBe('ok');
    expect(await sh(spoke, 'tail -n 1 /var/lib/fortress/journal')).toMatch(/ rolled-back verify: no TCP connection to the hub .* through the tunnel within \d+s$/);
    await restoreBaseline();
  }, 90_000);

  test('an identity mismatch is refused before WireGuard is touched', async () => {
    const files = await managedFiles(spoke);
    await renderTopology((t) => void (t.hosts[spoke.name]!.publicKey = generateKeyPair().publicKey));
    const { code, report } = await apply('--hosts', spoke.name);
    expect(code).toBe(1);
    expect(resultOf(report, spoke.name).message).toMatch(/^identity: this host's WireGuard key is \S+, but the topology says \S+$/);
    expect(await managedFiles(spoke)).toBe(files);
    await restoreBaseline();
  }, 60_000);

  test('a second apply started during the first waits for the lock: transactions never interleave', async () => {
    await renderTopology((t) => void ((t.hosts[spoke.name]!.sysctl as unknown) = { 'net.ipv4.tcp_fin_timeout': 22 }));
    const journalBefore = Number(await sh(spoke, 'wc -l < /var/lib/fortress/journal'));
    const runs = await Promise.all([apply('--hosts', spoke.name), apply('--hosts', spoke.name)]);
    const entries = (await sh(spoke, `tail -n +${journalBefore + 1} /var/lib/fortress/journal`)).split('\n').map((l) => l.split(' ').slice(1));
    // One transaction, then the other, never both at once.
    expect(entries.map(([, event]) => event)).toEqual(['running', 'applied', 'running', expect.stringMatching(/^(applied|refused)$/)]);
    expect(entries[0]![0]).toBe(entries[1]![0]);
    expect(entries[2]![0]).toBe(entries[3]![0]);
    // Both planned against the same state: the second finds the host changed under it and refuses.
    if (entries[3]![1] === 'refused') {
      const refused = runs.find((r) => r.code === 1)!;
      expect(resultOf(refused.report, spoke.name).message).toBe('the host changed since it was read (/etc/sysctl.d/90-fortress.conf); run apply again');
    }
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).toBe('22');
    await restoreBaseline();
    expect((await apply()).code).toBe(0);
  }, 90_000);
});
