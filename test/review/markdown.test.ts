// The pull-request comment: a golden sample of a representative change (also the picture in the
// README, docs/review-sample.md), and GitHub's comment limit on a change that touches 1,000 hosts.
import { stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import { generateTopology } from '../../bench/generateTopology.mjs';
import { buildReview, type Review } from '../../src/review/buildReview.js';
import { formatReviewMarkdown, GITHUB_COMMENT_LIMIT } from '../../src/review/formatMarkdown.js';
import { formatReviewText } from '../../src/review/formatText.js';
import { snapshotOfCompiled } from '../../src/review/treeSnapshot.js';
import { compileExample, compileText } from '../support/compileExample.js';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../support/compileExample.js';

const exampleText = readFileSync(`${repoRoot}topology/topology.yaml`, 'utf8');
const exampleLock = readFileSync(`${repoRoot}topology/topology.lock.json`, 'utf8');

/** A typical pull request: a new London app node, the hub's new public address, and a database tuning. */
function representativeReview() {
  const changed = exampleText
    .replace('endpoint: 192.0.2.10', 'endpoint: 192.0.2.20')
    .replace('services:', '  lon-app-02:\n    site: london\n    roles: [app]\n    publicKey: qXPt2KckilwAAj+YmSuh/utYaTP0DgcKNDOlghIq2Ec=\n\nservices:')
    .replace('database: { vm.dirty_background_ratio: 5 }', 'database: { vm.dirty_background_ratio: 3 }');
  return buildReview(snapshotOfCompiled('origin/main', compileExample()), snapshotOfCompiled('add-london-node', compileText(changed, exampleLock)));
}

describe('markdown review', () => {
  test('golden: a representative change (docs/review-sample.md)', async () => {
    const markdown = formatReviewMarkdown(representativeReview(), { baseRef: 'origin/main' });
    expect(markdown).not.toContain('✂️');
    await expect(markdown).toMatchFileSnapshot('../../docs/review-sample.md');
  });

  test('a 1,000-host change stays under GitHub’s comment limit and says what was cut', () => {
    const { topology } = generateTopology({ hosts: 1000 });
    const before = compileText(stringify(topology));
    const after = compileText(stringify({ ...topology, mesh: { ...(topology.mesh as object), mtu: 1400, persistentKeepalive: 15 } }), before.lockText);
    const review = buildReview(snapshotOfCompiled('origin/main', before), snapshotOfCompiled('mtu-1400', after));
    expect(review.hosts).toHaveLength(1000);

    const markdown = formatReviewMarkdown(review, { baseRef: 'origin/main' });
    expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT - 1_000);
    expect(markdown).toContain("> ✂️ To fit GitHub's 65,536-character comment limit,");
    expect(markdown).toContain('Run `fortress diff --base origin/main` locally to see everything.');
    expect(markdown).toMatch(/\| … \| \d+ more hosts \| \d+ restart, 0 live, 0 none \| see the sections below \|/);
    expect(markdown).toContain('**Risks**');
    expect(markdown).toContain('<details><summary><code>oslo-db-01</code> (hub) · changed · restart'); // the hub is never the section left out
    expect(markdown).toContain('mtu changes: every host restarts its WireGuard interface');
    // Fences stay balanced whatever was cut.
    expect((markdown.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  test('a diff that holds backticks gets a longer fence', () => {
    const before = compileText(exampleText);
    const after = compileText(exampleText.replace('terraform: { machine_type: e2-standard-2, image: ubuntu-2204-lts }', 'terraform: { machine_type: "```", image: ubuntu-2204-lts }'), before.lockText);
    const markdown = formatReviewMarkdown(buildReview(snapshotOfCompiled('a', before), snapshotOfCompiled('b', after)));
    expect(markdown).toContain('````diff\n');
  });
});

describe('hostile names in a review', () => {
  // Names in a review of committed trees come from files anyone can commit: a manifest or a path
  // under rendered/hosts/ may hold markup, pipes, backticks or terminal escapes.
  const hostile = 'x</code><img src=x onerror=alert(1)>|`y`\u001b]52;c;AAAA\u0007';
  const review: Review = {
    base: 'a',
    head: 'b',
    mesh: [],
    policy: [],
    hosts: [{ host: hostile, change: 'changed', hub: false, disruption: 'live', summary: [`peer ${hostile} added`], files: [] }],
    sites: [{ site: hostile, summary: [], files: [{ path: `terraform/${hostile}.auto.tfvars`, change: 'added', owner: { kind: 'site', name: hostile }, patch: '+x\n', linesAdded: 1, linesRemoved: 0 }] }],
    risks: [],
    renderedWithoutTopologyChange: [{ path: `hosts/${hostile}/etc/x`, change: 'added', owner: { kind: 'host', name: hostile }, patch: '+y\n', linesAdded: 1, linesRemoved: 0 }],
    counts: { added: 0, removed: 0, changed: 1, restart: 0, live: 1 },
  };

  test('markdown: no HTML, no table break, no code span break outside the diff fences', () => {
    const markdown = formatReviewMarkdown(review);
    const outsideFences = markdown.replace(/^(`{3,})diff\n[\s\S]*?^\1$/gm, '');
    expect(outsideFences).not.toMatch(/<img|<\/code><img|\u001b/);
    expect(outsideFences).toContain('&lt;img src=x onerror=alert(1)&gt;\\|&#96;y&#96;');
    for (const row of outsideFences.split('\n').filter((l) => l.startsWith('| '))) expect(row.split(/(?<!\\)\|/).length).toBe(6);
  });

  test('text in colour: a colour code in a committed file is shown, not obeyed', () => {
    const concealing: Review = { ...review, hosts: [{ ...review.hosts[0]!, host: 'a', summary: ['x'], files: [{ path: 'hosts/a/etc/x', change: 'added', owner: { kind: 'host', name: 'a' }, patch: '+\u001b[8mhidden\n', linesAdded: 1, linesRemoved: 0 }] }] };
    const text = formatReviewText(concealing, { color: true });
    expect(text).toContain('\\x1b[8mhidden');
    expect(text).not.toContain('\u001b[8m');
    expect(text).toContain('\u001b['); // our own colours still
  });

  test('text: no terminal escape sequence but colours', () => {
    const text = formatReviewText(review, { color: false });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain('\\x1b]52;c;AAAA\\x07');
  });
});

describe('text review', () => {
  test('coloured on a terminal, plain otherwise', () => {
    const review = representativeReview();
    expect(formatReviewText(review, { color: true })).toContain('\u001b[');
    expect(formatReviewText(review, { color: false })).not.toContain('\u001b[');
  });
});
