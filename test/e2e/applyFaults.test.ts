// The promises of "What apply promises under faults", each drilled in a lab of real hosts (network
// namespaces with sshd, wireguard-go, HAProxy and nftables) under the fault it names. Every drill
// ends by checking the hosts themselves: the files, the kernel, the interface's key, and traffic
// through the tunnel, not only fortress's report. The drills run in order; each leaves the fleet
// on the baseline topology, converged and passing traffic.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../bench/generateTopology.mjs';
import { applyFleet } from '../../src/apply/applyFleet.js';
import { hostJobs } from '../../src/apply/hostJobs.js';
import { connectSsh } from '../../src/apply/sshConnection.js';
import { runCli } from '../../src/cli/runCli.js';
import { readRenderedTree } from '../../src/emit/renderedTree.js';
import { snapshotOfFiles } from '../../src/review/treeSnapshot.js';
import { compileText } from '../support/compileExample.js';
import { requireRoot, requireTools } from '../support/tools.js';
import { buildApplyLab, LAB_HAPROXY_STOP, LAB_PROFILE, profileText, type ApplyLab, type ApplyLabHost } from './lab/applyLab.js';
import { Lab } from './lab/lab.js';
import { labCli, type ApplyReport } from './lab/labCli.js';

const lab = new Lab(`fq${process.pid}`);
const bin = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const CONFIRM = 4;
let fleet: ApplyLab;
let baseline: string;
let hub: ApplyLabHost;
let balancer: ApplyLabHost;
let spoke: ApplyLabHost;
let other: ApplyLabHost;

const { fortress, apply } = labCli(() => fleet, ['--confirm-timeout', String(CONFIRM)]);

type Topology = typeof fleet.topology;
async function renderTopology(edit: (t: Topology) => void) {
  const topology = JSON.parse(baseline) as Topology;
  edit(topology);
  fleet.writeTopology(topology);
  expect((await fortress('render')).code).toBe(0);
}
const restoreBaseline = () => renderTopology(() => {});
const setSysctl = (t: Topology, name: string, values: Record<string, number>) => void ((t.hosts[name]!.sysctl as unknown) = values);

const resultOf = (report: ApplyReport, name: string) => report.hosts.find((h) => h.host === name)!;
const sh = async (h: ApplyLabHost, script: string, timeoutMs = 30_000) => (await h.exec(script, { timeoutMs })).stdout.trim();
const managedFiles = (h: ApplyLabHost) => sh(h, 'sha256sum /etc/wireguard/*.conf /etc/sysctl.d/90-fortress.conf /etc/haproxy/haproxy.cfg /etc/fortress/firewall.nft 2>/dev/null; true');
const lastTransaction = (h: ApplyLabHost) => sh(h, 'cat /var/lib/fortress/last 2>/dev/null; true');

/** The lab's profile on one host, with `extra` activation commands (the lab's own when there are none). */
const writeProfile = (h: ApplyLabHost, extra: Record<string, string> = {}) =>
  h.ns.writeFile('/etc/fortress/profile', profileText({ ...LAB_PROFILE, FORTRESS_HAPROXY_STOP: LAB_HAPROXY_STOP, ...extra }), 0o644);

/** Traffic through the tunnel: a ping to the hub's mesh address, retried for up to `seconds` (a restarted peer re-handshakes). */
async function reachesHub(h: ApplyLabHost, seconds = 30): Promise<boolean> {
  const out = await h.exec(`for i in $(seq ${seconds}); do ping -c 1 -W 1 ${hub.meshAddress} >/dev/null 2>&1 && { echo ok; exit 0; }; done; echo unreachable`, { timeoutMs: (seconds + 10) * 1000 });
  return out.stdout.trim() === 'ok';
}

/** Waits (bounded) until no transaction holds the host's lock and the last one has ended. */
async function settled(h: ApplyLabHost, seconds = 30): Promise<string> {
  const script = `for i in $(seq ${seconds * 5}); do if flock -n /var/lib/fortress/lock true 2>/dev/null && ! grep -q ' running' /var/lib/fortress/last 2>/dev/null; then cat /var/lib/fortress/last 2>/dev/null; exit 0; fi; sleep 0.2; done; echo still-running`;
  return sh(h, script, (seconds + 10) * 1000);
}

/** Applies to one host whose change cut SSH: unconfirmed, it rolls back by itself within the bound. */
async function expectUnconfirmedRollback(h: ApplyLabHost): Promise<void> {
  const started = Date.now();
  const { code, report } = await apply('--hosts', h.name);
  expect(code).toBe(1);
  expect(resultOf(report, h.name).result).not.toBe('applied');
  expect(await settled(h)).toMatch(/ rolled-back confirm: no confirmation from the controller over a fresh SSH connection within 4s$/);
  expect((Date.now() - started) / 1000).toBeLessThan(40);
}

/** `fortress apply` as a separate process, so a drill can kill it; `killOn` sees each progress line. */
function applyProcess(args: string[], killOn: (line: string) => boolean): Promise<{ killed: boolean; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'apply', '--confirm-timeout', String(CONFIRM), ...args], { cwd: fleet.dir, env: { ...process.env, FORTRESS_SSH_KEY: fleet.clientKeyPath }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let killed = false;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (!killed && stderr.split('\n').some(killOn)) {
      killed = child.kill('SIGKILL');
    }
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', () => (clearTimeout(guard), resolve({ killed, stderr }))));
}

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'haproxy', 'wg', 'wg-quick', 'wireguard-go', 'nsenter', 'unshare', 'ping', 'nft', 'sudo', 'setpriv', 'flock', 'setsid');
  fleet = await buildApplyLab(lab, { hosts: 4, extraProfile: { FORTRESS_HAPROXY_STOP: LAB_HAPROXY_STOP } });
  hub = fleet.hosts.find((h) => h.isHub)!;
  balancer = fleet.hosts.find((h) => (fleet.topology.hosts[h.name]!.roles as string[]).includes('loadbalancer'))!;
  [spoke, other] = fleet.hosts.filter((h) => !h.isHub && h !== balancer) as [ApplyLabHost, ApplyLabHost];
  const pinned = structuredClone(fleet.topology);
  for (const h of fleet.hosts) pinned.hosts[h.name]!.meshAddress = h.meshAddress;
  baseline = JSON.stringify(pinned);
  await restoreBaseline();
  const first = await apply();
  expect(first.code, first.log).toBe(0);
}, 180_000);

afterAll(async () => {
  await lab.teardown();
  if (fleet) expect(await fleet.leftovers()).toEqual([]);
}, 60_000);

describe('the controller can vanish at any moment', () => {
  test.each(['uploaded', 'step installed', 'step activated', 'rtt'])('killed (SIGKILL) at "%s": the host rolls back by itself, the next apply reports it and converges', async (event) => {
    const before = await managedFiles(spoke);
    const staged = await sh(spoke, 'ls /var/lib/fortress/staging');
    const value = 40 + ['uploaded', 'step installed', 'step activated', 'rtt'].indexOf(event);
    await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': value }));
    const run = await applyProcess(['--hosts', spoke.name], (line) => line.startsWith(`${spoke.name}: ${event}`));
    expect(run.killed, run.stderr).toBe(true);

    // Nobody will ever confirm: the host reverts within the confirm timeout, on its own.
    await new Promise((r) => setTimeout(r, 1000));
    const last = await settled(spoke);
    expect(last).not.toContain('running');
    // Killed once its transaction ran, the host must have rolled back; killed right after the upload,
    // the transaction may not have started at all.
    if (event !== 'uploaded') expect(last).toMatch(/ rolled-back /);
    expect(await managedFiles(spoke)).toBe(before);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).not.toBe(String(value));
    expect(await reachesHub(spoke)).toBe(true);
    // No litter from a transaction (one killed before its transaction started leaves its upload, cleared later).
    if (event !== 'uploaded') expect(await sh(spoke, 'ls /var/lib/fortress/staging')).toBe(staged);

    const again = await apply('--hosts', spoke.name);
    expect(again.code, again.log).toBe(0);
    expect(resultOf(again.report, spoke.name)).toMatchObject({ result: 'applied' });
    if (/ rolled-back /.test(last)) expect(resultOf(again.report, spoke.name).message).toMatch(/^the last transaction \S+ was rolled back \(confirm: no confirmation from the controller/);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).toBe(String(value));
    expect(await reachesHub(spoke)).toBe(true);
  }, 90_000);

  test('the SSH connection cut in the middle of the transaction: the host rolls back by itself, the next apply converges', async () => {
    const before = await managedFiles(spoke);
    await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 50 }));
    const compiled = compileText(readFileSync(fleet.topologyPath, 'utf8'), readFileSync(join(fleet.dir, 'topology/topology.lock.json'), 'utf8'));
    const tree = snapshotOfFiles('rendered/', readRenderedTree(join(fleet.dir, 'rendered')));
    const results = await applyFleet(
      hostJobs(compiled.model, tree.manifest!, tree.files, [spoke.name]),
      {
        connect: async (target) => {
          const remote = await connectSsh(target, { privateKey: readFileSync(fleet.clientKeyPath) });
          return {
            ...remote,
            // The client's socket closes as soon as the transaction reports its files installed.
            exec: (command, options) => remote.exec(command, { ...options, onLine: (line) => (options.onLine?.(line), line === 'fortress:step installed' && remote.close()) }),
          };
        },
        onEvent: () => {},
        now: () => Date.now(),
      },
      { dryRun: false, concurrency: 1, verifyTimeoutSeconds: 10, confirmTimeoutSeconds: CONFIRM, lockWaitSeconds: 10 },
    );
    expect(results[0]).toMatchObject({ host: spoke.name, result: 'failed' });
    expect(results[0]!.message).toMatch(/^connection lost during the transaction .*: the host finishes or rolls back by itself/);
    expect(await settled(spoke)).toMatch(/ rolled-back confirm: no confirmation/);
    expect(await managedFiles(spoke)).toBe(before);
    expect(await reachesHub(spoke)).toBe(true);

    const again = await apply('--hosts', spoke.name);
    expect(again.code, again.log).toBe(0);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).toBe('50');
    await restoreBaseline();
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
  }, 90_000);
});

describe('apply executes the plan it showed', () => {
  test('a stale plan: A, planned from an older commit, waits on the lock while B runs; A is refused and the host stays on B', async () => {
    await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 23 }));
    const compiled = compileText(readFileSync(fleet.topologyPath, 'utf8'), readFileSync(join(fleet.dir, 'topology/topology.lock.json'), 'utf8'));
    const tree = snapshotOfFiles('rendered/', readRenderedTree(join(fleet.dir, 'rendered')));
    const jobsOfA = hostJobs(compiled.model, tree.manifest!, tree.files, [spoke.name]);
    await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 24 }));

    let b: ReturnType<typeof apply> | undefined;
    const resultsOfA = await applyFleet(
      jobsOfA,
      {
        connect: async (target) => {
          const remote = await connectSsh(target, { privateKey: readFileSync(fleet.clientKeyPath) });
          return {
            ...remote,
            exec: async (command, options) => {
              if (options.stdin?.includes('tail --pid') && !b) {
                // A has read and planned; B (the newer commit) starts now and holds the lock first.
                b = apply('--hosts', spoke.name);
                const held = await sh(spoke, 'for i in $(seq 100); do flock -n /var/lib/fortress/lock true || { echo held; exit; }; sleep 0.1; done; echo free');
                expect(held).toBe('held');
              }
              return remote.exec(command, options);
            },
          };
        },
        onEvent: () => {},
        now: () => Date.now(),
      },
      { dryRun: false, concurrency: 1, verifyTimeoutSeconds: 10, confirmTimeoutSeconds: CONFIRM, lockWaitSeconds: 30 },
    );
    const resultOfB = await b!;
    expect(resultOfB.code, resultOfB.log).toBe(0);
    expect(resultsOfA[0]).toMatchObject({ result: 'failed' });
    expect(resultsOfA[0]!.message).toMatch(/^the host changed since it was read \(\/etc\/sysctl.d\/90-fortress.conf\); run apply again$/);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).toBe('24');
    expect(await sh(spoke, 'grep tcp_fin_timeout /etc/sysctl.d/90-fortress.conf')).toBe('net.ipv4.tcp_fin_timeout = 24');
    await restoreBaseline();
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
  }, 90_000);
});

describe('nothing is installed unless the previous state is safely kept', () => {
  test('disk full during backup: refused before anything changes, the host keeps working', async () => {
    const before = await managedFiles(spoke);
    const staged = await sh(spoke, 'ls /var/lib/fortress/staging');
    // The backup directory is full (a tiny file system, filled): staging and the log still have room.
    await sh(spoke, 'mount -t tmpfs -o size=8k,nr_inodes=3 fortress-full /var/lib/fortress/backup && chmod 700 /var/lib/fortress/backup && (dd if=/dev/zero of=/var/lib/fortress/backup/fill bs=4k count=4 2>/dev/null; touch /var/lib/fortress/backup/a /var/lib/fortress/backup/b 2>/dev/null; true)');
    try {
      await renderTopology((t) => {
        setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 26 });
        (t.mesh as { persistentKeepalive?: number }).persistentKeepalive = 21;
      });
      const { code, report } = await apply('--hosts', spoke.name);
      expect(code).toBe(1);
      expect(resultOf(report, spoke.name)).toMatchObject({ result: 'failed' });
      expect(resultOf(report, spoke.name).message).toMatch(/^backup: cannot .*; nothing was changed$/);
      expect(await managedFiles(spoke)).toBe(before);
      expect(await sh(spoke, 'wg show wg0 persistent-keepalive | cut -f2 | sort -u')).toBe('25');
      expect(await lastTransaction(spoke)).toMatch(/ refused backup: /);
      expect(await sh(spoke, 'ls /var/lib/fortress/staging')).toBe(staged);
      expect(await reachesHub(spoke)).toBe(true);
    } finally {
      await sh(spoke, 'umount /var/lib/fortress/backup');
    }
    await restoreBaseline();
  }, 60_000);

  test('a rollback that cannot restore says ROLLBACK FAILED (exit 1, in the report and the step summary); the next apply re-applies everything', async () => {
    // The host's sysctl hook fails for a value it cannot take, and, once it has failed, fails again.
    const profile = { FORTRESS_SYSCTL_APPLY: 'if [ -e /run/fortress-broken ]; then false; else sysctl -q -p /etc/sysctl.d/90-fortress.conf && if grep -q "tcp_fin_timeout = 31" /etc/sysctl.d/90-fortress.conf; then touch /run/fortress-broken; false; fi; fi' };
    await writeProfile(spoke, profile);
    try {
      await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 31 }));
      const summary = join(fleet.dir, '..', `summary-${process.pid}.md`);
      let stdout = '';
      const code = await runCli(['apply', '--hosts', spoke.name], { cwd: fleet.dir, stdout: (t) => (stdout += t), stderr: () => {}, env: { sshKeyFile: fleet.clientKeyPath, githubStepSummary: summary } });
      expect(code).toBe(1);
      expect(stdout).toMatch(new RegExp(`${spoke.name} .* ROLLBACK FAILED: activation failed; the previous files are kept in /var/lib/fortress/backup/`));
      expect(stdout).toContain(', 1 ROLLBACK FAILED\n');
      expect(readFileSync(summary, 'utf8')).toContain('ROLLBACK FAILED');
      expect(await lastTransaction(spoke)).toMatch(/ ROLLBACK-FAILED activation failed$/);

      await sh(spoke, 'rm -f /run/fortress-broken');
      await restoreBaseline();
      const again = await apply('--hosts', spoke.name);
      expect(again.code, again.log).toBe(0);
      expect(resultOf(again.report, spoke.name).message).toMatch(/^the last transaction \S+ could not roll back \(activation failed\); re-applying every file and verifying$/);
      expect(resultOf(again.report, spoke.name).changedFiles).toEqual([
        '/etc/fortress/firewall.nft',
        '/etc/fortress/fortress-firewall.service',
        '/etc/sysctl.d/90-fortress.conf',
        '/etc/wireguard/wg0.conf',
      ]);
      expect(await reachesHub(spoke)).toBe(true);
    } finally {
      await writeProfile(spoke);
    }
  }, 90_000);
});

describe('identity', () => {
  test('a stray key file on a spoke: refused before WireGuard is touched, the live key unchanged', async () => {
    const before = await managedFiles(spoke);
    await sh(spoke, 'cp -p /etc/wireguard/wg0.key /etc/wireguard/wg0.key.kept && (umask 077; wg genkey > /etc/wireguard/wg0.key)');
    try {
      await renderTopology((t) => void ((t.mesh as { persistentKeepalive?: number }).persistentKeepalive = 22));
      const dry = await fortress('apply', '--dry-run', '--hosts', spoke.name);
      expect(dry.code).toBe(1);
      expect(dry.stdout).toMatch(/refused: identity: the key file on the host is the key of \S+, but the topology says \S+/);
      const { code, report } = await apply('--hosts', spoke.name);
      expect(code).toBe(1);
      expect(resultOf(report, spoke.name).message).toMatch(/^identity: the key file on the host is the key of \S+, but the topology says \S+$/);
      expect(await sh(spoke, 'wg show wg0 public-key')).toBe(fleet.topology.hosts[spoke.name]!.publicKey);
      expect(await managedFiles(spoke)).toBe(before);
      expect(await reachesHub(spoke)).toBe(true);
    } finally {
      await sh(spoke, 'mv -f /etc/wireguard/wg0.key.kept /etc/wireguard/wg0.key');
    }
    await restoreBaseline();
  }, 60_000);
});

describe('a hub change is confirmed from the fleet', () => {
  test('a hub listen-port change with the new port blocked: the hub and the canary roll back, every spoke reaches the hub, exit 1', async () => {
    await sh(hub, 'nft -f - <<EOF\ntable inet drill {\n  chain input { type filter hook input priority -10; udp dport 51821 drop; }\n}\nEOF');
    try {
      await renderTopology((t) => void ((t.mesh as { listenPort?: number }).listenPort = 51821));
      const { code, report, log } = await apply();
      expect(code, log).toBe(1);
      expect(resultOf(report, hub.name)).toMatchObject({ result: 'rolled back' });
      expect(resultOf(report, hub.name).message).toMatch(/confirm: the controller asked to roll back: canary \S+ could not reach the hub through its new configuration/);
      const canary = report.hosts.find((h) => !h.host.startsWith(hub.name) && h.result === 'rolled back')!;
      expect(canary).toBeDefined();
      expect(report.hosts.filter((h) => h.result === 'skipped')).toHaveLength(fleet.hosts.length - 2);
      expect(await sh(hub, 'wg show wg0 listen-port')).toBe('51820');
      for (const h of fleet.hosts.filter((x) => x !== hub)) {
        expect(await sh(h, 'grep -c 51821 /etc/wireguard/wg0.conf; true'), h.name).toBe('0');
        expect(await reachesHub(h, 40), h.name).toBe(true);
      }
    } finally {
      await sh(hub, 'nft delete table inet drill');
    }
    await restoreBaseline();
  }, 150_000);

  test('a hub change that works is confirmed by the canary, then the fleet follows', async () => {
    await renderTopology((t) => void ((t.sysctl as { defaults: Record<string, number> }).defaults['net.ipv4.tcp_keepalive_intvl'] = 33));
    const { code, report, log } = await apply();
    expect(code, log).toBe(0);
    expect(log).toMatch(new RegExp(`${hub.name}: canary \\S+: checking the hub through the tunnel`));
    expect(report.hosts.every((h) => h.result === 'applied')).toBe(true);
    for (const h of fleet.hosts) expect(await sh(h, 'sysctl -n net.ipv4.tcp_keepalive_intvl')).toBe('33');
    await restoreBaseline();
    expect((await apply()).code).toBe(0);
  }, 90_000);
});

describe('lost connectivity rolls back', () => {
  test('a change that cuts the controller\'s SSH undoes itself within the confirm timeout', async () => {
    const before = await managedFiles(spoke);
    // The host's own activation hook drops SSH when the new value is in the file, and lifts the drop otherwise.
    const cut = 'nft add table inet cut && nft add chain inet cut input "{ type filter hook input priority -10; }" && nft add rule inet cut input tcp dport 22 drop';
    const profile = { FORTRESS_SYSCTL_APPLY: `sysctl -q -p /etc/sysctl.d/90-fortress.conf && if grep -q "tcp_fin_timeout = 29" /etc/sysctl.d/90-fortress.conf; then ${cut}; else nft delete table inet cut 2>/dev/null; true; fi` };
    await writeProfile(spoke, profile);
    try {
      await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 29 }));
      await expectUnconfirmedRollback(spoke);
      expect(await managedFiles(spoke)).toBe(before);
      expect(await sh(spoke, 'nft list tables')).not.toContain('cut');
      // Reachable over SSH again, and still to be changed.
      const dry = await fortress('apply', '--dry-run', '--hosts', spoke.name);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('0 applied, 0 unchanged, 1 planned');
    } finally {
      await writeProfile(spoke);
      await sh(spoke, 'nft delete table inet cut 2>/dev/null; true');
    }
    await restoreBaseline();
  }, 90_000);

  test('a black-holed host (its link down after connecting) fails in bounded time; the others converge', async () => {
    await renderTopology((t) => void ((t.sysctl as { defaults: Record<string, number> }).defaults['net.ipv4.tcp_keepalive_intvl'] = 34));
    const started = Date.now();
    let stdout = '';
    let downed = false;
    const run = runCli(['apply', '--format', 'json', '--confirm-timeout', String(CONFIRM)], {
      cwd: fleet.dir,
      stdout: (t) => (stdout += t),
      stderr: (t) => {
        if (!downed && t.startsWith(`${other.name}: uploaded`)) {
          downed = true;
          void other.exec('ip link set eth0 down');
        }
      },
      env: { sshKeyFile: fleet.clientKeyPath },
    });
    const code = await run;
    const seconds = (Date.now() - started) / 1000;
    const report = JSON.parse(stdout) as ApplyReport;
    expect(downed).toBe(true);
    expect(code).toBe(1);
    expect(resultOf(report, other.name).result).toBe('failed');
    expect(resultOf(report, other.name).message).toMatch(/no answer to SSH keepalives|the connection closed|no answer within/);
    expect(report.hosts.filter((h) => h.host !== other.name).every((h) => h.result === 'applied')).toBe(true);
    expect(seconds).toBeLessThan(45);
    await sh(other, 'ip link set eth0 up');
    expect(await settled(other)).not.toContain('running');
    expect(await reachesHub(other, 40)).toBe(true);
    await restoreBaseline();
    const again = await apply();
    expect(again.code, again.log).toBe(0);
  }, 150_000);
});

describe("the host's state is root's alone", () => {
  test('an unprivileged user cannot open the lock; a lock someone held open before is replaced, and apply goes on', async () => {
    expect(await sh(spoke, 'stat -c "%a %U" /var/lib/fortress /var/lib/fortress/lock')).toBe('700 root\n600 root');
    const open = await spoke.exec('setpriv --reuid=nobody --regid=nogroup --clear-groups bash -c "exec 9</var/lib/fortress/lock" 2>&1');
    expect(open.code).not.toBe(0);
    expect(open.stdout).toContain('Permission denied');

    // A host set up by an older fortress (0755, 0644): a local user takes the lock and holds it.
    await sh(spoke, 'chmod 0755 /var/lib/fortress && chmod 0644 /var/lib/fortress/lock');
    const holder = await sh(spoke, 'setsid setpriv --reuid=nobody --regid=nogroup --clear-groups flock /var/lib/fortress/lock sleep 60 >/dev/null 2>&1 < /dev/null & echo $!');
    try {
      await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 27 }));
      const { code, report, log } = await apply('--hosts', spoke.name);
      expect(code, log).toBe(0);
      expect(resultOf(report, spoke.name).result).toBe('applied');
      expect(await sh(spoke, 'stat -c "%a %U" /var/lib/fortress /var/lib/fortress/lock')).toBe('700 root\n600 root');
    } finally {
      await sh(spoke, `kill ${holder} 2>/dev/null; true`);
    }
    await restoreBaseline();
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
  }, 60_000);

  test('a profile that is not root-only is refused, and nothing changes', async () => {
    const before = await managedFiles(spoke);
    await sh(spoke, 'chmod 0666 /etc/fortress/profile');
    try {
      await renderTopology((t) => setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 28 }));
      const { code, report } = await apply('--hosts', spoke.name);
      expect(code).toBe(1);
      expect(resultOf(report, spoke.name).message).toMatch(/^profile: \/etc\/fortress\/profile must be a regular file owned by root and not writable by group or others \(it is 0 666\)/);
      expect(await managedFiles(spoke)).toBe(before);
    } finally {
      await sh(spoke, 'chmod 0644 /etc/fortress/profile');
    }
    await restoreBaseline();
  }, 60_000);
});

describe('a non-root deploy user with sudo', () => {
  const rule = `deploy ALL=(root) NOPASSWD: ALL\n`;
  beforeAll(async () => {
    // sshd reads a user's authorized_keys as that user: deploy keeps its own copy of the lab's client key.
    await sh(spoke, `useradd --create-home --home-dir /var/lib/deploy --shell /bin/bash deploy && usermod -p '*' deploy && install -d -o deploy -g deploy -m 0700 /var/lib/deploy/.ssh`);
    await spoke.exec('f=/var/lib/deploy/.ssh/authorized_keys; cat > $f && chown deploy:deploy $f && chmod 0600 $f', { input: `${fleet.clientPublicKey}\n` });
  });

  test('first converge, a live change and a rollback all work through sudo -n', async () => {
    // The spoke starts over, as a freshly provisioned machine would (its key stays).
    await sh(spoke, 'wg-quick down wg0 >/dev/null 2>&1; rm -f /etc/wireguard/wg0.conf /etc/sysctl.d/90-fortress.conf; rm -rf /var/lib/fortress/*');
    await spoke.ns.writeFile('/etc/fortress/sudoers', rule, 0o440);
    await sh(spoke, 'install -m 0440 /etc/fortress/sudoers /etc/sudoers.d/fortress && rm /etc/fortress/sudoers');
    const asDeploy = (t: Topology) => void ((t.hosts[spoke.name]!.ssh as { user: string }).user = 'deploy');
    await renderTopology(asDeploy);
    const first = await apply('--hosts', spoke.name);
    expect(first.code, first.log).toBe(0);
    expect(resultOf(first.report, spoke.name)).toMatchObject({ result: 'applied', disruption: 'restart' });
    expect(await reachesHub(spoke)).toBe(true);
    expect(await sh(spoke, 'stat -c %U /etc/wireguard/wg0.conf; test -e /var/lib/deploy/.fortress-upload && echo litter || echo clean')).toBe('root\nclean');

    await renderTopology((t) => (asDeploy(t), setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 32 })));
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
    expect(await sh(spoke, 'sysctl -n net.ipv4.tcp_fin_timeout')).toBe('32');

    const before = await managedFiles(spoke);
    await renderTopology((t) => (asDeploy(t), setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 33 }), (t.hosts[hub.name]!.publicKey = generateKeyPair().publicKey)));
    const rolled = await apply('--hosts', spoke.name);
    expect(rolled.code).toBe(1);
    expect(resultOf(rolled.report, spoke.name)).toMatchObject({ result: 'rolled back' });
    expect(await managedFiles(spoke)).toBe(before);
    expect(await reachesHub(spoke)).toBe(true);
  }, 90_000);

  test('without the sudo rule: a clear error from --dry-run and from apply, nothing changed', async () => {
    await sh(spoke, 'rm -f /etc/sudoers.d/fortress');
    const before = await managedFiles(spoke);
    await renderTopology((t) => {
      (t.hosts[spoke.name]!.ssh as { user: string }).user = 'deploy';
      setSysctl(t, spoke.name, { 'net.ipv4.tcp_fin_timeout': 34 });
    });
    const wanted = /^sudo: deploy cannot run commands as root without a password \(sudo -n\); add the rule "deploy ALL=\(root\) NOPASSWD: ALL" to \/etc\/sudoers.d\/fortress on the host$/;
    const dry = await fortress('apply', '--dry-run', '--format', 'json', '--hosts', spoke.name);
    expect(dry.code).toBe(1);
    expect(resultOf(JSON.parse(dry.stdout) as ApplyReport, spoke.name).message).toMatch(wanted);
    const { code, report } = await apply('--hosts', spoke.name);
    expect(code).toBe(1);
    expect(resultOf(report, spoke.name).message).toMatch(wanted);
    expect(await managedFiles(spoke)).toBe(before);
    await restoreBaseline();
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
  }, 60_000);
});

describe('a role a host no longer has leaves no files behind', () => {
  const moveBalancer = (t: Topology) => {
    const edge = (t.loadBalancers as { edge: { hosts: string[] } }).edge;
    edge.hosts = [spoke.name];
    t.hosts[balancer.name]!.roles = (t.hosts[balancer.name]!.roles as string[]).filter((r) => r !== 'loadbalancer');
    t.hosts[spoke.name]!.roles = [...(t.hosts[spoke.name]!.roles as string[]), 'loadbalancer'];
  };
  const haproxyRuns = (h: ApplyLabHost) => sh(h, 'test -s /run/haproxy.pid && kill -0 $(cat /run/haproxy.pid) 2>/dev/null && echo running || echo stopped');

  test('a failed verify restores the config and HAProxy; a good apply stops HAProxy and removes its config', async () => {
    expect(await haproxyRuns(balancer)).toBe('running');
    await renderTopology((t) => (moveBalancer(t), (t.hosts[hub.name]!.publicKey = generateKeyPair().publicKey)));
    const dry = await fortress('apply', '--dry-run', '--hosts', balancer.name);
    expect(dry.stdout).toContain('  remove /etc/haproxy/haproxy.cfg (haproxy)');
    const rolled = await apply('--hosts', balancer.name);
    expect(rolled.code).toBe(1);
    expect(resultOf(rolled.report, balancer.name)).toMatchObject({ result: 'rolled back', removedFiles: ['/etc/haproxy/haproxy.cfg'] });
    expect(await sh(balancer, 'test -f /etc/haproxy/haproxy.cfg && echo kept')).toBe('kept');
    expect(await haproxyRuns(balancer)).toBe('running');

    await renderTopology(moveBalancer);
    const { code, report, log } = await apply();
    expect(code, log).toBe(0);
    expect(resultOf(report, balancer.name)).toMatchObject({ result: 'applied', removedFiles: ['/etc/haproxy/haproxy.cfg'] });
    expect(await sh(balancer, 'test -f /etc/haproxy/haproxy.cfg && echo kept || echo gone')).toBe('gone');
    expect(await haproxyRuns(balancer)).toBe('stopped');
    expect(await haproxyRuns(spoke)).toBe('running');
    await restoreBaseline();
    expect((await apply()).code).toBe(0);
    expect(await haproxyRuns(balancer)).toBe('running');
  }, 120_000);
});

describe('the firewall', () => {
  type Services = { postgres: { clients?: string[] } };
  const postgresClients = (clients: string[] | undefined) => (t: Topology) => {
    const postgres = (t.services as unknown as Services).postgres;
    if (clients) postgres.clients = clients;
    else delete postgres.clients;
  };
  const liveTable = (h: ApplyLabHost) => sh(h, 'nft list table inet fortress 2>&1');
  /** A TCP connect through the mesh to a database's postgres port, bounded. */
  const connects = async (from: ApplyLabHost, to: ApplyLabHost) => (await sh(from, `timeout 3 bash -c 'exec 3<>/dev/tcp/${to.meshAddress}/5432' 2>/dev/null && echo open || echo closed`)) === 'open';
  /** Shadows nft for transactions on the host (root's PATH has /usr/local/sbin first), inside its own mount namespace. */
  const shadowNft = (h: ApplyLabHost, body: string) =>
    sh(h, `mount -t tmpfs -o mode=0755 fortress-drill /usr/local/sbin && printf '%s\\n' '#!/bin/bash' ${shellWords(body)} 'exec /usr/sbin/nft "$@"' > /usr/local/sbin/nft && chmod 0755 /usr/local/sbin/nft && command -v nft`);
  const unshadowNft = (h: ApplyLabHost) => sh(h, 'umount /usr/local/sbin 2>/dev/null; command -v nft');
  const shellWords = (text: string) => text.split('\n').map((l) => `'${l.replace(/'/g, `'\\''`)}'`).join(' ');

  beforeAll(async () => {
    expect(spoke.isDatabase, 'the drills below change the firewall of a database spoke').toBe(true);
    await hub.startService();
    await spoke.startService();
  });

  test("every host loads its table; a service reaches only its clients, and widening them applies live without a tunnel drop", async () => {
    for (const h of fleet.hosts) expect(await liveTable(h), h.name).toMatch(/^table inet fortress \{/);
    await renderTopology(postgresClients([balancer.name]));
    const narrowed = await apply();
    expect(narrowed.code, narrowed.log).toBe(0);
    expect(await connects(balancer, hub)).toBe(true);
    expect(await connects(balancer, spoke)).toBe(true); // forwarded by the hub
    expect(await connects(other, hub)).toBe(false);
    expect(await connects(other, spoke)).toBe(false); // the hub does not forward it, and the spoke drops it

    await renderTopology(postgresClients([balancer.name, other.name]));
    const dry = await fortress('apply', '--dry-run');
    expect(dry.stdout).toContain('/etc/fortress/firewall.nft (firewall)');
    const [widened, pings] = await Promise.all([apply(), other.exec(`ping -i 0.2 -c 100 -W 1 ${hub.meshAddress} | grep 'packet loss'`, { timeoutMs: 60_000 })]);
    expect(widened.code, widened.log).toBe(0);
    expect(pings.stdout).toMatch(/ 0% packet loss/);
    expect(await connects(other, hub)).toBe(true);
    expect(await connects(other, spoke)).toBe(true);
    await restoreBaseline();
    expect((await apply()).code).toBe(0);
  }, 150_000);

  test('a ruleset the host\'s nft -c rejects is refused before anything changes', async () => {
    const before = { files: await managedFiles(spoke), table: await liveTable(spoke) };
    expect(await shadowNft(spoke, 'if [ "$1" = -c ]; then echo "Error: Could not process rule: No such file or directory (drill)" >&2; exit 1; fi')).toBe('/usr/local/sbin/nft');
    try {
      await renderTopology(postgresClients([balancer.name]));
      const { code, report } = await apply('--hosts', spoke.name);
      expect(code).toBe(1);
      expect(resultOf(report, spoke.name)).toMatchObject({ result: 'failed' });
      expect(resultOf(report, spoke.name).message).toMatch(/^validate: nft -c rejects the new \/etc\/fortress\/firewall.nft: Error: Could not process rule/);
      expect(await settled(spoke)).toMatch(/ refused validate: nft -c rejects/);
    } finally {
      expect(await unshadowNft(spoke)).toBe('/usr/sbin/nft');
    }
    expect({ files: await managedFiles(spoke), table: await liveTable(spoke) }).toEqual(before);
    await restoreBaseline();
  }, 90_000);

  test("a firewall that cuts the controller's SSH rolls back to the previous table by itself", async () => {
    const before = { files: await managedFiles(spoke), table: await liveTable(spoke) };
    // Loading the new file also drops SSH, as a wrong rule would; a rollback loads the saved table from stdin.
    await shadowNft(spoke, 'if [ "$1" = -f ] && [ "$2" = /etc/fortress/firewall.nft ]; then /usr/sbin/nft "$@" && /usr/sbin/nft insert rule inet fortress input tcp dport 22 drop; exit $?; fi');
    try {
      await renderTopology(postgresClients([balancer.name]));
      await expectUnconfirmedRollback(spoke);
    } finally {
      await unshadowNft(spoke);
    }
    expect({ files: await managedFiles(spoke), table: await liveTable(spoke) }).toEqual(before);
    expect(await connects(other, spoke)).toBe(true); // the baseline's open service, as before
    const dry = await fortress('apply', '--dry-run', '--hosts', spoke.name);
    expect(dry.code, dry.stderr).toBe(0); // SSH works again
    await restoreBaseline();
  }, 90_000);

  test('the same on a host that had no table and no boot unit: the rollback deletes the table and disables the unit again', async () => {
    const unit = '/etc/fortress/fortress-firewall.service';
    await sh(spoke, `nft delete table inet fortress && mv ${unit} /root/unit.kept && rm -f /run/unit-*`);
    // The lab has no systemd: the profile's hooks leave marks where systemctl enable and disable would act.
    await writeProfile(spoke, { FORTRESS_FIREWALL_ENABLE: 'touch /run/unit-enabled', FORTRESS_FIREWALL_DISABLE: 'touch /run/unit-disabled' });
    await shadowNft(spoke, 'if [ "$1" = -f ] && [ "$2" = /etc/fortress/firewall.nft ]; then /usr/sbin/nft "$@" && /usr/sbin/nft insert rule inet fortress input tcp dport 22 drop; exit $?; fi');
    try {
      await renderTopology(postgresClients([balancer.name]));
      await expectUnconfirmedRollback(spoke);
      expect(await sh(spoke, 'nft list tables')).not.toContain('inet fortress');
      expect(await sh(spoke, `test -e ${unit} && echo present || echo absent; ls /run | grep unit- | sort`)).toBe('absent\nunit-disabled\nunit-enabled');
    } finally {
      await unshadowNft(spoke);
      await writeProfile(spoke);
      await sh(spoke, `test -e ${unit} || mv /root/unit.kept ${unit}; rm -f /root/unit.kept /run/unit-*; nft -f /etc/fortress/firewall.nft`);
    }
    await restoreBaseline();
    expect((await apply('--hosts', spoke.name)).code).toBe(0);
  }, 90_000);
});
