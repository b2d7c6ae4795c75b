// The one writer of rendered/: compares the tree on disk with what was compiled, and replaces it
// atomically. A new tree is built beside the old one and swapped in with renames, so a failed render
// leaves the previous rendered/ and lock exactly as they were.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
export async function findDrift(outDir: string, files: readonly OutputFile[], lockPath: string, lockText: string): Promise<Drift[]> {
  const drift: Drift[] = [];
  const onDisk = new Set(await listFiles(outDir));
  await Promise.all(
    files.map(async (file) => {
      const current = await readIfExists(join(outDir, file.path));
      if (current === undefined) drift.push({ path: join(outDir, file.path), kind: 'missing' });
      else if (current !== file.content) drift.push({ path: join(outDir, file.path), kind: 'changed' });
      onDisk.delete(file.path);
    }),
  );
  for (const extra of onDisk) drift.push({ path: join(outDir, extra), kind: 'unexpected' });
  const currentLock = await readIfExists(lockPath);
  if (currentLock !== lockText) drift.push({ path: lockPath, kind: currentLock === undefined ? 'missing' : 'changed' });
  return drift.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export async function writeRenderedTree(outDir: string, files: readonly OutputFile[], lockPath: string, lockText: string): Promise<void> {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = `${outDir}.tmp-${suffix}`;
  const stagingLock = `${lockPath}.tmp-${suffix}`;
  const previous = `${outDir}.old-${suffix}`;
  try {
    const directories = new Set(files.map((f) => dirname(join(staging, f.path))));
    for (const directory of [...directories].sort()) await mkdir(directory, { recursive: true });
    await Promise.all(files.map((f) => writeFile(join(staging, f.path), f.content, { mode: f.mode })));
    await writeFile(stagingLock, lockText);
  } catch (cause) {
    await rm(staging, { recursive: true, force: true });
    await rm(stagingLock, { force: true });
    throw cause;
  }

  const hadPrevious = (await readIfExists(outDir, true)) !== undefined;
  if (hadPrevious) await rename(outDir, previous);
  try {
    await rename(staging, outDir);
  } catch (cause) {
    if (hadPrevious) await rename(previous, outDir);
    await rm(staging, { recursive: true, force: true });
    await rm(stagingLock, { force: true });
    throw cause;
  }
  await rename(stagingLock, lockPath);
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

async function listFiles(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cause;
  }
}

async function readIfExists(path: string, directory = false): Promise<string | undefined> {
  try {
    if (directory) {
      await readdir(path);
      return '';
    }
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw cause;
  }
}
