import type { CommandDefinition } from '../../command.js';

export const KEYS_SUBCOMMANDS = ['bootstrap', 'rotate'] as const;

export const keys: CommandDefinition = {
  name: 'keys',
  synopsis: 'fortress keys bootstrap|rotate <host> [options]',
  summary: "bootstrap: make the host's WireGuard key on the host if it has none; rotate: make a new one beside it and put it in the topology",
  does: `Keys are made on the host by \`wg genkey\` and never leave it; only public keys come back.
  keys bootstrap <host>  make the host's key if it has none, and print its public key
  keys rotate <host>     make a new key beside the current one (<key file>.next), and write its public
                         key into the topology: render, review and apply switch the host and its peers
                         to it, and apply removes the old key once the new one has shaken hands`,
  shared: ['topology', 'format'],
  options: {},
  formats: ['text', 'json', 'github'],
  exitOne: 'the topology is invalid or the host could not be reached',
  checkArguments: (args) =>
    !(KEYS_SUBCOMMANDS as readonly string[]).includes(args[0] ?? '') || args.length !== 2 ? 'keys needs a subcommand and a host: fortress keys bootstrap <host>, or fortress keys rotate <host>' : undefined,
  findsRepository: true,
  load: () => import('./keys.js'),
};
