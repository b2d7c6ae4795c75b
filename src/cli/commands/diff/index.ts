import { noArguments, type CommandDefinition } from '../../command.js';

export const diff: CommandDefinition = {
  name: 'diff',
  synopsis: 'fortress diff [options]',
  summary: 'what a render would change in rendered/, per host, with a summary and risk flags',
  does: 'What a render would change in rendered/, per host, with a summary in words, disruption classes and risk flags.',
  shared: ['topology', 'out', 'format'],
  options: {
    base: { type: 'string', usage: ['--base <ref>', 'compare the topology at a git ref with the working tree, and their committed rendered/ trees'] },
    'exit-code': { type: 'boolean', usage: ['--exit-code', 'exit 1 when there are changes'] },
  },
  formats: ['text', 'markdown', 'json'],
  exitOne: 'either side does not compile, or there are changes with --exit-code',
  checkArguments: noArguments('diff'),
  findsRepository: true,
  load: () => import('./diff.js'),
};
