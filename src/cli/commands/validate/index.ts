import { noArguments, type CommandDefinition } from '../../command.js';

export const validate: CommandDefinition = {
  name: 'validate',
  synopsis: 'fortress validate [options]',
  summary: 'parse, schema-check and semantic-check the topology; print every problem',
  does: 'Parse, schema-check and semantic-check the topology; print every problem, not just the first.',
  shared: ['topology', 'format'],
  options: {},
  formats: ['text', 'json', 'github'],
  exitOne: 'the topology is invalid',
  checkArguments: noArguments('validate'),
  findsRepository: true,
  load: () => import('./validate.js'),
};
