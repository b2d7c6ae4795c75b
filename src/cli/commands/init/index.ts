import type { CommandDefinition } from '../../command.js';

export const init: CommandDefinition = {
  name: 'init',
  synopsis: 'fortress init [dir] [options]',
  summary: 'write a starting topology, the review, apply and drift workflows and an operator guide into a repository',
  does: `Write, into the repository at dir (default: the current directory):
  topology/topology.yaml           a commented starting topology (with example keys to replace)
  .github/workflows/review.yml     the pull-request review, run with this repository's pinned fortress
  .github/workflows/apply.yml      the apply on every merge to main, its result on the pull request
  .github/workflows/drift.yml      status every hour; one issue open while a host drifts or is down
  scripts/github/*.mjs             the scripts that comment and keep that issue, without npm
  docs/fortress.md                 what the runner, the hosts and the repository settings need
and append fortress's temporary names and node_modules/ to .gitignore when they are missing.
Refuses to overwrite a file that exists unless --force.`,
  shared: [],
  options: {
    force: { type: 'boolean', usage: ['--force', 'overwrite files that already exist'] },
  },
  formats: ['text'],
  exitOne: 'a file it would write exists (and --force was not given)',
  checkArguments: (args) => (args.length > 1 ? `init takes at most one directory, got ${args.length}` : undefined),
  findsRepository: false,
  load: () => import('./init.js'),
};
