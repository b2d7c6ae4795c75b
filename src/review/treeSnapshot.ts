// One side of a review: a rendered tree as { path: content } with its manifest, whether it was compiled
// in memory (a git ref, the working tree) or read from rendered/ on disk.
import type { Compiled } from '../compile.js';
import { MANIFEST_PATH, type Manifest } from '../emit/manifest.js';

export interface TreeSnapshot {
  /** What the side is, for people: "origin/main", "working tree", "rendered/". */
  label: string;
  files: ReadonlyMap<string, string>;
  /** Absent when the side has no rendered tree at all, or its manifest is unreadable. */
  manifest?: Manifest;
}

export function snapshotOfCompiled(label: string, compiled: Compiled): TreeSnapshot {
  return { label, files: new Map(compiled.files.map((f) => [f.path, f.content])), manifest: compiled.manifest };
}

export function snapshotOfFiles(label: string, files: ReadonlyMap<string, string>): TreeSnapshot {
  const text = files.get(MANIFEST_PATH);
  if (text === undefined) return { label, files };
  try {
    return { label, files, manifest: JSON.parse(text) as Manifest };
  } catch {
    return { label, files }; // a hand-edited manifest: the file diffs still tell the story
  }
}
