// `fortress status` as a command: its options and help, what it refuses before connecting, and how
// a fleet's answers become formats and an exit status. The hosts here answer through CliIo.connect
// (the seam apply's tests use too) with what a real host's readState.sh prints; the shell itself runs
// against real hosts in test/e2e/status.test.ts.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import type { RemoteHost, SshTarget } from '../../src/apply/sshConnection.js';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/runCli.js';
import type { Manifest } from '../../src/emit/manifest.js';
import type { StatusReport } from '../../src/status/statusReport.js';
import { renderedPeers } from '../../src/status/statusTargets.js';
import { readExposition, sampleValue } from '../status/exposition.js';
import { TempRepo, type CliRun } from '../support/tempRepo.js';

let repo: TempRepo;
afterEach(() => repo?.remove());

interface FakeHost {
  /** What the host prints after the lines made from rendered/; return undefined to take them as they are. */
  edit?: (lines: string[]) => string[];
  unreachable?: boolean;
  sudoRefused?: boolean;
}

/** The lines a healthy host of the rendered tree prints: its files' hashes, fresh handshakes, round trips, HAProxy up, the firewall equal. */
function healthyAnswer(host: string): string[] {
  const manifest = JSON.parse(repo.read('rendered/manifest.json')) as Manifest;
  const files = manifest.files.filter((f) => f.host === host && f.hostPath);
  const wg = files.find((f) => f.reload === 'wireguard')!;
  const peers = renderedPeers(repo.read(`rendered/${wg.path}`));
  const isHub = manifest.hosts[host]!.roles.includes('hub');
  const balancer = manifest.hosts[host]!.loadBalancer;
  return [
    ...files.map((f) => `file ${createHash('sha256').update(repo.read(`rendered/${f.path}`)).digest('hex')} ${f.hostPath}`),
    'last free 20261125120000-0badc0de applied',
    'now 2000000000',
    'wg up',
    ...peers.map((p) => `peer ${p.publicKey} ${p.endpoint ?? '(none)'} ${p.allowedIps.join(',')} 1999999990 100 200 ${p.persistentKeepalive || 'off'}`),
    ...(isHub ? [] : ['rtt 20100', 'rtt 19900', 'rtt 20100', 'rtt 19900', 'rtt 20100']),
    ...Object.entries(balancer?.backends ?? {}).flatMap(([backend, { servers }]) => servers.map((s) => `haproxy\t${backend}\t${s.host}\tUP\tL4OK\t30\t${s.backup ? 1 : 0}`)),
    'firewall equal',
  ];
}

let scripts: Map<string, string>;

async function status(hosts: Record<string, FakeHost>, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  scripts = new Map();
  const io: CliIo = {
    cwd: repo.dir,
    env: { sshAuthSock: '/nonexistent/agent.sock' },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    connect: async (target: SshTarget): Promise<RemoteHost> => {
      const fake = hosts[target.host] ?? {};
      if (fake.unreachable) throw new Error(`connect EHOSTUNREACH ${target.address}:${target.port}`);
      return {
        exec: async (command, { stdin }) => {
          scripts.set(target.host, `${command}\n${stdin}`);
          if (fake.sudoRefused) return { code: 1, stdout: '', stderr: 'fortress:sudo-refused\n' };
          const lines = healthyAnswer(target.host);
          return { code: 0, stdout: `${(fake.edit ?? ((l) => l))(lines).join('\n')}\n`, stderr: '' };
        },
        upload: async () => {
          throw new Error('status must never upload');
        },
        close: () => {},
      };
    },
  };
  const code = await runCli(['status', ...argv], io);
  return { code, stdout, stderr };
}

async function example(): Promise<void> {
  repo = TempRepo.withExample();
  expect((await repo.run('render')).code).toBe(0);
}

describe('fortress status', () => {
  test('its help names its options and formats; wrong values are usage errors', async () => {
    repo = TempRepo.withExample();
    const help = await repo.run('status', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fortress status \[options\]\n/);
    expect(help.stdout).toMatch(/--hosts a,b[\s\S]*--samples N[\s\S]*--concurrency N[\s\S]*--format text\|json\|markdown\|prometheus/);
    expect((await repo.run('--help')).stdout).toMatch(/\n {2}status +read every host over SSH, changing nothing/);
    expect(await repo.run('status', '--format', 'github')).toMatchObject({ code: 2, stderr: '::error title=fortress FT504::--format of status must be text, json, markdown or prometheus, not "github"\n' });
    expect(await repo.run('status', '--samples', '0')).toMatchObject({ code: 2, stderr: expect.stringContaining('error FT504: --samples must be a whole number from 1 to 100, not "0"') });
    expect(await repo.run('status', '--dry-run')).toMatchObject({ code: 2, stderr: expect.stringContaining('error FT505: --dry-run only applies to apply, not to status') });
  });

  test('a host it cannot connect to as pinned, or an unknown --hosts name, is refused before any connection', async () => {
    await example();
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace(/(ssh: \{ address: 203\.0\.113\.31, user: deploy), hostKey: "[^"]*" \}/, '$1 }'));
    expect((await repo.run('render')).code).toBe(0);
    const refused = await status({});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error FT521: host "lon-app-01" pins no ssh\.hostKey/);
    expect(scripts.size).toBe(0);
    const unknown = await status({}, '--hosts', 'oslo-db-1', '--format', 'prometheus');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/error FT523: --hosts names "oslo-db-1", but the topology has no such host \(did you mean "oslo-db-01"\?\)\n1 error\n$/);
  });

  test('a healthy fleet: exit 0 in every format; the script each host gets; sudo for a deploy user', async () => {
    await example();
    const text = await status({});
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(/\n5 hosts: 5 ok; 0 warnings\n$/);
    expect(text.stdout).toContain('  tunnel      up       to oslo-db-01 at 10.100.0.1:22: median 20.10 ms (min 19.90 ms, max 20.10 ms), jitter 0.20 ms, 5 samples\n');

    const spoke = scripts.get('fra-app-02')!;
    expect(spoke.split('\n')[0]).toMatch(/sudo -n bash -s$/);
    expect(spoke).toContain("\nSTATUS_PROBE='1'\nRTT_ADDR='10.100.0.1'\nRTT_PORT='22'\nRTT_SAMPLES='5'\nRTT_BUDGET='2'\nHAPROXY_SOCKET='/run/haproxy/admin.sock'\nFIREWALL='# Generated by fortress");
    expect(scripts.get('oslo-db-01')).toContain("\nRTT_ADDR=''\n");
    expect(scripts.get('lon-app-01')).toContain("\nHAPROXY_SOCKET=''\n");

    const json = await status({}, '--format', 'json', '--samples', '3');
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report).toMatchObject({ version: 1, ok: true, samples: 3, renderedUpToDate: true });
    expect(scripts.get('fra-app-02')).toContain("\nRTT_SAMPLES='3'\n");
    const metrics = await status({}, '--format', 'prometheus');
    expect(metrics.code).toBe(0);
    expect(sampleValue(readExposition(metrics.stdout), 'fortress_backend_up', { lb: 'fra-app-01', backend: 'database_nodes', server: 'oslo-db-02' })).toBe(1);
    const markdown = await status({}, '--format', 'markdown');
    expect(markdown.stdout).toMatch(/^### fortress status\n\nEvery host is reachable/);
  });

  test('unreachable, sudo refused, drifted, tunnel down: each named, exit 1; a backend down alone is a warning', async () => {
    await example();
    const run = await status(
      {
        'fra-app-01': { edit: (l) => l.map((line) => line.replace(/\tUP\tL4OK\t30\t1$/, '\tDOWN\tL4CON\t2\t1')) },
        'fra-app-02': { unreachable: true },
        'lon-app-01': { edit: (l) => l.map((line) => (line === 'wg up' ? 'wg down' : line)).filter((line) => !line.startsWith('peer ') && !line.startsWith('rtt ')) },
        'oslo-db-02': { sudoRefused: true },
        'oslo-db-01': { edit: (l) => l.map((line) => line.replace(/^file \S+ \/etc\/sysctl\.d/, `file ${'0'.repeat(64)} /etc/sysctl.d`)) },
      },
      '--format',
      'json',
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as StatusReport;
    const problems = Object.fromEntries(report.hosts.map((h) => [h.host, h.problems.map((p) => `${p.code} ${p.severity}: ${p.message}`)]));
    expect(problems).toEqual({
      'fra-app-01': ['FT547 warning: HAProxy server database_nodes/oslo-db-02 (backup) is DOWN (check L4CON)'],
      'fra-app-02': ['FT540 error: cannot connect: connect EHOSTUNREACH 198.51.100.22:22'],
      'lon-app-01': ['FT545 error: wg0 is not up'],
      'oslo-db-01': ['FT541 error: /etc/sysctl.d/90-fortress.conf differs from rendered/ (changed on the host, or not applied)'],
      'oslo-db-02': ['FT540 error: sudo: deploy cannot run commands as root without a password (sudo -n); add the rule "deploy ALL=(root) NOPASSWD: ALL" to /etc/sudoers.d/fortress on the host'],
    });
    expect(report.summary).toEqual({ hosts: 5, ok: 1, unreachable: 2, drifted: 1, tunnelDown: 1, warnings: 1 });
  });

  test('rendered/ out of date: said on stderr as warnings, and the hosts are compared with rendered/ as it is', async () => {
    await example();
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('vm.swappiness: 10', 'vm.swappiness: 11'));
    const run = await status({}, '--format', 'json');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('rendered/hosts/oslo-db-01/etc/sysctl.d/90-fortress.conf:1:1: warning FT601: out of date: this file differs from what the topology renders\n');
    expect(run.stderr).toMatch(/^(\S+:1:1: warning FT60\d: [^\n]*\n)+$/);
    expect((JSON.parse(run.stdout) as StatusReport).renderedUpToDate).toBe(false);
  });
});
