import { noArguments, type CommandDefinition } from '../../command.js';

export const render: CommandDefinition = {
  name: 'render',
  synopsis: 'fortress render [options]',
  summary: 'validate, allocate addresses, write rendered/ and the lock file',
  does: 'Validate, allocate mesh addresses, and write rendered/ and the lock file (atomically; nothing is written when nothing changed).',
  shared: ['topology', 'out', 'format'],
  options: {
    check: { type: 'boolean', usage: ['--check', 'write nothing; exit 1 if rendered/ or the lock is out of date'] },
  },
  formats: ['text', 'json', 'github'],
  exitOne: 'the topology or its lock is invalid, or --check found drift',
  checkArguments: noArguments('render'),
  findsRepository: true,
  load: () => import('./render.js'),
};
