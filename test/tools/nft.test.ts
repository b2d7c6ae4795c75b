// Every rendered firewall.nft is accepted by the real `nft -c -f` (check only: nothing is committed),
// and loads for real in a throwaway network namespace: twice in a row (it replaces itself), over an
// older version of itself (whose chains vanish), beside another table (which survives), with no mesh
// interface present (as at boot). The unit that loads it at boot passes `systemd-analyze verify`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderedSamples } from '../support/renderedSamples.js';
import { compileText } from '../support/compileExample.js';
import { smallTopology } from '../support/smallTopology.js';
import { requireTools } from '../support/tools.js';
import { firewallTopology, minimalTopology } from '../render/firewallSamples.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-nft-'));
beforeAll(() => requireTools('nft', 'unshare'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const samples = [
  ...renderedSamples(),
  ['services with and without clients, frontends with and without allow (hub-and-spoke)', compileText(firewallTopology())],
  ['the same as a full mesh', compileText(firewallTopology('full-mesh'))],
  ['a hub and two spokes, client sets of services named 2fa-api', compileText(minimalTopology())],
  ['a hub with nothing to forward', compileText(smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1' }, a: {}, b: {} }, { services: { api: { port: 8080, hosts: ['hub'] } } }))],
] as const;

const firewalls = samples.flatMap(([sample, compiled]) =>
  compiled.files.filter((f) => f.hostPath === '/etc/fortress/firewall.nft').map((f) => [`${sample}: ${f.host}`, f.content] as const),
);

function writeFile(name: string, content: string): string {
  const file = join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.nft`);
  writeFileSync(file, content);
  return file;
}

/**
 * Runs a shell script in a network namespace of its own, which vanishes with the process: nothing
 * it loads can reach this machine's firewall. Root gets a plain network namespace; anyone else a
 * user namespace too, where they are root.
 */
function inThrowawayNamespace(script: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const isolate = process.getuid?.() === 0 ? ['--net'] : ['--net', '--map-root-user'];
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
  return spawnSync('unshare', [...isolate, 'sh', '-euc', script, 'sh', ...args], { encoding: 'utf8', env });
}

describe('nft -c -f', () => {
  test('every sample has firewalls to check, hubs with a forward chain among them', () => {
    expect(firewalls.length).toBeGreaterThanOrEqual(50);
    expect(firewalls.filter(([, content]) => content.includes('hook forward')).length).toBeGreaterThanOrEqual(4);
    expect(firewalls.some(([, content]) => content.includes('ip6 saddr'))).toBe(true);
  });

  test.each(firewalls)('accepts %s', (name, content) => {
    const run = inThrowawayNamespace('nft -c -f "$1"', writeFile(name, content));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('rejects a broken file, so the check above can fail', () => {
    const broken = firewalls[0]![1].replace('policy accept;', 'policy accept;\n\t\ttcp dport 5432 acept');
    const run = inThrowawayNamespace('nft -c -f "$1"', writeFile('broken', broken));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Error/);
  });
});

describe('loaded for real in a throwaway network namespace', () => {
  const [hubName, hub] = firewalls.find(([name, content]) => name.startsWith('example') && content.includes('hook forward'))!;

  test(`${hubName}: replaces itself, drops an older version's chains, and leaves another table alone`, () => {
    // An older version of the table with a chain the new one does not have: a flush would keep it.
    const older = 'table inet fortress {\n\tchain legacy {\n\t\ttcp dport 9999 drop\n\t}\n}\n';
    const run = inThrowawayNamespace(
      [
        'nft add table ip keep',
        'nft add chain ip keep input "{ type filter hook input priority 10; policy accept; }"',
        'nft add rule ip keep input tcp dport 7777 counter',
        'nft -f "$1"',
        'ip link show wg0 >/dev/null 2>&1 && exit 3',
        'nft -f "$2"',
        'nft -f "$2"',
        'echo "--- tables"; nft list tables',
        'echo "--- keep"; nft list table ip keep',
        'echo "--- fortress"; nft list table inet fortress',
      ].join('\n'),
      writeFile('older', older),
      writeFile('hub', hub),
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [, tables, keep, fortress] = run.stdout.split(/^--- \w+\n/m);
    expect(tables).toBe('table ip keep\ntable inet fortress\n');
    expect(keep).toContain('tcp dport 7777 counter');
    expect(fortress).not.toContain('legacy');
    // What nft prints is the file without its comments, save for the layout of set elements.
    const written = hub.slice(hub.indexOf('table inet fortress {')).replace(/^\s*#.*\n/gm, '');
    expect(withoutSetElements(fortress!)).toBe(withoutSetElements(written));
  });

  test('every firewall of the example loads over the one before it, one host after another', () => {
    const example = firewalls.filter(([name]) => name.startsWith('example'));
    const files = example.map(([name, content]) => writeFile(`load-${name}`, content));
    const run = inThrowawayNamespace('for file in "$@"; do nft -f "$file"; done; nft list tables', ...files);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('table inet fortress\n');
  });
});

/** Set elements, which nft lays out its own way (several to a line, by address), as one sorted list. */
function withoutSetElements(text: string): string {
  return text.replace(/elements = \{([^}]*)\}/g, (_m, elements: string) => `elements = { ${elements.split(',').map((e) => e.trim()).sort().join(', ')} }`);
}

describe('systemd-analyze verify', () => {
  test('accepts the unit that loads the firewall at boot', () => {
    requireTools('systemd-analyze');
    const unitDir = join(dir, 'units');
    mkdirSync(unitDir, { recursive: true });
    const unit = samples[0][1].files.find((f) => f.hostPath === '/etc/fortress/fortress-firewall.service')!;
    const file = join(unitDir, 'fortress-firewall.service');
    writeFileSync(file, unit.content);
    const run = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
