// hosts/<host>/cloud-init.yaml, each host's first-boot user-data. cloud-init itself accepts every one
// (`cloud-init schema`), PyYAML (what cloud-init parses with) reads back exactly the files apply
// installs on that host, and the deploy user, packages and boot steps are what the topology asks for.
// No private key is ever in it: keys are made at run time and searched for in the whole tree.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateTopology } from '../../bench/generateTopology.mjs';
import type { Compiled } from '../../src/compile.js';
import { literalBlock, yamlString } from '../../src/render/cloudInit/yamlText.js';
import { cloudInitSteps } from '../support/cloudInitSteps.js';
import { compileText } from '../support/compileExample.js';
import { renderedSamples } from '../support/renderedSamples.js';
import { smallTopology } from '../support/smallTopology.js';
import { sshKeyPair } from '../support/sshKeys.js';
import { requireTools } from '../support/tools.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'fortress-cloud-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => requireTools('cloud-init', 'python3'));

const samples = renderedSamples();
const userData = (compiled: Compiled) => compiled.files.filter((f) => f.path.endsWith('/cloud-init.yaml'));

/** What apply installs on a host: the manifest's files with a path there. */
function installedFiles(compiled: Compiled, host: string) {
  const contentOf = new Map(compiled.files.map((f) => [f.path, f.content]));
  return compiled.manifest.files
    .filter((f) => f.host === host && f.hostPath !== undefined)
    .map((f) => ({ path: f.hostPath!, content: contentOf.get(f.path)!, mode: f.mode }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The documents as PyYAML reads them, which is how cloud-init reads user-data. */
function readWithPyYaml(texts: string[]): unknown[] {
  const script = 'import json, sys, yaml\nprint(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as unknown[];
}

interface CloudConfig {
  packages: string[];
  users: { name: string; sudo?: string; shell?: string; lock_passwd: boolean; ssh_authorized_keys?: string[] }[];
  disable_root?: boolean;
  write_files: { path: string; content: string; permissions: string; defer: boolean; encoding?: string }[];
  runcmd: string[];
}

describe('cloud-init.yaml', () => {
  test.each(samples)('every host of the %s has one, and `cloud-init schema` accepts it', async (name, compiled) => {
    const files = userData(compiled);
    expect(files.map((f) => f.path)).toEqual(compiled.model.hosts.map((h) => `hosts/${h.name}/cloud-init.yaml`));
    const out = mkdtempSync(join(dir, 'schema-'));
    // A few at a time: each run starts a Python interpreter.
    for (let i = 0; i < files.length; i += 8) {
      await Promise.all(
        files.slice(i, i + 8).map(async (f, j) => {
          const path = join(out, `${i + j}.yaml`);
          writeFileSync(path, f.content);
          const { stdout } = await exec('cloud-init', ['schema', '--config-file', path]);
          expect(stdout, f.path).toContain('Valid cloud-config');
        }),
      );
    }
  }, 120_000);

  test.each(samples)('in the %s, PyYAML reads back every file apply installs on the host, byte for byte, with its mode', (name, compiled) => {
    const files = userData(compiled);
    const configs = readWithPyYaml(files.map((f) => f.content)) as CloudConfig[];
    for (const [i, host] of compiled.model.hosts.entries()) {
      const config = configs[i]!;
      // Only keys cloud-init knows (its schema lets an unknown top-level key through).
      expect(Object.keys(config).sort()).toEqual(['packages', 'package_update', 'runcmd', 'users', 'write_files', ...(host.deployUser === 'root' ? ['disable_root'] : [])].sort());
      const written = config.write_files.map((w) => ({ path: w.path, content: w.encoding === 'b64' ? Buffer.from(w.content, 'base64').toString('utf8') : w.content, mode: w.permissions }));
      expect(written, host.name).toEqual(installedFiles(compiled, host.name));
      expect(config.write_files.every((w) => w.defer)).toBe(true);
      expect(written.map((w) => w.path)).not.toContain('/cloud-init.yaml');
      // The steps a lab would play agree with PyYAML.
      const steps = cloudInitSteps(files[i]!.content);
      expect(steps.filter((s) => s.kind === 'write')).toEqual(written.map((w) => ({ kind: 'write', path: w.path, content: w.content, mode: parseInt(w.mode, 8) })));
      expect(steps.filter((s) => s.kind === 'run')).toEqual(config.runcmd.map((c) => ({ kind: 'run', argv: ['sh', '-c', c] })));
    }
  }, 30_000);

  test('the deploy user: ssh.user with the topology\'s keys and the sudo rule, or root keeping its keys', () => {
    const example = samples[0]![1];
    const [exampleConfig] = readWithPyYaml([userData(example).find((f) => f.path === 'hosts/fra-app-01/cloud-init.yaml')!.content]) as CloudConfig[];
    expect(exampleConfig!.users).toEqual([{ name: 'deploy', lock_passwd: true, shell: '/bin/bash', sudo: 'ALL=(root) NOPASSWD: ALL', ssh_authorized_keys: example.model.deploy.authorizedKeys }]);
    expect(exampleConfig!.disable_root).toBeUndefined();
    expect(example.model.deploy.authorizedKeys).toHaveLength(1);

    // The full-mesh fixture has no ssh settings (root) and a key whose comment is not ASCII.
    const fullMesh = samples[1]![1];
    const [rootConfig] = readWithPyYaml([userData(fullMesh)[0]!.content]) as CloudConfig[];
    expect(rootConfig!.users).toEqual([{ name: 'root', lock_passwd: true, ssh_authorized_keys: fullMesh.model.deploy.authorizedKeys }]);
    expect(fullMesh.model.deploy.authorizedKeys[0]).toMatch(/ørjan@bergen "ops" \$\{x\}$/);
    expect(rootConfig!.disable_root).toBe(false);

    // Without deploy.authorizedKeys the user has no key, and the file says so.
    const generated = samples[2]![1];
    const [bare] = readWithPyYaml([userData(generated)[0]!.content]) as CloudConfig[];
    expect(bare!.users).toEqual([{ name: 'root', lock_passwd: true }]);
    expect(userData(generated)[0]!.content).toContain('# The topology lists no deploy.authorizedKeys: nobody can log in as root with a key.');
  }, 30_000);

  test('packages by role: WireGuard and nftables everywhere, HAProxy on load balancers, sudo for a user other than root', () => {
    const example = samples[0]![1];
    const packagesOf = (host: string) => (parse(userData(example).find((f) => f.path === `hosts/${host}/cloud-init.yaml`)!.content) as CloudConfig).packages;
    expect(packagesOf('fra-app-01')).toEqual(['haproxy', 'nftables', 'sudo', 'wireguard-tools']);
    expect(packagesOf('oslo-db-01')).toEqual(['nftables', 'sudo', 'wireguard-tools']);
    const fullMesh = samples[1]![1];
    expect((parse(userData(fullMesh).find((f) => f.path === 'hosts/db-01/cloud-init.yaml')!.content) as CloudConfig).packages).toEqual(['nftables', 'wireguard-tools']);
  });

  test("first boot: /var/lib/fortress 0700, the key made under umask 077 and only read by `wg pubkey`, the mesh started only on the topology's key", () => {
    const example = samples[0]![1];
    for (const host of example.model.hosts) {
      const script = (parse(userData(example).find((f) => f.path === `hosts/${host.name}/cloud-init.yaml`)!.content) as CloudConfig).runcmd.join('\n');
      // Valid for the shell cloud-init runs it with.
      execFileSync('sh', ['-n'], { input: script });
      expect(script).toContain('install -d -m 0700 -o root -g root /var/lib/fortress');
      expect(script).toContain('(umask 077 && mkdir -p /etc/wireguard && wg genkey > "$key.new" && mv -f "$key.new" "$key")');
      expect(script).toContain(`topology_key='${host.publicKey}'`);
      expect(script).toContain('if [ "$host_key" = "$topology_key" ]; then join_mesh; else say "the WireGuard key of $host is $host_key, not the topology\'s $topology_key:');
      // The private key is read by `wg pubkey` and nothing else: no cat, no echo, no variable holds it.
      const reads = script.split('\n').filter((l) => /"\$key"/.test(l) && !/^\s*#/.test(l));
      expect(reads.map((l) => l.trim())).toEqual([
        '[ -s "$key" ] || (umask 077 && mkdir -p /etc/wireguard && wg genkey > "$key.new" && mv -f "$key.new" "$key")',
        'host_key=$(wg pubkey < "$key") || { say "$key is not a WireGuard private key"; exit 1; }',
      ]);
      const joins = /join_mesh\(\) \{\n([\s\S]*?)\n\}/.exec(script)![1]!;
      expect(joins).toContain('nft -f /etc/fortress/firewall.nft');
      expect(joins).toContain('systemctl enable --now "wg-quick@$iface"');
      expect(joins).toContain('sysctl -q -e -p /etc/sysctl.d/90-fortress.conf');
      expect(joins.includes('FORTRESS_HAPROXY_RELOAD'), host.name).toBe(host.loadBalancer !== undefined);
    }
  });

  test('no private key anywhere in the rendered tree: WireGuard keys and the deploy key made at run time', () => {
    requireTools('ssh-keygen');
    const { topology, privateKeys } = generateTopology({ hosts: 12 });
    const deploy = sshKeyPair('ed25519');
    const compiled = compileText(JSON.stringify({ ...topology, deploy: { authorizedKeys: [`${deploy.publicKey} ci`] } }));
    expect(privateKeys.size).toBe(12);
    const secrets = [...privateKeys.values(), ...deploy.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))];
    for (const file of compiled.files) {
      for (const secret of secrets) expect(file.content.includes(secret), file.path).toBe(false);
      expect(file.content).not.toMatch(/PrivateKey\s*=|PRIVATE KEY-----/);
    }
    expect(userData(compiled).every((f) => f.content.includes(`${deploy.publicKey} ci`))).toBe(true);
  }, 30_000);

  test('a mesh interface with another name, and a host without roles', () => {
    const compiled = compileText(smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1' }, plain: {} }, {}, { interface: 'mesh-1' }));
    const plain = userData(compiled).find((f) => f.path === 'hosts/plain/cloud-init.yaml')!.content;
    expect(plain).toContain('# First boot of plain (no roles; site oslo): ');
    expect(plain).toContain('  - path: /etc/wireguard/mesh-1.conf\n    permissions: "0600"');
    expect(plain).toContain('    key=/etc/wireguard/mesh-1.key\n');
  });
});

describe('YAML written for cloud-init', () => {
  const awkward = [
    'plain\n',
    'no trailing newline',
    'two trailing newlines\n\n',
    '\n\nleading empty lines\n',
    '  first line indented\nsecond\n',
    '\tfirst line a tab\n\tsecond\n',
    '   \nblank-only first line\n',
    'trailing blanks   \n   \n',
    'a: b\n- c\n# d\n"e" \'f\' |g >h &i *j !k %l @m `n {o} [p]\n',
    '---\n...\n',
    '\n',
  ];

  test.each(awkward)('a literal block keeps %j exactly, for PyYAML and the yaml package', (text) => {
    const block = literalBlock(text, 6);
    expect(block).toBeDefined();
    const document = `write_files:\n  - path: /x\n    content: ${block}\n    permissions: "0644"\n`;
    const [fromPython] = readWithPyYaml([document]) as { write_files: { content: string }[] }[];
    expect(fromPython!.write_files[0]!.content).toBe(text);
    expect((parse(document, { version: '1.1' }) as { write_files: { content: string }[] }).write_files[0]!.content).toBe(text);
  }, 30_000);

  test('text that is not printable ASCII goes as base64', () => {
    for (const text of ['ø\n', 'a\rb\n', 'nel\u0085\n', 'ls\u2028\n', 'bom\ufeff\n', '']) expect(literalBlock(text, 6)).toBeUndefined();
  });

  test('strings: quotes, backslashes and every character outside printable ASCII escaped, so YAML 1.1 line breaks stay inside', () => {
    const texts = ['ALL=(root) NOPASSWD: ALL', 'a "b" \\ c', 'ørjan', 'nel\u0085ls\u2028ps\u2029', 'emoji 😀', 'tab\tnl\n'];
    expect(texts.map(yamlString)).toContain('"nel\\u0085ls\\u2028ps\\u2029"');
    expect(readWithPyYaml(texts.map((t) => `value: ${yamlString(t)}\n`)).map((d) => (d as { value: string }).value)).toEqual(texts);
  }, 30_000);
});
