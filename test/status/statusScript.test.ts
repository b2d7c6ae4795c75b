// The host side of status, run for real (bash, nft, unshare; as root, like the lab) in a throwaway
// network namespace of its own: the status part of readState.sh, and apply's part left as it was.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readStateScript, shellQuote } from '../../src/apply/remoteScripts.js';
import { parseHostObservation } from '../../src/status/hostObservation.js';
import { statusScript, type StatusProbeVariables } from '../../src/status/statusScript.js';
import { renderedSamples } from '../support/renderedSamples.js';
import { requireRoot, requireTools } from '../support/tools.js';
import { firewallTopology } from '../render/firewallSamples.js';
import { compileText } from '../support/compileExample.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-status-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const managed = join(dir, 'managed.conf');
writeFileSync(managed, 'a = 1\n');

/**
 * bash -s with the script on stdin, in a new network namespace (with its own /sys, as `ip netns exec`
 * gives one) after `setup` ran there, whose EXIT trap runs after the script.
 */
function runInScratchNamespace(script: string, setup = ''): string {
  const result = spawnSync('unshare', ['--net', '--mount', 'bash', '-c', `mount -t sysfs sysfs /sys || exit 1\n${setup}\nbash -s`], { input: script, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (result.status !== 0) throw new Error(`exit ${result.status}: ${result.stderr}`);
  return result.stdout;
}

const probe = (variables: Partial<StatusProbeVariables>): StatusProbeVariables => ({ STATUS_PROBE: 1, RTT_ADDR: '', RTT_PORT: 22, RTT_SAMPLES: 3, RTT_BUDGET: 2, HAPROXY_SOCKET: '', FIREWALL: '', ...variables });

describe('readState.sh', () => {
  test("apply's round trip is what it was: without STATUS_PROBE only apply's lines", () => {
    requireRoot();
    requireTools('unshare', 'bash');
    const out = runInScratchNamespace(readStateScript([managed, join(dir, 'absent')], 'wg0', join(dir, 'no.key')));
    expect(out).toBe(`file - ${join(dir, 'absent')}\nfile ${createHash('sha256').update('a = 1\n').digest('hex')} ${managed}\n`);
    expect(out.split('\n').filter(Boolean).every((line) => line.startsWith('file '))).toBe(true);
  });

  test('the status part: no interface, no table, no HAProxy; hostile values stay values', () => {
    requireRoot();
    requireTools('unshare', 'bash', 'nft');
    const marker = join(dir, 'pwned');
    const out = runInScratchNamespace(
      statusScript([managed], 'wg0', join(dir, 'no.key'), probe({ RTT_ADDR: '10.0.0.1', HAPROXY_SOCKET: join(dir, 'no.sock'), FIREWALL: `'; touch ${marker}; echo '$(touch ${marker})` })),
    );
    const observed = parseHostObservation(out);
    expect(observed.now).toBeGreaterThan(1_700_000_000);
    expect(observed).toMatchObject({ wireguard: 'down', rttSamples: [], haproxyError: `no stats socket at ${join(dir, 'no.sock')}: HAProxy is not running`, firewall: { state: 'missing' } });
    expect(observed.state.hashes.get(managed)).toMatch(/^[0-9a-f]{64}$/);
    expect(readdirSync(dir)).not.toContain('pwned');
  });

  test('round trips are timed to a listener, and the live table compared with the rendered one loaded in a scratch namespace', () => {
    requireRoot();
    requireTools('unshare', 'bash', 'nft', 'ip');
    const table = 'table inet fortress\ndelete table inet fortress\ntable inet fortress {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 5432 drop comment "postgres"\n\t}\n}\n';
    const listener = `require('node:net').createServer((s) => s.end()).listen(2222, '127.0.0.1')`;
    // A "wg0" exists (one end of a veth pair) (so the round trips run) but is no WireGuard interface (so its peers cannot be read).
    const setup = [
      'ip link set lo up && ip link add wg0 type veth peer name wg0peer && ip link set wg0 up || exit 1',
      `${JSON.stringify(process.execPath)} -e ${JSON.stringify(listener)} & server=$!`,
      'trap "kill $server" EXIT',
      'for i in $(seq 100); do { : 3<>/dev/tcp/127.0.0.1/2222; } 2>/dev/null && break; sleep 0.05; done',
      `nft -f - <<'EOF'\n${table}EOF`,
      'nft add rule inet fortress input tcp dport 9999 drop',
    ].join('\n');
    const script = statusScript([], 'wg0', join(dir, 'no.key'), probe({ RTT_ADDR: '127.0.0.1', RTT_PORT: 2222, RTT_SAMPLES: 4, FIREWALL: table }));
    const out = runInScratchNamespace(script, setup);
    const observed = parseHostObservation(out);
    expect(observed.wireguard).toBe('unreadable');
    expect(observed.rttSamples).toHaveLength(4);
    expect(observed.rttSamples.every((s) => s > 0 && s < 0.5)).toBe(true);
    expect(observed.firewall).toEqual({ state: 'different', differences: ['+ tcp dport 9999 drop'] });
  });

  test("every rendered firewall normalises like nft's own listing of it, so an equal table needs no scratch namespace", () => {
    requireRoot();
    requireTools('unshare', 'bash', 'nft');
    const samples = [...renderedSamples(), ['firewall sample', compileText(firewallTopology())] as const].flatMap(([, compiled]) =>
      compiled.files.filter((f) => f.hostPath === '/etc/fortress/firewall.nft').map((f) => f.content),
    );
    expect(samples.length).toBeGreaterThan(30);
    const files = samples.map((content, i) => {
      const path = join(dir, `firewall-${i}.nft`);
      writeFileSync(path, content);
      return path;
    });
    // readState.sh's functions, without its status part running, then each file loaded and compared.
    const script = `${readStateScript([], 'wg0', join(dir, 'no.key'))}
for file in ${files.map(shellQuote).join(' ')}; do
  nft -f "$file" || exit 1
  if [ "$(status_normalize_nft < <(nft list table inet fortress))" = "$(status_normalize_nft < "$file")" ]; then echo same; else echo "differs: $file"; diff <(status_normalize_nft < <(nft list table inet fortress)) <(status_normalize_nft < "$file"); fi
done`;
    const out = runInScratchNamespace(script);
    expect(out).toBe('same\n'.repeat(files.length));
  }, 60_000);
});
