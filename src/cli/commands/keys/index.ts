import type { CommandDefinition } from '../../command.js';

export const keys: CommandDefinition = {
  name: 'keys',
  synopsis: 'fortress keys bootstrap <host> [options]',
  summary: "create the host's WireGuard key on the host if it has none; print its public key",
  does: "Create the host's WireGuard key on the host if it has none, and print its public key for the topology.",
  shared: ['topology', 'format'],
  options: {},
  formats: ['text', 'json', 'github'],
  exitOne: 'the topology is invalid or the host could not be reached',
  checkArguments: (args) => (args[0] !== 'bootstrap' || args.length !== 2 ? 'keys needs a subcommand and a host: fortress keys bootstrap <host>' : undefined),
  findsRepository: true,
  load: () => import('./keys.js'),
};
