// enroll against real machines: two hosts of the apply lab (network namespaces, each with a real sshd
// and a host key made inside it at run time), their WireGuard keys removed so that they look like
// freshly booted machines. Each test enrolls one of them into a copy of the example topology, with
// the SSH half of enroll's effects being the real ones (ssh2, the lab's client key). Needs root.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateSource } from '../../src/compile.js';
import { enrollHost, sshEffects, type EnrollRequest, type EnrollResult } from '../../src/enroll/enrollHost.js';
import { scanHostKey } from '../../src/enroll/hostKeyTrust.js';
import { buildApplyLab, type ApplyLab, type ApplyLabHost } from '../e2e/lab/applyLab.js';
import { runChecked } from '../e2e/lab/command.js';
import { Lab } from '../e2e/lab/lab.js';
import { TempRepo } from '../support/tempRepo.js';
import { lineOf } from './lineOf.js';
import { requireRoot, requireTools, run } from '../support/tools.js';

const lab = new Lab(`en${process.pid}`);
const live = { lab: undefined as ApplyLab | undefined };
const KEY = '/etc/wireguard/wg0.key';

function applyLab(): ApplyLab {
  if (!live.lab) throw new Error('the lab did not come up; see beforeAll');
  return live.lab;
}

/** The fingerprint OpenSSH's own ssh-keygen gives the host's key: what a cloud console would show. */
function fingerprintOf(host: ApplyLabHost): string {
  return run('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], `${host.hostKeyLine}\n`).split(' ')[1]!;
}

/** Everything under /etc/wireguard on the host, with modes and hashes: to prove nothing changed. */
async function wireguardDir(host: ApplyLabHost): Promise<string> {
  const listed = await host.exec('cd /etc/wireguard && find . -printf "%p %m %s\\n" | sort && find . -type f -exec sha256sum {} + | sort');
  expect(listed.code, listed.stderr).toBe(0);
  return listed.stdout;
}

/** enroll into a fresh copy of the example topology; the repository is removed afterwards. */
async function enrollInto(request: EnrollRequest, check: (result: EnrollResult, repo: TempRepo, before: string) => Promise<void> | void): Promise<void> {
  const repo = TempRepo.withExample();
  try {
    const path = 'topology/topology.yaml';
    const before = repo.read(path);
    const result = await enrollHost(request, {
      ...sshEffects({ privateKey: readFileSync(applyLab().clientKeyPath) }),
      readTopology: async () => ({ path, text: repo.read(path) }),
      writeTopology: async (text) => repo.write(path, text),
    });
    await check(result, repo, before);
  } finally {
    repo.remove();
  }
}

beforeAll(async () => {
  requireRoot();
  requireTools('ip', 'sshd', 'ssh-keygen', 'wg', 'nsenter', 'unshare', 'bash', 'findmnt', 'sudo');
  try {
    live.lab = await buildApplyLab(lab, { hosts: 2 });
    // Freshly booted machines: no WireGuard key yet.
    for (const host of live.lab.hosts) expect((await host.exec(`rm ${KEY} && ls -A /etc/wireguard`)).stdout).toBe('');
  } catch (error) {
    await lab.teardown();
    throw error;
  }
}, 60_000);

afterAll(async () => {
  const built = live.lab;
  const names = [...lab.namespaceNames()];
  await lab.teardown();
  const listed = (await runChecked('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0]);
  expect(listed.filter((name) => names.includes(name ?? ''))).toEqual([]);
  if (built) expect(await built.leftovers()).toEqual([]);
}, 60_000);

describe('enroll against lab hosts', { timeout: 30_000 }, () => {
  test('the host key read without logging in is the one sshd has', async () => {
    const [first] = applyLab().hosts;
    expect(await scanHostKey({ address: first!.underlayAddress, port: 22 })).toEqual({ hostKey: first!.hostKeyLine, fingerprint: fingerprintOf(first!) });
  });

  test('a wrong fingerprint: refused before logging in; nothing on the host or in the topology changes', async () => {
    const [first, second] = applyLab().hosts;
    const before = await wireguardDir(second!);
    await enrollInto({ host: 'lab-app-02', ssh: { address: second!.underlayAddress }, site: 'frankfurt', roles: ['app'], hostKeyFingerprint: fingerprintOf(first!) }, (result, repo, topology) => {
      expect(result.diagnostics.map((d) => d.code)).toEqual(['FT532']);
      expect(result.diagnostics[0]!.message).toBe(`lab-app-02 presented the ssh-ed25519 host key ${fingerprintOf(second!)}, not ${fingerprintOf(first!)} as --host-key-fingerprint says: refusing to log in`);
      expect(result).toMatchObject({ written: false, hostKey: second!.hostKeyLine, fingerprint: fingerprintOf(second!) });
      expect(result.text).toBeUndefined();
      expect(result.publicKey).toBeUndefined();
      expect(repo.read('topology/topology.yaml')).toBe(topology);
    });
    expect(await wireguardDir(second!)).toBe(before);
    expect(before).toMatch(/^\. 700 \d+\n$/); // the directory, empty
    // Not even a login: the connection ended at the key exchange.
    expect(second!.sshdLog()).not.toMatch(/Accepted publickey/);
  });

  test('no fingerprint: refused, printing the fingerprint to check; nothing changes', async () => {
    const [, second] = applyLab().hosts;
    const before = await wireguardDir(second!);
    await enrollInto({ host: 'lab-app-02', ssh: { address: second!.underlayAddress }, site: 'frankfurt' }, (result, repo, topology) => {
      expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([['FT533', `lab-app-02 presented the ssh-ed25519 host key ${fingerprintOf(second!)}; without --host-key-fingerprint enroll does not trust it`]]);
      expect(result.diagnostics[0]!.hint).toContain(`--host-key-fingerprint ${fingerprintOf(second!)}`);
      expect(result.written).toBe(false);
      expect(repo.read('topology/topology.yaml')).toBe(topology);
    });
    expect(await wireguardDir(second!)).toBe(before);
    expect(second!.sshdLog()).not.toMatch(/Accepted publickey/);
  });

  test('the right fingerprint: the WireGuard key is made on the host, and the host written into the topology with every comment kept', async () => {
    const [first] = applyLab().hosts;
    await enrollInto({ host: 'lab-app-01', ssh: { address: first!.underlayAddress }, site: 'frankfurt', roles: ['app'], hostKeyFingerprint: fingerprintOf(first!) }, async (result, repo, topology) => {
      expect(result.diagnostics).toEqual([]);
      const onHost = await first!.exec(`stat -c %a ${KEY} && wg pubkey < ${KEY} && cat ${KEY}`);
      expect(onHost.code, onHost.stderr).toBe(0);
      const [mode, publicKey, privateKey] = onHost.stdout.trim().split('\n');
      expect(mode).toBe('600');
      expect(result).toMatchObject({ created: true, publicKey, keyFile: KEY, hostKey: first!.hostKeyLine, fingerprint: fingerprintOf(first!), change: 'added', written: true });
      // The private key stays on the host: in nothing enroll returns or writes.
      expect(JSON.stringify(result)).not.toContain(privateKey);
      const written = repo.read('topology/topology.yaml');
      expect(result.text).toBe(written);
      expect(written).not.toContain(privateKey);
      expect(written).toBe(
        topology.replace(
          '\n\nservices:',
          `\n\n  lab-app-01:\n    site: frankfurt\n    roles: [app]\n    publicKey: ${publicKey}\n    ssh: { address: ${first!.underlayAddress}, hostKey: "${first!.hostKeyLine}" }\n\nservices:`,
        ),
      );
      expect(validateSource({ path: 'topology/topology.yaml', text: written }).topology?.hosts['lab-app-01']).toEqual({ site: 'frankfurt', roles: ['app'], publicKey, ssh: { address: first!.underlayAddress, hostKey: first!.hostKeyLine } });

      // Once more: the key is kept, and the topology already says it all.
      const again = await enrollHost(
        { host: 'lab-app-01', ssh: { address: first!.underlayAddress }, hostKeyFingerprint: fingerprintOf(first!) },
        { ...sshEffects({ privateKey: readFileSync(applyLab().clientKeyPath) }), readTopology: async () => ({ path: 'topology/topology.yaml', text: written }), writeTopology: async () => expect.fail('nothing to write') },
      );
      expect(again).toMatchObject({ diagnostics: [], created: false, publicKey, change: 'unchanged', written: false, text: written });
    });
  });

  test('a deploy user without the sudo rule: refused with the rule to add, no key; with it, --trust-on-first-use enrolls through sudo', async () => {
    const [, second] = applyLab().hosts;
    const sh = async (script: string, input?: string) => {
      const result = await second!.exec(script, input === undefined ? {} : { input });
      expect(result.code, result.stderr).toBe(0);
    };
    // As the apply lab's sudo test does: deploy keeps its own copy of the lab's client key.
    await sh("useradd --create-home --home-dir /var/lib/deploy --shell /bin/bash deploy && usermod -p '*' deploy && install -d -o deploy -g deploy -m 0700 /var/lib/deploy/.ssh");
    await sh('f=/var/lib/deploy/.ssh/authorized_keys; cat > $f && chown deploy:deploy $f && chmod 0600 $f', `${applyLab().clientPublicKey}\n`);
    const request: EnrollRequest = { host: 'lab-app-02', ssh: { address: second!.underlayAddress, user: 'deploy' }, site: 'frankfurt', trustOnFirstUse: true };

    const before = await wireguardDir(second!);
    await enrollInto(request, (result, repo, topology) => {
      expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
        ['FT536', `lab-app-02: could not make the WireGuard key ${KEY}: sudo: deploy cannot run commands as root without a password (sudo -n); add the rule "deploy ALL=(root) NOPASSWD: ALL" to /etc/sudoers.d/fortress on the host`],
      ]);
      expect(result.written).toBe(false);
      expect(repo.read('topology/topology.yaml')).toBe(topology);
    });
    expect(await wireguardDir(second!)).toBe(before);

    await second!.ns.writeFile('/etc/fortress/sudoers', 'deploy ALL=(root) NOPASSWD: ALL\n', 0o440);
    await sh('install -m 0440 /etc/fortress/sudoers /etc/sudoers.d/fortress && rm /etc/fortress/sudoers');
    await enrollInto(request, async (result, repo) => {
      expect(result.diagnostics).toEqual([]);
      const publicKey = (await second!.exec(`wg pubkey < ${KEY}`)).stdout.trim();
      expect(result).toMatchObject({ created: true, publicKey, hostKey: second!.hostKeyLine, written: true });
      expect(repo.read('topology/topology.yaml')).toContain(`\n  lab-app-02:\n    site: frankfurt\n    publicKey: ${publicKey}\n    ssh: { address: ${second!.underlayAddress}, user: deploy, hostKey: "${second!.hostKeyLine}" }\n`);
    });
    expect((await second!.exec(`stat -c '%U %a' ${KEY}`)).stdout.trim()).toBe('root 600');
  });

  test('a topology enroll would make invalid is refused before connecting: nothing on the host is touched', async () => {
    const [, second] = applyLab().hosts;
    const before = await wireguardDir(second!);
    const logged = second!.sshdLog().length;
    await enrollInto({ host: 'lab-app-03', ssh: { address: second!.underlayAddress }, site: 'frankfrut', trustOnFirstUse: true }, (result, _repo, topology) => {
      // The line of the new host's entry does not exist yet: the diagnostic points at `hosts:`.
      expect(result.diagnostics).toMatchObject([{ code: 'FT301', span: { start: { line: lineOf(topology, 'hosts:') } }, message: expect.stringMatching(/"frankfrut".*\(in the entry enroll would write for lab-app-03\)$/), hint: 'did you mean "frankfurt"?' }]);
      expect(result.hostKey).toBeUndefined();
    });
    await enrollInto({ host: 'lab-app-03', ssh: { address: second!.underlayAddress, user: 'Deploy' }, site: 'frankfurt', trustOnFirstUse: true }, (result) => {
      expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([['FT205', 'hosts.lab-app-03.ssh.user must be a Unix user name, not "Deploy" (in the entry enroll would write for lab-app-03)']]);
    });
    // For an existing host, the host's own entry.
    await enrollInto({ host: 'fra-app-01', ssh: { address: second!.underlayAddress }, site: 'frankfrut', trustOnFirstUse: true }, (result, _repo, topology) => {
      expect(result.diagnostics).toMatchObject([{ code: 'FT301', span: { start: { line: lineOf(topology, '  fra-app-01:') } } }]);
    });
    expect(await wireguardDir(second!)).toBe(before);
    expect(second!.sshdLog().length).toBe(logged);
  });
});
