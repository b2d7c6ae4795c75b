// The one writer of rendered/: compares the tree on disk with what was compiled, and replaces it
// atomically. A new tree is built beside the old one and swapped in with renames, so a failed render
// leaves the previous rendered/ and lock exactly as they were.
//
// Synchronous on purpose: thousands of small files read and written one after another beat the same
// work through the promise API here, and nothing else runs meanwhile.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface OutputFile {
  path: string;
  content: string;
  mode: number;
}

export interface Drift {
  /** The path as a user would type it: the out directory or lock file joined with the file's path. */
  path: string;
  kind: 'changed' | 'missing' | 'unexpected';
}

/** What differs between the compiled files and the disk. Modes are not compared: git keeps only the x bit. */
export function findDrift(outDir: string, files: readonly OutputFile[], lockPath: string, lockText: string): Drift[] {
  const drift: Drift[] = [];
  const onDisk = new Set(listFiles(outDir));
  for (const file of files) {
    const current = onDisk.has(file.path) ? readFileSync(join(outDir, file.path), 'utf8') : undefined;
    if (current === undefined) drift.push({ path: join(outDir, file.path), kind: 'missing' });
    else if (current !== file.content) drift.push({ path: join(outDir, file.path), kind: 'changed' });
    onDisk.delete(file.path);
  }
  for (const extra of onDisk) drift.push({ path: join(outDir, extra), kind: 'unexpected' });
  const currentLock = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined;
  if (currentLock !== lockText) drift.push({ path: lockPath, kind: currentLock === undefined ? 'missing' : 'changed' });
  return drift.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Replaces outDir with exactly `files`. Files the drift check found unchanged are hard-linked from the
 * old tree into the new one rather than written again: the old tree stays intact until the swap.
 */
export function writeRenderedTree(outDir: string, files: readonly OutputFile[], lockPath: string, lockText: string, drift: readonly Drift[]): void {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = `${outDir}.tmp-${suffix}`;
  const stagingLock = `${lockPath}.tmp-${suffix}`;
  const previous = `${outDir}.old-${suffix}`;
  // Best effort: the error worth reporting is the one that made us clean up, not a second one here.
  const discardStaging = () => {
    for (const path of [staging, stagingLock]) {
      try {
        rmSync(path, { recursive: true, force: true });
      } catch {}
    }
  };
  try {
    for (const directory of new Set(files.map((f) => dirname(join(staging, f.path))))) mkdirSync(directory, { recursive: true });
    const rewritten = new Set(drift.map((d) => d.path));
    for (const f of files) {
      const current = join(outDir, f.path);
      if (rewritten.has(current)) writeFileSync(join(staging, f.path), f.content, { mode: f.mode });
      else linkSync(current, join(staging, f.path));
    }
    writeFileSync(stagingLock, lockText);
  } catch (cause) {
    discardStaging();
    throw cause;
  }

  // Two renames, not one atomic exchange (Node has no renameat2): if the second fails, the first is undone.
  const hadPrevious = existsSync(outDir);
  if (hadPrevious) renameSync(outDir, previous);
  try {
    renameSync(staging, outDir);
  } catch (cause) {
    if (hadPrevious) renameSync(previous, outDir);
    discardStaging();
    throw cause;
  }
  renameSync(stagingLock, lockPath);
  if (hadPrevious) rmSync(previous, { recursive: true, force: true });
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
}
