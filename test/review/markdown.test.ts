// The pull-request comment: a golden sample of a representative change (also the picture in the
// README, docs/review-sample.md), and GitHub's comment limit on a change that touches 1,000 hosts.
import { stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import { generateTopology } from '../../bench/generateTopology.mjs';
import { buildReview } from '../../src/review/buildReview.js';
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
    .replace('services:', '  lon-app-02:\n    site: london\n    roles: [app]\n    publicKey: cIv7vYRC5tlhxZxDRm8B5TfVGXhMgOVkr8WEg2HA2Wc=\n\nservices:')
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

describe('text review', () => {
  test('coloured on a terminal, plain otherwise', () => {
    const review = representativeReview();
    expect(formatReviewText(review, { color: true })).toContain('\u001b[');
    expect(formatReviewText(review, { color: false })).not.toContain('\u001b[');
  });
});
