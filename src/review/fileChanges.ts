// File-level changes between two rendered trees, each with its unified diff.
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { MANIFEST_PATH } from '../emit/manifest.js';
import { CLOUD_INIT_FILE } from '../render/cloudInit/cloudInitPath.js';
import type { TreeSnapshot } from './treeSnapshot.js';

export interface FileChange {
  /** Path inside rendered/. */
  path: string;
  change: 'added' | 'removed' | 'modified';
  /** The host it belongs to, the site for a tfvars file, or the tree itself (the manifest, a stray file). */
  owner: { kind: 'host' | 'site' | 'tree'; name: string };
  patch: string;
  linesAdded: number;
  linesRemoved: number;
}

/**
 * Changed files; `everyFile` also includes the manifest and files that belong to no host or site, and
 * shows every diff in full (files no topology explains are read line by line).
 *
 * Otherwise a host's cloud-init.yaml, which holds a copy of each of the host's files, is diffed only
 * when none of those files changes: beside them its diff would repeat theirs, and cost as much again
 * to compute and to read.
 */
export function compareFiles(base: TreeSnapshot, head: TreeSnapshot, { everyFile = false } = {}): FileChange[] {
  const paths = [...new Set([...base.files.keys(), ...head.files.keys()])].sort();
  const changed = paths.filter((path) => base.files.get(path) !== head.files.get(path));
  const hostsWithFileChanges = new Set(changed.filter((path) => !isUserData(path)).map((path) => ownerOf(path)).filter((o) => o?.kind === 'host').map((o) => o!.name));
  const changes: FileChange[] = [];
  for (const path of changed) {
    // The manifest restates the rest of the tree; its changes are told as the summary instead.
    if (path === MANIFEST_PATH && !everyFile) continue;
    const before = base.files.get(path);
    const after = head.files.get(path);
    const owner = ownerOf(path) ?? (everyFile ? { kind: 'tree' as const, name: '' } : undefined);
    if (!owner) continue;
    if (!everyFile && isUserData(path) && before !== undefined && after !== undefined && hostsWithFileChanges.has(owner.name)) {
      const note = "# first-boot user-data: the same change as this host's files, in its copies of them";
      changes.push({ path, change: 'modified', owner, patch: `--- a/${path}\n+++ b/${path}\n${note}\n`, linesAdded: 0, linesRemoved: 0 });
      continue;
    }
    const patch = structuredPatch(before === undefined ? '/dev/null' : `a/${path}`, after === undefined ? '/dev/null' : `b/${path}`, before ?? '', after ?? '', '', '', { context: 3 });
    const lines = patch.hunks.flatMap((h) => h.lines);
    changes.push({
      path,
      change: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified',
      owner,
      patch: formatPatch(patch, FILE_HEADERS_ONLY),
      linesAdded: lines.filter((l) => l.startsWith('+')).length,
      linesRemoved: lines.filter((l) => l.startsWith('-')).length,
    });
  }
  return changes;
}

/** hosts/<host>/cloud-init.yaml */
function isUserData(path: string): boolean {
  const [top, host, ...rest] = path.split('/');
  return top === 'hosts' && host !== undefined && rest.join('/') === CLOUD_INIT_FILE;
}

function ownerOf(path: string): FileChange['owner'] | undefined {
  const [top, name] = path.split('/');
  if (top === 'hosts' && name) return { kind: 'host', name };
  if (top === 'terraform' && name?.endsWith('.auto.tfvars')) return { kind: 'site', name: name.slice(0, -'.auto.tfvars'.length) };
  return undefined;
}
