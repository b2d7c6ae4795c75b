// writeHost: the host goes into topology.yaml and nothing else in the file moves. The example
// topology (copied into a temp repository) is the golden case; smaller inline topologies cover the
// other styles a file can be written in, and what enroll refuses to edit.
// After an intended change, accept the new golden file with `npx vitest run test/enroll -u` and
// review its diff like any other change.
import { diffLines } from 'diff';
import { afterAll, describe, expect, test } from 'vitest';
import { validateSource } from '../../src/compile.js';
import { writeHost, type HostEnrollment } from '../../src/enroll/writeHost.js';
import { smallTopology } from '../support/smallTopology.js';
import { TempRepo } from '../support/tempRepo.js';
import { sshHostKeyLine, wireguardPublicKey } from './enrollKeys.js';
import { lineOf } from './lineOf.js';

const repo = TempRepo.withExample();
afterAll(() => repo.remove());
const example = () => ({ path: 'topology/topology.yaml', text: repo.read('topology/topology.yaml') });

function enrollment(host: string, more: Partial<HostEnrollment> = {}): HostEnrollment {
  return { host, publicKey: wireguardPublicKey(), ssh: { address: '198.51.100.23', user: 'deploy', hostKey: sshHostKeyLine() }, ...more };
}

/**
 * A line diff as its changes: lines removed ('-') or added ('+'), each at the line of the old text
 * it replaces or is inserted before (1-based).
 */
function changes(before: string, after: string): { change: '+' | '-'; at: number; lines: string[] }[] {
  const parts: { change: '+' | '-'; at: number; lines: string[] }[] = [];
  let at = 1;
  for (const part of diffLines(before, after)) {
    const lines = part.value.split(/\r?\n/).slice(0, part.count);
    if (part.added) parts.push({ change: '+', at, lines });
    else if (part.removed) parts.push({ change: '-', at, lines });
    if (!part.added) at += part.count ?? 0;
  }
  return parts;
}

function valid(text: string): boolean {
  const { topology, diagnostics } = validateSource({ path: 'topology/topology.yaml', text });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return topology !== undefined;
}

describe('a new host in the example topology', () => {
  const request = enrollment('fra-app-03', { site: 'frankfurt', roles: ['app'] });
  const before = example().text;
  const written = writeHost(example(), request);

  test('is written in the style of the hosts before it (golden file)', async () => {
    expect(written.diagnostics).toEqual([]);
    expect(written.change).toBe('added');
    // The keys are made at run time; the golden file names them.
    const shown = written.text!.replace(request.publicKey, '<publicKey>').replace(request.ssh.hostKey, '<hostKey>');
    await expect(shown).toMatchFileSnapshot('golden/example-new-host.yaml');
  });

  test('the only change is the added lines, after the last host: every comment and column stays', () => {
    expect(changes(before, written.text!).map((p) => p.change)).toEqual(['+']);
    // Exactly: a blank line and the host, after lon-app-01's last line and before the blank line that ends `hosts:`.
    const lines = before.split('\n');
    const services = lines.indexOf('services:                     # listeners bound only to mesh addresses');
    expect(lines[services - 2]).toBe('    terraform: { machine_type: e2-standard-2, image: ubuntu-2204-lts }');
    lines.splice(services - 1, 0, ...[
      '',
      '  fra-app-03:',
      '    site: frankfurt',
      '    roles: [app]',
      `    publicKey: ${request.publicKey}`,
      `    ssh: { address: 198.51.100.23, user: deploy, hostKey: "${request.ssh.hostKey}" }`,
    ]);
    expect(written.text).toBe(lines.join('\n'));
    expect(valid(written.text!)).toBe(true);
  });

  test('without --site it is refused with FT530 at `sites:`, naming them; nothing is guessed', () => {
    const { text, diagnostics } = writeHost(example(), enrollment('fra-app-03'));
    expect(text).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'FT530', severity: 'error', span: { file: 'topology/topology.yaml', start: { line: lineOf(before, 'sites:'), col: 1 } } }]);
    expect(diagnostics[0]!.message).toBe('"fra-app-03" is a new host and the topology has 3 sites (oslo, frankfurt, london): enroll does not guess which site the machine is in');
    expect(diagnostics[0]!.hint).toBe('name the site with --site <site>');
  });

  test('without --site in a topology of one site, that site', () => {
    const text = smallTopology({ 'oslo-db-01': { roles: ['hub'], endpoint: '192.0.2.10' } }).replace(/\n {2}frankfurt:\n(?: {4}.*\n)+/, '\n');
    expect(text).not.toContain('frankfurt');
    const written = writeHost({ path: 'topology/topology.yaml', text }, enrollment('oslo-app-01'));
    expect(written.diagnostics).toEqual([]);
    expect(written.text).toContain('  oslo-app-01:\n    site: oslo\n');
    expect(valid(written.text!)).toBe(true);
  });
});

describe('an existing host', () => {
  const before = () => example().text;

  test('enrolled again with what the topology says: the text is the same, byte for byte', () => {
    const text = before();
    const hostKey = /oslo-db-01:[\s\S]*?hostKey: "([^"]+)"/.exec(text)![1]!;
    const written = writeHost(example(), { host: 'oslo-db-01', publicKey: '14nx0wg7Stv1g2HgvA0AQVSExQV2tq1d9YZeYAJIVVk=', ssh: { address: '192.0.2.10', port: 22, user: 'deploy', hostKey }, site: 'oslo', roles: ['hub', 'database'] });
    expect(written).toEqual({ text, change: 'unchanged', diagnostics: [] });
  });

  test('updated: only publicKey, roles and the ssh line of that host change; the port goes in the schema order', () => {
    const request = enrollment('oslo-db-02', { ssh: { address: '192.0.2.12', port: 2222, hostKey: sshHostKeyLine() }, roles: ['database', 'app'] });
    const written = writeHost(example(), request);
    expect(written.diagnostics).toEqual([]);
    expect(written.change).toBe('updated');
    const parts = changes(before(), written.text!);
    const entry = before().split('\n').indexOf('  oslo-db-02:                 # backup database, also in Norway') + 1;
    // Each changed line replaced in place, inside the host's entry (lines 2, 3 and 5 below its name), and no other line.
    expect(parts.map((p) => [p.change, p.at - entry, p.lines.length])).toEqual([
      ['-', 2, 2],
      ['+', 4, 2],
      ['-', 5, 1],
      ['+', 6, 1],
    ]);
    expect(parts.filter((p) => p.change === '+').flatMap((p) => p.lines)).toEqual([
      '    roles: [database, app]',
      `    publicKey: ${request.publicKey}`,
      // user: deploy stays (not given), port goes between user and hostKey, quotes as before.
      `    ssh: { address: 192.0.2.12, user: deploy, port: 2222, hostKey: "${request.ssh.hostKey}" }`,
    ]);
    expect(valid(written.text!)).toBe(true);
  });

  test('a host without ssh settings gets them after publicKey, in the style of the other hosts', () => {
    const text = before().replace(/( {4}publicKey: 8xLt.*\n) {4}ssh: .*\n/, '$1');
    const request = enrollment('fra-app-01');
    const written = writeHost({ path: 'topology/topology.yaml', text }, request);
    expect(written.change).toBe('updated');
    const parts = changes(text, written.text!);
    expect(parts.map((p) => [p.change, p.lines])).toEqual([
      ['-', ['    publicKey: 8xLtNVWHeVTAkyrszH/6CLt8tMOSPV8kUreHa4ZFuCo=']],
      ['+', [`    publicKey: ${request.publicKey}`, `    ssh: { address: 198.51.100.23, user: deploy, hostKey: "${request.ssh.hostKey}" }`]],
    ]);
  });
});

describe('other ways a topology is written', () => {
  test('block style throughout (as yaml writes it): block lists and mappings, blank lines as the file has them', () => {
    const text = smallTopology({ 'oslo-db-01': { roles: ['hub', 'database'], endpoint: '192.0.2.10' }, 'fra-app-01': { site: 'frankfurt', roles: ['app'] } });
    const request = enrollment('fra-app-02', { site: 'frankfurt', roles: ['app', 'loadbalancer'], ssh: { address: '198.51.100.24', port: 2200, hostKey: sshHostKeyLine() } });
    const written = writeHost({ path: 'topology/topology.yaml', text }, request);
    expect(written.diagnostics).toEqual([]);
    const parts = changes(text, written.text!);
    expect(parts.map((p) => [p.change, p.lines])).toEqual([
      [
        '+',
        [
          '  fra-app-02:',
          '    site: frankfurt',
          '    roles:',
          '      - app',
          '      - loadbalancer',
          `    publicKey: ${request.publicKey}`,
          '    ssh:',
          '      address: 198.51.100.24',
          '      port: 2200',
          `      hostKey: "${request.ssh.hostKey}"`,
        ],
      ],
    ]);
    expect(valid(written.text!)).toBe(true);

    // And an existing block-style host: its block list of roles is rewritten in place, ssh added below publicKey.
    const ssh = { address: '198.51.100.25', hostKey: sshHostKeyLine() };
    const again = writeHost({ path: 'topology/topology.yaml', text: written.text! }, enrollment('fra-app-01', { roles: ['app', 'batch'], ssh }));
    const updated = changes(written.text!, again.text!);
    expect(updated.map((p) => [p.change, p.lines.map((l) => l.replace(/publicKey: .*/, 'publicKey: …').replace(/hostKey: .*/, 'hostKey: …'))])).toEqual([
      ['-', ['    publicKey: …']],
      ['+', ['      - batch', '    publicKey: …', '    ssh:', '      address: 198.51.100.25', '      hostKey: …']],
    ]);
    expect(valid(again.text!)).toBe(true);

    // No roles at all: a block list has no empty form, so the list becomes `[]` after its key.
    const none = writeHost({ path: 'topology/topology.yaml', text: again.text! }, enrollment('fra-app-01', { roles: [], ssh }));
    expect(changes(again.text!, none.text!).map((p) => [p.change, p.lines.map((l) => l.replace(/publicKey: .*/, 'publicKey: …'))])).toEqual([
      ['-', ['    roles:', '      - app', '      - batch', '    publicKey: …']],
      ['+', ['    roles: []', '    publicKey: …']],
    ]);
    expect(valid(none.text!)).toBe(true);
  });

  test('comment lines that close `hosts:` stay after the new host; a file without a final newline; CRLF line endings', () => {
    const base = smallTopology({ 'oslo-db-01': { roles: ['hub'], endpoint: '192.0.2.10' } });
    const hostsLast = `${base.replace(/\nhosts:\n[\s\S]*$/, '\n')}hosts:\n${/\nhosts:\n([\s\S]*)$/.exec(base)![1]!.trimEnd()}`;
    const request = enrollment('oslo-db-02', { site: 'oslo' });

    const withComment = `${hostsLast}\n  # oslo-db-03 comes next quarter\n`;
    const commented = writeHost({ path: 't.yaml', text: withComment }, request).text!;
    expect(commented.endsWith(`      hostKey: "${request.ssh.hostKey}"\n  # oslo-db-03 comes next quarter\n`)).toBe(true);
    expect(valid(commented)).toBe(true);

    const unterminated = writeHost({ path: 't.yaml', text: hostsLast }, request).text!;
    expect(unterminated.startsWith(hostsLast)).toBe(true);
    expect(unterminated.slice(hostsLast.length).split('\n')[1]).toBe('  oslo-db-02:');
    expect(valid(unterminated)).toBe(true);

    const crlf = base.replace(/\n/g, '\r\n');
    const written = writeHost({ path: 't.yaml', text: crlf }, request).text!;
    expect(written.startsWith(crlf)).toBe(true);
    expect(written.replace(/\r\n/g, '')).not.toContain('\n');
    expect(written).toContain('\r\n  oslo-db-02:\r\n    site: oslo\r\n');
    expect(valid(written)).toBe(true);
  });

  test('hosts in flow style each: the new one is too', () => {
    const text = [
      'version: 1',
      'name: flow',
      'mesh: { cidr: 10.100.0.0/24 }',
      'sites: { oslo: { provider: coolvds, region: oslo, country: NO } }',
      'hosts:',
      `  oslo-db-01: {site: oslo, roles: [hub], endpoint: 192.0.2.10, publicKey: ${wireguardPublicKey()}}`,
      '',
    ].join('\n');
    const request = enrollment('oslo-app-01', { roles: ['app'] });
    const written = writeHost({ path: 't.yaml', text }, request);
    expect(written.text).toBe(`${text}  oslo-app-01: {site: oslo, roles: [app], publicKey: ${request.publicKey}, ssh: {address: 198.51.100.23, user: deploy, hostKey: "${request.ssh.hostKey}"}}\n`);
    expect(valid(written.text!)).toBe(true);
  });
});

describe('what enroll refuses to edit', () => {
  const topology = (hosts: string) => ['version: 1', 'name: t', 'mesh: { cidr: 10.100.0.0/24 }', 'sites: { oslo: { provider: coolvds, region: oslo, country: NO } }', hosts, ''].join('\n');
  const key = wireguardPublicKey();

  test('a broken topology: the strict loader says why, nothing is written', () => {
    const written = writeHost({ path: 't.yaml', text: topology(`hosts:\n  a:\n    site: oslo\n    site: oslo\n    publicKey: ${key}`) }, enrollment('b'));
    expect(written.text).toBeUndefined();
    expect(written.diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([['FT102', 8]]);
  });

  test('`hosts:` as one flow mapping', () => {
    const written = writeHost({ path: 't.yaml', text: topology(`hosts: { a: { site: oslo, publicKey: ${key} } }`) }, enrollment('b'));
    expect(written.diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([['FT531', 5]]);
  });

  test('a value shared through an anchor, or an alias, where enroll would change it', () => {
    const shared = topology(`hosts:\n  a:\n    site: oslo\n    publicKey: ${key}\n    ssh: &ssh { address: 192.0.2.1, user: deploy }\n  b:\n    site: oslo\n    publicKey: ${wireguardPublicKey()}\n    ssh: *ssh`);
    const viaAnchor = writeHost({ path: 't.yaml', text: shared }, enrollment('a'));
    expect(viaAnchor.diagnostics.map((d) => [d.code, d.span.start.line, d.message])).toEqual([['FT531', 9, '"a" shares this value with another part of the topology through an anchor; enroll would change both']]);
    const viaAlias = writeHost({ path: 't.yaml', text: shared }, enrollment('b'));
    expect(viaAlias.diagnostics.map((d) => [d.code, d.span.start.line, d.message])).toEqual([['FT531', 13, 'ssh is an alias (*ssh) of another value, which enroll would change too']]);
    // An anchor nobody repeats is just a name: the host is edited as usual.
    const unused = writeHost({ path: 't.yaml', text: shared.replace('ssh: *ssh', 'ssh: { address: 192.0.2.2 }') }, enrollment('a'));
    expect(unused.diagnostics).toEqual([]);
    expect(unused.text).toContain('ssh: &ssh { address: 198.51.100.23, user: deploy, hostKey: "');
  });
});
