// Reads files as they are at a git ref, without a checkout or a worktree: `git show <ref>:<path>`.
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from './io.js';

export interface GitTree {
  /** The ref as the user wrote it, for labels. */
  ref: string;
  /** The file's bytes at the ref (decoded by the loader, which names a wrong encoding), or undefined when it does not exist there. */
  read(path: string): Promise<Buffer | undefined>;
  /** Every file under a directory at the ref: path relative to that directory -> git blob id (empty when there is none). */
  listDirectory(path: string): Promise<Map<string, string>>;
  readBlob(id: string): Promise<string>;
}

/** The id git gives a file's content, so a file known in memory need not be read from git again. */
export function gitBlobId(content: string): string {
  return createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0`).update(content).digest('hex');
}

export async function openGitTree(cwd: string, ref: string): Promise<GitTree> {
  const git: SimpleGit = simpleGit({ baseDir: cwd });
  let top: string;
  try {
    top = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new InputError(`--base needs a git repository, and ${cwd} is not in one`);
  }
  let commit: string;
  try {
    commit = (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    commit = '';
  }
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new InputError(`--base ${ref} is not a commit in this repository (fetch it first, e.g. git fetch origin)`);

  const inRepo = (path: string) => relative(top, resolve(cwd, path)).split(sep).join('/');
  return {
    ref,
    async listDirectory(path) {
      const dir = inRepo(path);
      if (dir.startsWith('../') || isAbsolute(dir)) return new Map(); // no tree of it is committed here
      // -z: names are NUL-terminated and never quoted, whatever characters a committed file name has.
      const listing = await git.raw(['ls-tree', '-r', '-z', '--full-tree', commit, '--', dir]);
      const files = new Map<string, string>();
      for (const entry of listing.split('\0').filter(Boolean)) {
        const tab = entry.indexOf('\t');
        const [, type, id] = entry.slice(0, tab).split(' ');
        if (type === 'blob' && id) files.set(entry.slice(tab + 1).slice(dir.length + 1), id);
      }
      return files;
    },
    readBlob: (id) => git.catFile(['blob', id]),
    async read(path) {
      if (inRepo(path).startsWith('../') || isAbsolute(inRepo(path))) {
        throw new InputError(`--base reads ${path} from git, but it is outside the repository at ${top}`, 'FT511', 'give a --topology inside the repository, or run fortress from the repository that holds it');
      }
      try {
        return await git.showBuffer([`${commit}:${inRepo(path)}`]);
      } catch (cause) {
        if (/does not exist|exists on disk, but not in/.test(String(cause))) return undefined;
        throw cause;
      }
    },
  };
}
