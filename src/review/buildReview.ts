// Stage "review": two rendered trees -> the whole story of a change, as data. Printed as text,
// markdown or JSON by the CLI; `apply --dry-run` will show the same object.
import { compareFiles, type FileChange } from './fileChanges.js';
import { summarizeHost, type DisruptionClass, type HostChangeSummary } from './hostChanges.js';
import { findRisks, type RiskFlag } from './riskFlags.js';
import type { TreeSnapshot } from './treeSnapshot.js';

export interface HostReview extends HostChangeSummary {
  host: string;
  files: FileChange[];
}

export interface SiteReview {
  site: string;
  files: FileChange[];
}

export interface Review {
  base: string;
  head: string;
  /** Mesh-wide settings that change, such as "mtu 1360 → 1380". */
  mesh: string[];
  hosts: HostReview[];
  sites: SiteReview[];
  risks: RiskFlag[];
  counts: { added: number; removed: number; changed: number; restart: number; live: number };
}

export function buildReview(base: TreeSnapshot, head: TreeSnapshot): Review {
  const files = compareFiles(base, head);
  const filesOf = (kind: 'host' | 'site', name: string) => files.filter((f) => f.owner.kind === kind && f.owner.name === name);

  const hostNames = new Set([...Object.keys(base.manifest?.hosts ?? {}), ...Object.keys(head.manifest?.hosts ?? {})]);
  for (const f of files) if (f.owner.kind === 'host') hostNames.add(f.owner.name);
  const hosts: HostReview[] = [];
  for (const host of [...hostNames].sort()) {
    const own = filesOf('host', host);
    const summary = summarizeHost(host, base.manifest, head.manifest, own.length > 0, { before: wireguardFile(base, host), after: wireguardFile(head, host) });
    if (own.length > 0 || summary.change !== 'changed' || summary.summary.length > 0) hosts.push({ host, ...summary, files: own });
  }
  const siteNames = [...new Set(files.filter((f) => f.owner.kind === 'site').map((f) => f.owner.name))].sort();

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
    mesh,
    hosts,
    sites: siteNames.map((site) => ({ site, files: filesOf('site', site) })),
    risks: findRisks(base.manifest, head.manifest, disruption),
    counts: {
      added: hosts.filter((h) => h.change === 'added').length,
      removed: hosts.filter((h) => h.change === 'removed').length,
      changed: hosts.filter((h) => h.change === 'changed').length,
      restart: hosts.filter((h) => h.change === 'changed' && h.disruption === 'restart').length,
      live: hosts.filter((h) => h.change === 'changed' && h.disruption === 'live').length,
    },
  };
}

function wireguardFile(tree: TreeSnapshot, host: string): string | undefined {
  const entry = tree.manifest?.files.find((f) => f.host === host && f.reload === 'wireguard');
  return entry && tree.files.get(entry.path);
}

export function hasChanges(review: Review): boolean {
  return review.hosts.length > 0 || review.sites.length > 0 || review.mesh.length > 0;
}
