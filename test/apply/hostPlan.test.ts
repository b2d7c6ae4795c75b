import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { applyFleet } from '../../src/apply/applyFleet.js';
import type { HostJob } from '../../src/apply/applyHost.js';
import { interfaceLines, parseRemoteState, planHost, type PlannedFile } from '../../src/apply/hostPlan.js';
import { hostJobs } from '../../src/apply/hostJobs.js';
import { readStateScript, shellQuote } from '../../src/apply/remoteScripts.js';
import { snapshotOfCompiled } from '../../src/review/treeSnapshot.js';
import { compileExample } from '../support/compileExample.js';
import { WG0_RELOAD_KEEPING_KEY } from '../e2e/lab/wireguardReload.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const wg = (iface: string, peers: string) => `# generated\n[Interface]\n${iface}\nPostUp = wg set %i private-key /etc/wireguard/wg0.key\n\n# hub\n[Peer]\n${peers}\n`;
const file = (hostPath: string, reload: PlannedFile['reload'], content: string): PlannedFile => ({ path: `hosts/h${hostPath}`, hostPath, mode: '0644', reload, content, sha256: sha(content) });

describe('planHost', () => {
  const current = wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1360', 'PublicKey = A\nAllowedIPs = 10.0.0.0/24');
  const remote = parseRemoteState(
    `file ${sha(current)} /etc/wireguard/wg0.conf\nfile ${sha('a = 1\n')} /etc/sysctl.d/90-fortress.conf\ninterface ${Buffer.from(interfaceLines(current)).toString('base64')}\n`,
  );

  test('an unchanged host has nothing to do', () => {
    const plan = planHost('h', false, [file('/etc/wireguard/wg0.conf', 'wireguard', current), file('/etc/sysctl.d/90-fortress.conf', 'sysctl', 'a = 1\n')], remote);
    expect(plan).toMatchObject({ changes: [], wireguard: 'none', disruption: 'none' });
  });

  test('a peer change reloads live; an [Interface] change restarts; a missing file is pushed', () => {
    const peer = planHost('h', false, [file('/etc/wireguard/wg0.conf', 'wireguard', wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1360', 'PublicKey = B\nAllowedIPs = 10.0.0.0/24'))], remote);
    expect(peer).toMatchObject({ wireguard: 'live', disruption: 'live' });
    const mtu = planHost('h', false, [file('/etc/wireguard/wg0.conf', 'wireguard', wg('Address = 10.0.0.2/24\nListenPort = 51820\nMTU = 1420', 'PublicKey = A\nAllowedIPs = 10.0.0.0/24'))], remote);
    expect(mtu).toMatchObject({ wireguard: 'restart', disruption: 'restart' });
    const haproxy = planHost('h', false, [file('/etc/haproxy/haproxy.cfg', 'haproxy', 'global\n')], remote);
    expect(haproxy.changes.map((f) => f.hostPath)).toEqual(['/etc/haproxy/haproxy.cfg']);
    expect(haproxy).toMatchObject({ wireguard: 'none', disruption: 'live' });
  });

  test('a host with no WireGuard config yet comes up for the first time', () => {
    const plan = planHost('h', false, [file('/etc/wireguard/wg0.conf', 'wireguard', current)], parseRemoteState('file - /etc/wireguard/wg0.conf\n'));
    expect(plan).toMatchObject({ wireguard: 'restart' });
  });

  test("the host's own sed and interfaceLines agree on the [Interface] section", () => {
    const script = readStateScript(['/nonexistent/a'], 'wg0').replace('/etc/wireguard/$IFACE.conf', '/dev/stdin');
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
      ['/etc/haproxy/haproxy.cfg', '0644', 'haproxy'],
      ['/etc/sysctl.d/90-fortress.conf', '0644', 'sysctl'],
      ['/etc/wireguard/wg0.conf', '0600', 'wireguard'],
    ]);
    expect(spoke.verify).toEqual({ publicKey: '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=', address: '10.100.0.1', port: 22 });
    expect(jobs.find((j) => j.host === 'oslo-db-01')!.verify).toBeUndefined();
  });

  test('hubs go first; a failed hub stops everything; the fleet is bounded by concurrency', async () => {
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const fakeJobs: HostJob[] = [...jobs, ...jobs.filter((j) => !j.isHub).map((j) => ({ ...j, host: `${j.host}-b` }))];
    const run = (failHub: boolean) =>
      applyFleet(
        fakeJobs,
        {
          connect: async (target) => {
            order.push(target.host);
            running++;
            most = Math.max(most, running);
            await new Promise((r) => setTimeout(r, 20));
            running--;
            if (failHub && target.host === 'oslo-db-01') throw new Error('unreachable');
            return { exec: async () => ({ code: 0, stdout: '', stderr: '' }), upload: async () => {}, close: () => {} };
          },
          onEvent: () => {},
          now: () => 0,
        },
        { dryRun: true, concurrency: 3, verifyTimeoutSeconds: 1, lockWaitSeconds: 1 },
      );
    const results = await run(false);
    expect(order[0]).toBe('oslo-db-01');
    expect(most).toBe(3);
    expect(results.map((r) => r.host)).toEqual(fakeJobs.map((j) => j.host));
    // The fake host reports no files at all, so every file is planned.
    expect(results.every((r) => r.result === 'planned')).toBe(true);

    order.length = 0;
    const failed = await run(true);
    expect(order).toEqual(['oslo-db-01']);
    expect(failed.find((r) => r.host === 'oslo-db-01')).toMatchObject({ result: 'failed', message: 'cannot connect: unreachable' });
    expect(failed.filter((r) => r.result === 'skipped')).toHaveLength(fakeJobs.length - 1);
  });
});

describe('the WireGuard reload', () => {
  test('is exactly the key-preserving form the WireGuard lab proves on a live interface', () => {
    const transaction = readFileSync(new URL('../../src/apply/transaction.sh', import.meta.url), 'utf8');
    const line = transaction.split('\n').find((l) => l.trim().startsWith('wg syncconf'))!.trim();
    expect(line.replace(/"\$IFACE"/g, 'wg0').replace('"$KEYFILE"', '/etc/wireguard/wg0.key')).toBe(WG0_RELOAD_KEEPING_KEY);
  });
});
