import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { applyFleet } from '../../src/apply/applyFleet.js';
import type { HostJob } from '../../src/apply/applyHost.js';
import { parseRemoteState, planHost, type PlannedFile } from '../../src/apply/hostPlan.js';
import { interfaceLines } from '../../src/render/wireguard/disruption.js';
import { hostJobs } from '../../src/apply/hostJobs.js';
import { readStateScript, shellQuote } from '../../src/apply/remoteScripts.js';
import { snapshotOfCompiled } from '../../src/review/treeSnapshot.js';
import { compileExample } from '../support/compileExample.js';
import { transactionReloadFunction } from '../e2e/lab/wireguardReload.js';

const KEY = '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const wg = (iface: string, peers: string) => `# generated\n[Interface]\n${iface}\nPostUp = wg set %i private-key /etc/wireguard/wg0.key\n\n# hub\n[Peer]\n${peers}\n`;
const file = (hostPath: string, reload: PlannedFile['reload'], content: string): PlannedFile => ({ path: `hosts/h${hostPath}`, hostPath, mode: '0644', reload, content, sha256: sha(content) });

describe('planHost', () => {
  const current = wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1360', 'PublicKey = A\nAllowedIPs = 10.0.0.0/24');
  // A host an apply brought up: its files, and its interface up with the topology's key.
  const remote = parseRemoteState(
    `file ${sha(current)} /etc/wireguard/wg0.conf\nfile ${sha('a = 1\n')} /etc/sysctl.d/90-fortress.conf\ninterface ${Buffer.from(interfaceLines(current)).toString('base64')}\nkey ${KEY}\n`,
  );

  test('an unchanged host has nothing to do', () => {
    const plan = planHost('h', false, KEY, [file('/etc/wireguard/wg0.conf', 'wireguard', current), file('/etc/sysctl.d/90-fortress.conf', 'sysctl', 'a = 1\n')], remote);
    expect(plan).toMatchObject({ changes: [], wireguard: 'none', disruption: 'none' });
  });

  test('a peer change reloads live; an [Interface] change restarts; a missing file is pushed', () => {
    const peer = planHost('h', false, KEY, [file('/etc/wireguard/wg0.conf', 'wireguard', wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1360', 'PublicKey = B\nAllowedIPs = 10.0.0.0/24'))], remote);
    expect(peer).toMatchObject({ wireguard: 'live', disruption: 'live' });
    const mtu = planHost('h', false, KEY, [file('/etc/wireguard/wg0.conf', 'wireguard', wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1420', 'PublicKey = A\nAllowedIPs = 10.0.0.0/24'))], remote);
    expect(mtu).toMatchObject({ wireguard: 'restart', disruption: 'restart' });
    const haproxy = planHost('h', false, KEY, [file('/etc/haproxy/haproxy.cfg', 'haproxy', 'global\n')], remote);
    expect(haproxy.changes.map((f) => f.hostPath)).toEqual(['/etc/haproxy/haproxy.cfg']);
    expect(haproxy).toMatchObject({ wireguard: 'none', disruption: 'live' });
  });

  test('a host with no WireGuard config yet comes up for the first time', () => {
    const plan = planHost('h', false, KEY, [file('/etc/wireguard/wg0.conf', 'wireguard', current)], parseRemoteState('file - /etc/wireguard/wg0.conf\n'));
    expect(plan).toMatchObject({ wireguard: 'restart' });
  });

  test('each change carries the hash it was planned against; a role file the host no longer needs is removed', () => {
    const state = parseRemoteState(`${remote.hashes.size ? '' : ''}file ${sha('old\n')} /etc/sysctl.d/90-fortress.conf\nfile ${sha('global\n')} /etc/haproxy/haproxy.cfg\nfile - /etc/wireguard/wg0.conf\n`);
    const plan = planHost('h', false, KEY, [file('/etc/sysctl.d/90-fortress.conf', 'sysctl', 'a = 1\n')], state);
    expect(plan.changes.map((c) => [c.action, c.hostPath, c.expected])).toEqual([
      ['put', '/etc/sysctl.d/90-fortress.conf', sha('old\n')],
      ['remove', '/etc/haproxy/haproxy.cfg', sha('global\n')],
    ]);
    expect(plan).toMatchObject({ haproxy: 'stop', disruption: 'live' });
  });

  test('a key that is not the topology\'s, live or in the key file, refuses the host with the same class diff gives', () => {
    const live = planHost('h', false, KEY, [file('/etc/wireguard/wg0.conf', 'wireguard', current)], parseRemoteState(`file ${sha(current)} /etc/wireguard/wg0.conf\nkey OTHER=\n`));
    expect(live).toMatchObject({ disruption: 'restart', refusal: `identity: this host's WireGuard key is OTHER=, but the topology says ${KEY}` });
    const stray = planHost('h', false, KEY, [file('/etc/wireguard/wg0.conf', 'wireguard', wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1360', 'PublicKey = B\nAllowedIPs = 10.0.0.0/24'))], parseRemoteState(`file ${sha(current)} /etc/wireguard/wg0.conf\ninterface ${Buffer.from(interfaceLines(current)).toString('base64')}\nkey ${KEY}\nkeyfile STRAY=\n`));
    expect(stray.refusal).toBe(`identity: the key file on the host is the key of STRAY=, but the topology says ${KEY}`);
  });

  test('after a transaction that did not end cleanly every file is re-applied; one running now is not that', () => {
    const files = [file('/etc/sysctl.d/90-fortress.conf', 'sysctl', 'a = 1\n')];
    const same = `file ${sha('a = 1\n')} /etc/sysctl.d/90-fortress.conf\n`;
    const unfinished = planHost('h', false, KEY, files, parseRemoteState(`${same}last free 20261125-ab running\n`));
    expect(unfinished.changes.map((c) => c.hostPath)).toEqual(['/etc/sysctl.d/90-fortress.conf']);
    expect(unfinished.notice).toBe('the last transaction 20261125-ab did not finish; re-applying every file and verifying');
    const failed = planHost('h', false, KEY, files, parseRemoteState(`${same}last free 20261125-ab ROLLBACK-FAILED activation failed\n`));
    expect(failed.notice).toBe('the last transaction 20261125-ab could not roll back (activation failed); re-applying every file and verifying');
    expect(planHost('h', false, KEY, files, parseRemoteState(`${same}last busy 20261125-ab running\n`)).changes).toEqual([]);
    expect(planHost('h', false, KEY, files, parseRemoteState(`${same}last free 20261125-ab applied\n`)).changes).toEqual([]);
  });

  test('a host whose first boot installed its files but waited for enroll gets every file installed and activated', () => {
    const files = [file('/etc/wireguard/wg0.conf', 'wireguard', current), file('/etc/sysctl.d/90-fortress.conf', 'sysctl', 'a = 1\n'), file('/etc/haproxy/haproxy.cfg', 'haproxy', 'global\n')];
    // cloud-init.yaml wrote the files and made a key; no apply has run and the interface is down.
    const waiting = `file ${sha(current)} /etc/wireguard/wg0.conf\nfile ${sha('a = 1\n')} /etc/sysctl.d/90-fortress.conf\nfile ${sha('global\n')} /etc/haproxy/haproxy.cfg\ninterface ${Buffer.from(interfaceLines(current)).toString('base64')}\nkeyfile ${KEY}\n`;
    const plan = planHost('h', false, KEY, files, parseRemoteState(waiting));
    expect(plan.changes.map((c) => [c.action, c.hostPath, c.expected === c.sha256])).toEqual(files.map((f) => ['put', f.hostPath, true]));
    expect(plan.haproxy).toBe('reload');
    expect(plan.refusal).toBeUndefined();
    expect(plan.wireguard).not.toBe('none');
    expect(plan.notice).toMatch(/^first apply to this host/);
    // Up (the first boot joined the mesh: the key was the topology's), or applied before: nothing to do.
    expect(planHost('h', false, KEY, files, parseRemoteState(`${waiting}key ${KEY}\n`)).changes).toEqual([]);
    expect(planHost('h', false, KEY, files, parseRemoteState(`${waiting}last free 20261125-ab applied\n`)).changes).toEqual([]);
  });

  test("the host's own sed and interfaceLines agree on the [Interface] section", () => {
    const script = readStateScript(['/nonexistent/a'], 'wg0', '/etc/wireguard/wg0.key').replace('/etc/wireguard/$IFACE.conf', '/dev/stdin');
    expect(script).toContain('sed -n');
    const sed = execFileSync('sed', ['-n', '/^\\[Peer\\]/q;/^[A-Za-z]/p'], { input: current, encoding: 'utf8' });
    expect(sed).toBe(interfaceLines(current));
  });
});

describe('shellQuote', () => {
  test.each(["plain", "it's", "$(rm -rf /)", "a\nb", "'; echo pwned; '"])('%j survives bash literally', (value) => {
    expect(execFileSync('bash', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' })).toBe(value);
  });
});

describe('hostJobs and applyFleet', () => {
  const compiled = compileExample();
  const tree = snapshotOfCompiled('rendered', compiled);
  const jobs = hostJobs(compiled.model, tree.manifest!, tree.files);

  test('every host gets its files, and verification dials the hub at its mesh address', () => {
    const spoke = jobs.find((j) => j.host === 'fra-app-01')!;
    expect(spoke.files.map((f) => [f.hostPath, f.mode, f.reload])).toEqual([
      ['/etc/fortress/firewall.nft', '0644', 'firewall'],
      ['/etc/fortress/fortress-firewall.service', '0644', 'systemd'],
      ['/etc/haproxy/haproxy.cfg', '0644', 'haproxy'],
      ['/etc/sysctl.d/90-fortress.conf', '0644', 'sysctl'],
      ['/etc/wireguard/wg0.conf', '0600', 'wireguard'],
    ]);
    expect(spoke.verify).toEqual({ publicKey: '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=', address: '10.100.0.1', port: 22 });
    expect(jobs.find((j) => j.host === 'oslo-db-01')!.verify).toBeUndefined();
  });

  // A stand-in host: its state is empty, and every transaction it is given applies (or fails, for `failing`).
  const fakeEnvironment = (log: string[], failing: string | undefined) => {
    let running = 0;
    const peak = { value: 0 };
    const env = {
      connect: async (target: { host: string }) => {
        running++;
        peak.value = Math.max(peak.value, running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return {
          exec: async (_command: string, { stdin = '', onLine }: { stdin?: string; onLine?: (line: string) => void }) => {
            if (stdin.includes('tail --pid')) {
              log.push(`execute ${target.host}`);
              onLine?.(`fortress:outcome ${target.host === failing ? 'rolled-back verify: no handshake' : 'applied'}`);
            } else if (stdin.includes('sha256sum')) log.push(`read ${target.host}`);
            return { code: 0, stdout: '', stderr: '' };
          },
          upload: async () => {},
          close: () => {},
        };
      },
      onEvent: () => {},
      now: () => 0,
    };
    return { env, peak };
  };
  const options = (dryRun: boolean) => ({ dryRun, concurrency: 3, verifyTimeoutSeconds: 1, confirmTimeoutSeconds: 2, lockWaitSeconds: 1 });
  const fakeJobs: HostJob[] = [...jobs, ...jobs.filter((j) => !j.isHub).map((j) => ({ ...j, host: `${j.host}-b` }))];

  test('every host is read (bounded by concurrency) before anything is executed; --dry-run stops there', async () => {
    const log: string[] = [];
    const { env, peak } = fakeEnvironment(log, undefined);
    const results = await applyFleet(fakeJobs, env, options(true));
    expect(log.every((l) => l.startsWith('read '))).toBe(true);
    expect(log).toHaveLength(fakeJobs.length);
    expect(peak.value).toBe(3);
    expect(results.map((r) => r.host)).toEqual(fakeJobs.map((j) => j.host));
    // The fake host reports no files at all, so every file is planned.
    expect(results.every((r) => r.result === 'planned')).toBe(true);
  });

  test('hubs execute first; a hub that does not apply stops everything', async () => {
    const log: string[] = [];
    const { env } = fakeEnvironment(log, undefined);
    const results = await applyFleet(fakeJobs, env, options(false));
    const executed = log.filter((l) => l.startsWith('execute ')).map((l) => l.slice(8));
    expect(executed[0]).toBe('oslo-db-01');
    expect(results.every((r) => r.result === 'applied')).toBe(true);

    const failedLog: string[] = [];
    const failed = await applyFleet(fakeJobs, fakeEnvironment(failedLog, 'oslo-db-01').env, options(false));
    expect(failedLog.filter((l) => l.startsWith('execute '))).toEqual(['execute oslo-db-01']);
    expect(failed.find((r) => r.host === 'oslo-db-01')).toMatchObject({ result: 'rolled back', message: 'verify: no handshake; rolled back to the previous files' });
    expect(failed.filter((r) => r.result === 'skipped')).toHaveLength(fakeJobs.length - 1);
  });
});

describe('the WireGuard reload', () => {
  // The WireGuard lab runs this very function on a live interface (test/e2e/wireguard.test.ts).
  test('is a function of the transaction that merges the key in, and stops when wg-quick strip fails', () => {
    const reload = transactionReloadFunction();
    expect(reload).toContain('stripped=$(wg-quick strip "$IFACE") || return 1');
    expect(reload).toMatch(/wg syncconf "\$IFACE" <\(printf '%s\\n\[Interface\]\\nPrivateKey = %s\\n' "\$stripped" "\$key"\)/);
  });

  test('a failing wg-quick strip leaves the interface alone', () => {
    const run = (strip: string) =>
      execFileSync('bash', ['-c', `IFACE=wg0; KEYFILE=$(mktemp); echo not-a-real-key > $KEYFILE; trap 'rm -f $KEYFILE' EXIT\nwg-quick() { ${strip}; }\nwg() { echo "wg $*"; }\n${transactionReloadFunction()}reload_wireguard; echo "exit $?"`], { encoding: 'utf8' });
    expect(run('return 1')).toBe('exit 1\n');
    expect(run('echo "[Interface]"')).toContain('wg syncconf wg0');
  });
});
