// Stage "review": two rendered trees -> the whole story of a change, as data. Printed as text,
// markdown or JSON by the CLI; `apply --dry-run` will show the same object.
import type { Manifest } from '../emit/manifest.js';
import { cloudInitPath } from '../render/cloudInit/cloudInitPath.js';
import { compareFiles, type FileChange } from './fileChanges.js';
import { describeDeployKey, knowsTopologyFacts, summarizeHost, type DisruptionClass, type HostChangeSummary } from './hostChanges.js';
import { ownEntry } from './ownEntry.js';
import { findRisks, type RiskFlag } from './riskFlags.js';
import type { TreeSnapshot } from './treeSnapshot.js';

export interface HostReview extends HostChangeSummary {
  host: string;
  files: FileChange[];
}

export interface SiteReview {
  site: string;
  /** What changes about the site itself, such as "country DE → NO". */
  summary: string[];
  files: FileChange[];
}

/** The committed rendered/ trees of both sides, as apply would push them. */
export interface CommittedTrees {
  base: TreeSnapshot;
  head: TreeSnapshot;
}

export interface Review {
  base: string;
  head: string;
  /** Mesh-wide settings that change, such as "mtu 1360 → 1380", and the deploy keys every host's first boot installs. */
  mesh: string[];
  /** Policy changes, such as "residency of pii: NO → DE, NO". */
  policy: string[];
  hosts: HostReview[];
  sites: SiteReview[];
  risks: RiskFlag[];
  /**
   * Committed rendered files that change between the sides although the topology does not explain the
   * change: a template or fortress itself changed, or rendered/ was edited by hand.
   */
  renderedWithoutTopologyChange: FileChange[];
  counts: { added: number; removed: number; changed: number; restart: number; live: number };
}

/**
 * `base` and `head` are the topology of each side compiled by this fortress. Both sides compiled by the
 * same tool hide any change of the tool or its templates, so `committed` (the rendered/ trees in git)
 * is compared too: a committed file that changes other than as the topology explains is shown apart.
 */
export function buildReview(base: TreeSnapshot, head: TreeSnapshot, committed?: CommittedTrees): Review {
  const files = compareFiles(base, head);
  // Grouped once: a review of 1,000 hosts must not scan every file (or the manifest) once per host.
  const byOwner = new Map<string, FileChange[]>();
  for (const f of files) {
    const key = `${f.owner.kind} ${f.owner.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), f]);
  }
  const filesOf = (kind: 'host' | 'site', name: string) => byOwner.get(`${kind} ${name}`) ?? [];
  const wireguardBefore = wireguardFiles(base);
  const wireguardAfter = wireguardFiles(head);

  const hostNames = new Set([...Object.keys(base.manifest?.hosts ?? {}), ...Object.keys(head.manifest?.hosts ?? {})]);
  for (const f of files) if (f.owner.kind === 'host') hostNames.add(f.owner.name);
  const hosts: HostReview[] = [];
  for (const host of [...hostNames].sort()) {
    const own = filesOf('host', host);
    // A host's cloud-init.yaml is read at its first boot only: apply never installs it, so it disrupts nothing.
    const installed = own.filter((f) => f.path !== cloudInitPath(host));
    const summary = summarizeHost(host, base.manifest, head.manifest, installed.length > 0, { before: wireguardBefore.get(host), after: wireguardAfter.get(host) });
    if (summary.change === 'changed' && summary.summary.length === 0 && own.length > installed.length) {
      summary.summary.push('first-boot user-data (cloud-init.yaml) changes; running hosts are not touched');
    }
    if (own.length > 0 || summary.change !== 'changed' || summary.summary.length > 0) hosts.push({ host, ...summary, files: own });
  }
  const siteSummaries = new Map(siteChanges(base.manifest, head.manifest));
  const siteNames = [...new Set([...files.filter((f) => f.owner.kind === 'site').map((f) => f.owner.name), ...siteSummaries.keys()])].sort();
  const renderedWithoutTopologyChange = committed ? unexplainedChanges({ base, head }, committed) : [];

  const disruption = new Map<string, DisruptionClass>(hosts.map((h) => [h.host, h.disruption]));
  const meshBefore = base.manifest?.mesh;
  const meshAfter = head.manifest?.mesh;
  const mesh =
    meshBefore && meshAfter
      ? (Object.keys(meshAfter) as (keyof typeof meshAfter)[]).filter((k) => meshBefore[k] !== meshAfter[k]).map((k) => `${k} ${String(meshBefore[k])} → ${String(meshAfter[k])}`)
      : [];

  return {
    base: base.label,
    head: head.label,
    mesh: [...mesh, ...deployKeyChanges(base.manifest, head.manifest)],
    policy: policyChanges(base.manifest, head.manifest),
    hosts,
    sites: siteNames.map((site) => ({ site, summary: siteSummaries.get(site) ?? [], files: filesOf('site', site) })),
    risks: [...findRisks(base.manifest, head.manifest, disruption), ...unexplainedRisk(renderedWithoutTopologyChange)],
    renderedWithoutTopologyChange,
    counts: {
      added: hosts.filter((h) => h.change === 'added').length,
      removed: hosts.filter((h) => h.change === 'removed').length,
      changed: hosts.filter((h) => h.change === 'changed').length,
      restart: hosts.filter((h) => h.change === 'changed' && h.disruption === 'restart').length,
      live: hosts.filter((h) => h.change === 'changed' && h.disruption === 'live').length,
    },
  };
}

/** Each host's wg-quick file in a tree, by host. */
function wireguardFiles(tree: TreeSnapshot): Map<string, string> {
  const byHost = new Map<string, string>();
  for (const entry of tree.manifest?.files ?? []) {
    const content = entry.host !== undefined && entry.reload === 'wireguard' ? tree.files.get(entry.path) : undefined;
    if (content !== undefined) byHost.set(entry.host!, content);
  }
  return byHost;
}

export function hasChanges(review: Review): boolean {
  return review.hosts.length > 0 || review.sites.length > 0 || review.mesh.length > 0 || review.policy.length > 0 || review.renderedWithoutTopologyChange.length > 0;
}

function siteChanges(base: Manifest | undefined, head: Manifest | undefined): [string, string[]][] {
  if (!base || !head) return [];
  const changes: [string, string[]][] = [];
  for (const [site, now] of Object.entries(head.sites)) {
    const was = ownEntry(base.sites, site);
    if (!was) continue;
    const lines = (['country', 'provider', 'region'] as const).filter((k) => was[k] !== now[k]).map((k) => `${k} ${was[k]} → ${now[k]}`);
    if (lines.length > 0) changes.push([site, lines]);
  }
  return changes;
}

/** Keys added to or removed from deploy.authorizedKeys, by type, fingerprint and comment. */
function deployKeyChanges(base: Manifest | undefined, head: Manifest | undefined): string[] {
  if (!base || !head || !knowsTopologyFacts(base)) return [];
  const before = base.deploy?.authorizedKeys ?? [];
  const after = head.deploy?.authorizedKeys ?? [];
  return [
    ...after.filter((k) => !before.includes(k)).map((k) => `deploy key added: ${describeDeployKey(k)}`),
    ...before.filter((k) => !after.includes(k)).map((k) => `deploy key removed: ${describeDeployKey(k)}`),
  ];
}

function policyChanges(base: Manifest | undefined, head: Manifest | undefined): string[] {
  if (!base || !head || !knowsTopologyFacts(base)) return [];
  const before = base.policy?.residency ?? {};
  const after = head.policy?.residency ?? {};
  const countries = (list: string[] | undefined) => (list === undefined ? 'not named' : list.join(', ') || 'nowhere');
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort()
    .filter((c) => countries(ownEntry(before, c)) !== countries(ownEntry(after, c)))
    .map((c) => `residency of ${c}: ${countries(ownEntry(before, c))} → ${countries(ownEntry(after, c))}`);
}

/**
 * A committed file whose change is not the change the topology makes: its committed content differs from
 * what this fortress compiles on either side. A reviewer must read those diffs as closely as code.
 */
function unexplainedChanges(compiled: CommittedTrees, committed: CommittedTrees): FileChange[] {
  return compareFiles(committed.base, committed.head, { everyFile: true }).filter(
    (f) => committed.base.files.get(f.path) !== compiled.base.files.get(f.path) || committed.head.files.get(f.path) !== compiled.head.files.get(f.path),
  );
}

function unexplainedRisk(files: readonly FileChange[]): RiskFlag[] {
  if (files.length === 0) return [];
  const owners = [...new Set(files.map((f) => (f.owner.kind === 'tree' ? 'rendered/' : f.owner.name)))];
  return [
    {
      code: 'rendered-without-topology-change',
      message: `${files.length} rendered file${files.length === 1 ? '' : 's'} (${owners.join(', ')}) change without a topology change that explains ${files.length === 1 ? 'it' : 'them'}: a template or fortress itself changed, or rendered/ was edited by hand; read ${files.length === 1 ? 'its diff' : 'their diffs'} as closely as code`,
    },
  ];
}
