// The apply benchmark: a 20-host lab (network namespaces with sshd, as in test/e2e), and whole
// `fortress apply` processes timed from outside: the first converge, a change on one host, a
// change on the hub alone (confirmed by a canary spoke through the tunnel), a one-line change on
// every host (the hub first, with the canary, then the fleet), and a no-op re-apply. Every changed
// host is confirmed over a fresh SSH connection. Then `fortress status` of the converged lab: every
// host read in one round trip each, with 5 round trips timed through its tunnel. Writes its table rows
// to .bench/apply.md, which bench/run.mjs prints. Needs root.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { connectSsh } from '../src/apply/sshConnection.js';
import { buildApplyLab, LAB_HAPROXY_STOP } from '../test/e2e/lab/applyLab.js';
import { Lab } from '../test/e2e/lab/lab.js';

const HOSTS = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const bin = new URL('../dist/cli/main.js', import.meta.url).pathname;
const out = new URL('../.bench/', import.meta.url).pathname;
const lab = new Lab(`fb${process.pid}`);
afterAll(() => lab.teardown(), 120_000);

test('apply and status on a 20-host lab', async () => {
  const fleet = await buildApplyLab(lab, { hosts: HOSTS, extraProfile: { FORTRESS_HAPROXY_STOP: LAB_HAPROXY_STOP } });
  // Asynchronous on purpose: the lab drains every sshd's log pipe from this process's event loop, and a
  // spawnSync would stall it until an sshd blocks on a full pipe.
  const fortress = async (...args: string[]) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], { cwd: fleet.dir, env: { ...process.env, FORTRESS_SSH_KEY: fleet.clientKeyPath } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    expect(status, `${args.join(' ')}\n${stdout}\n${stderr}`).toBe(0);
    return { seconds, report: args[0] === 'apply' ? (JSON.parse(stdout) as { hosts: { result: string }[] }) : undefined, stdout };
  };
  const applied = (report: { hosts: { result: string }[] } | undefined) => report!.hosts.filter((h) => h.result === 'applied').length;
  const edit = async (change: (t: typeof fleet.topology) => void) => {
    const topology = structuredClone(fleet.topology);
    change(topology);
    fleet.writeTopology(topology);
    await fortress('render');
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: [string, number, number, number | undefined][] = [];

  await fortress('render');
  const first = await fortress('apply', '--format', 'json');
  expect(applied(first.report)).toBe(HOSTS);
  rows.push(['apply: first converge (every host from nothing)', first.seconds, first.seconds, undefined]);

  const oneHost: number[] = [];
  const hubOnly: number[] = [];
  const everyHost: number[] = [];
  const noop: number[] = [];
  const spoke = fleet.hosts.find((h) => !h.isHub)!.name;
  const hub = fleet.hosts.find((h) => h.isHub)!.name;
  for (let i = 0; i < RUNS; i++) {
    await edit((t) => void (t.hosts[spoke]!.sysctl = { 'net.ipv4.tcp_fin_timeout': 20 + i }));
    const one = await fortress('apply', '--format', 'json');
    expect(applied(one.report)).toBe(1);
    oneHost.push(one.seconds);

    await edit((t) => void (t.hosts[hub]!.sysctl = { 'net.ipv4.tcp_fin_timeout': 30 + i }));
    const hubChange = await fortress('apply', '--format', 'json');
    expect(applied(hubChange.report)).toBe(1);
    hubOnly.push(hubChange.seconds);

    await edit((t) => void ((t.sysctl as { defaults: Record<string, number> }).defaults['net.ipv4.tcp_keepalive_time'] = 700 + i));
    const all = await fortress('apply', '--format', 'json');
    expect(applied(all.report)).toBe(HOSTS);
    everyHost.push(all.seconds);

    const none = await fortress('apply', '--format', 'json');
    expect(applied(none.report)).toBe(0);
    noop.push(none.seconds);
  }
  // The floor any agentless tool pays, measured in the same run on the same lab: a fresh SSH
  // connection and one command on every host, 10 at a time (in-process, so without Node's start-up).
  const floor: number[] = [];
  const privateKey = readFileSync(fleet.clientKeyPath);
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const queue = [...fleet.hosts];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let h = queue.shift(); h; h = queue.shift()) {
          const remote = await connectSsh({ host: h.name, address: h.underlayAddress, port: 22, user: 'root', hostKey: h.hostKeyLine }, { privateKey });
          await remote.exec('true', { timeoutMs: 30_000 });
          remote.close();
        }
      }),
    );
    floor.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  rows.push(['apply: baseline: one SSH command on every host, 10 at a time', median(floor), Math.max(...floor), undefined]);
  rows.push(['apply: a change on one host', median(oneHost), Math.max(...oneHost), undefined]);
  rows.push(['apply: a change on the hub, confirmed by a canary spoke', median(hubOnly), Math.max(...hubOnly), undefined]);
  rows.push(['apply: a one-line change on all 20 hosts', median(everyHost), Math.max(...everyHost), 2.5]);
  rows.push(['apply: no-op re-apply of 20 hosts', median(noop), Math.max(...noop), 1]);

  // status of the converged lab, its databases serving: files, peers, 5 round trips through each
  // tunnel, HAProxy's servers and the firewall of all 20 hosts, 10 at a time; every host ok (exit 0).
  for (const h of fleet.hosts.filter((h) => h.isDatabase)) await h.startService();
  // Each round trip is a connection the hub's sshd accepts (and forks for): with one sample per host
  // instead of 5, the difference is what the samples cost, mostly on the hub.
  const status = async (samples: number) => {
    const run = await fortress('status', '--format', 'json', '--samples', String(samples));
    const report = JSON.parse(run.stdout) as { ok: boolean; hosts: { tunnel?: { samples: number[] } }[] };
    expect(report.ok).toBe(true);
    expect(report.hosts.filter((h) => h.tunnel?.samples.length === samples)).toHaveLength(HOSTS - 1);
    return run.seconds;
  };
  const statusRuns: number[] = [];
  const oneSample: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    statusRuns.push(await status(5));
    oneSample.push(await status(1));
  }
  rows.push(['status of 20 hosts, 5 round trips through each tunnel', median(statusRuns), Math.max(...statusRuns), 1.5]);
  rows.push(['status of 20 hosts, 1 round trip through each tunnel', median(oneSample), Math.max(...oneSample), undefined]);

  mkdirSync(out, { recursive: true });
  writeFileSync(
    `${out}apply.md`,
    rows.map(([what, med, max, target]) => `| 20-host lab | ${what} | — | ${med.toFixed(2)} s | ${max.toFixed(2)} s | — | ${target ? `≤ ${target.toFixed(1)} s` : '—'} | ${target ? (med <= target ? 'yes' : 'NO') : '—'} |`).join('\n') + '\n',
  );
}, 600_000);
