// The one writer of rendered/: compares the tree on disk with what was compiled, and replaces it
// atomically. A new tree is built beside the old one and swapped in with renames, so a failed render
// leaves the previous rendered/ and lock exactly as they were. Once the new tree is in place the render
// has succeeded: an old tree that cannot be deleted is moved out of the repository and handed back to
// the caller to warn about, never left beside rendered/.
//
// Synchronous on purpose: thousands of small files read and written one after another beat the same
// work through the promise API here, and nothing else runs meanwhile.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix, relative, sep } from 'node:path';

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

/** What became of the previous tree once the new one was swapped in. */
export interface RenderedTreeWrite {
  /** The previous tree could not be deleted: where it is now (outside the repository when it could be moved there) and why. */
  leftover?: { path: string; cause: unknown };
}

/**
 * Replaces outDir with exactly `files`, in a new tree swapped in by renames, so that a render that
 * fails leaves the old tree and lock as they were.
 *
 * The cost follows the change, not the tree: a host directory with no drift is moved into the new tree
 * with one rename just before the swap (and moved back if the swap fails), and unchanged files of
 * changed hosts are hard-linked rather than written. On this kind of disk, creating and deleting a
 * 1,000-host tree's 4,000 directories would otherwise take most of a render.
 */
export function writeRenderedTree(
  outDir: string,
  files: readonly OutputFile[],
  lockPath: string,
  lockText: string,
  drift: readonly Drift[],
): RenderedTreeWrite {
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

  const hadPrevious = existsSync(outDir);
  const borrowed = hadPrevious ? unchangedHostDirectories(outDir, files, drift) : [];
  const isBorrowed = new Set(borrowed);
  try {
    const rewritten = new Set(drift.map((d) => d.path));
    const staged = files.filter((f) => !isBorrowed.has(hostDirectoryOf(f.path) ?? ''));
    mkdirSync(staging);
    for (const directory of directoriesOf(['hosts/.', ...staged.map((f) => f.path)])) mkdirSync(join(staging, directory));
    for (const f of staged) {
      const current = join(outDir, f.path);
      if (rewritten.has(current)) writeFileSync(join(staging, f.path), f.content, { mode: f.mode });
      else linkSync(current, join(staging, f.path));
    }
    writeFileSync(stagingLock, lockText);
  } catch (cause) {
    discardStaging();
    throw cause;
  }

  // Node has no renameat2(RENAME_EXCHANGE), so the swap is two renames; each step is undone on failure.
  const moved: string[] = [];
  try {
    for (const directory of borrowed) {
      renameSync(join(outDir, directory), join(staging, directory));
      moved.push(directory);
    }
    if (hadPrevious) renameSync(outDir, previous);
    try {
      renameSync(staging, outDir);
    } catch (cause) {
      if (hadPrevious) renameSync(previous, outDir);
      throw cause;
    }
  } catch (cause) {
    for (const directory of moved) renameSync(join(staging, directory), join(outDir, directory));
    discardStaging();
    throw cause;
  }
  renameSync(stagingLock, lockPath);
  return hadPrevious ? discardPrevious(previous, join(tmpdir(), `fortress-${basename(previous)}`)) : {};
}

/**
 * Deletes the tree the swap replaced, where it is (deleting a large tree elsewhere, in a slow /tmp, costs
 * more). What cannot be deleted (a read-only directory in it) is moved out of the repository so nothing
 * is left beside rendered/ for git to see; across file systems that move is impossible, and the
 * remains stay under a git-ignored name.
 */
function discardPrevious(previous: string, outside: string): RenderedTreeWrite {
  try {
    rmSync(previous, { recursive: true, force: true });
    return {};
  } catch (cause) {
    try {
      renameSync(previous, outside);
      return { leftover: { path: outside, cause } };
    } catch {
      return { leftover: { path: previous, cause } };
    }
  }
}

/**
 * Every directory the files need, parents before children. Creating each once, in order, costs about
 * a third fewer system calls than a recursive mkdir per file, and directory creation is slow here.
 */
function directoriesOf(paths: readonly string[]): string[] {
  const directories = new Set<string>();
  for (const path of paths) {
    for (let d = posix.dirname(path); d !== '.' && !directories.has(d); d = posix.dirname(d)) directories.add(d);
  }
  return [...directories].sort();
}

/** `hosts/<host>` for a file under a host's tree. */
function hostDirectoryOf(path: string): string | undefined {
  const [top, host] = path.split('/');
  return top === 'hosts' && host !== undefined ? `${top}/${host}` : undefined;
}

/** Host directories whose every file is current and which hold nothing else. */
function unchangedHostDirectories(outDir: string, files: readonly OutputFile[], drift: readonly Drift[]): string[] {
  const touched = new Set(drift.map((d) => hostDirectoryOf(relative(outDir, d.path).split(sep).join('/'))));
  const directories = new Set(files.map((f) => hostDirectoryOf(f.path)).filter((d): d is string => d !== undefined));
  return [...directories].filter((d) => !touched.has(d)).sort();
}

/** The tree on disk as { path: content }, empty when there is none. */
export function readRenderedTree(outDir: string): Map<string, string> {
  return new Map(listFiles(outDir).map((path) => [path, readFileSync(join(outDir, path), 'utf8')]));
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
}
