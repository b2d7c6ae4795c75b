// File-level changes between two rendered trees, each with its unified diff.
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { MANIFEST_PATH } from '../emit/manifest.js';
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

/** Changed files; `everyFile` also includes the manifest and files that belong to no host or site. */
export function compareFiles(base: TreeSnapshot, head: TreeSnapshot, { everyFile = false } = {}): FileChange[] {
  const paths = [...new Set([...base.files.keys(), ...head.files.keys()])].sort();
  const changes: FileChange[] = [];
  for (const path of paths) {
    // The manifest restates the rest of the tree; its changes are told as the summary instead.
    if (path === MANIFEST_PATH && !everyFile) continue;
    const before = base.files.get(path);
    const after = head.files.get(path);
    if (before === after) continue;
    const owner = ownerOf(path) ?? (everyFile ? { kind: 'tree' as const, name: '' } : undefined);
    if (!owner) continue;
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

function ownerOf(path: string): FileChange['owner'] | undefined {
  const [top, name] = path.split('/');
  if (top === 'hosts' && name) return { kind: 'host', name };
  if (top === 'terraform' && name?.endsWith('.auto.tfvars')) return { kind: 'site', name: name.slice(0, -'.auto.tfvars'.length) };
  return undefined;
}
