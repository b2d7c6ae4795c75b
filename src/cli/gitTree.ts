// Reads files as they are at a git ref, without a checkout or a worktree: `git show <ref>:<path>`.
import { relative, resolve, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from './io.js';

export interface GitTree {
  /** The ref as the user wrote it, for labels. */
  ref: string;
  /** The file's text at the ref, or undefined when it does not exist there. */
  read(path: string): Promise<string | undefined>;
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

  return {
    ref,
    async read(path) {
      const inRepo = relative(top, resolve(cwd, path)).split(sep).join('/');
      try {
        return await git.show([`${commit}:${inRepo}`]);
      } catch (cause) {
        if (/does not exist|exists on disk, but not in/.test(String(cause))) return undefined;
        throw cause;
      }
    },
  };
}
