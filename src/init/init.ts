// `fortress init [dir] [--force]`: writes the files an infrastructure repository needs to use fortress
// as a pinned devDependency (a starting topology, the review, apply and drift workflows and the
// scripts their commenting jobs run, an operator guide) and fortress's temporary names into
// .gitignore. Refuses to overwrite anything unless --force.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../cli/io.js';

/** Where each template goes, relative to the repository. */
export const INIT_FILES: readonly { template: string; path: string }[] = [
  { template: 'topology.yaml', path: 'topology/topology.yaml' },
  { template: 'review.yml', path: '.github/workflows/review.yml' },
  { template: 'apply.yml', path: '.github/workflows/apply.yml' },
  { template: 'drift.yml', path: '.github/workflows/drift.yml' },
  // What the jobs of apply.yml and drift.yml that write to GitHub run, without npm: copies of this
  // repository's scripts/github/.
  { template: 'scripts/github/githubApi.mjs', path: 'scripts/github/githubApi.mjs' },
  { template: 'scripts/github/applyComment.mjs', path: 'scripts/github/applyComment.mjs' },
  { template: 'scripts/github/driftIssue.mjs', path: 'scripts/github/driftIssue.mjs' },
  { template: 'fortress.md', path: 'docs/fortress.md' },
];

/** The .gitignore lines init makes sure are there. */
export const GITIGNORE_ENTRIES = ['*.tmp-*', '*.old-*', 'node_modules/'] as const;

const templatesDir = new URL('./templates/', import.meta.url);

/** Writes the starting files into the repository at root; refuses (exit 1) to overwrite any unless force. */
export function initRepository(root: string, force: boolean, io: CliIo): number {
  const existing = INIT_FILES.filter((file) => existsSync(join(root, file.path)));
  if (existing.length > 0 && !force) {
    io.stderr(
      `fortress init: refusing to overwrite ${existing.length === 1 ? 'a file that exists' : 'files that exist'} in ${root}:\n` +
        existing.map((file) => `  ${file.path}\n`).join('') +
        'nothing was written; run `fortress init --force` to overwrite them\n',
    );
    return EXIT_FAILED;
  }

  const contents = INIT_FILES.map((file) => ({ ...file, text: readFileSync(new URL(file.template, templatesDir), 'utf8') }));
  for (const file of contents) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text);
    io.stdout(`${existing.some((e) => e.path === file.path) ? 'overwrote' : 'wrote'} ${file.path}\n`);
  }

  const gitignore = join(root, '.gitignore');
  const before = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const present = new Set(before.split(/\r?\n/).map((line) => line.trim()));
  const missing = GITIGNORE_ENTRIES.filter((entry) => !present.has(entry));
  if (missing.length > 0) {
    const separator = before === '' || before.endsWith('\n') ? '' : '\n';
    writeFileSync(gitignore, `${before}${separator}# fortress: its temporary names (render's new and old trees) and the installed packages\n${missing.join('\n')}\n`);
    io.stdout(`${before === '' ? 'wrote' : 'updated'} .gitignore (${missing.join(', ')})\n`);
  }

  io.stdout(
    '\nnext: replace the example publicKeys in topology/topology.yaml (`npx fortress keys bootstrap <host>`),\n' +
      'run `npx fortress render`, and read docs/fortress.md for the secret, the hosts and branch protection\n',
  );
  return EXIT_OK;
}
