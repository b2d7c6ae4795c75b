import { noArguments, wholeNumber, type CommandDefinition } from '../../command.js';
import { hostList } from '../apply/index.js';

export const status: CommandDefinition = {
  name: 'status',
  synopsis: 'fortress status [options]',
  summary: 'read every host over SSH, changing nothing: drift from rendered/, peers, tunnel round trips, HAProxy, firewall',
  does:
    "Read every host over SSH, read only, with apply's pinned host keys, sudo and concurrency: managed files against rendered/, how the last apply ended, live WireGuard peers against the rendered ones (handshake age, transfer), TCP round trips through the tunnel to the hub timed on the host (median, min, max, jitter), HAProxy's backend servers, and the live nftables table. Authenticates with SSH_AUTH_SOCK or FORTRESS_SSH_KEY=<key file>.",
  shared: ['topology', 'out', 'format'],
  options: {
    hosts: {
      type: 'string',
      usage: ['--hosts a,b', 'only these hosts'],
      check: (value) => (hostList(value).length === 0 ? '--hosts names no host' : undefined),
    },
    samples: { type: 'string', default: '5', usage: ['--samples N', 'round trips timed through the tunnel per host (default: 5)'], check: wholeNumber('--samples', 1, 100) },
    concurrency: { type: 'string', default: '10', usage: ['--concurrency N', 'hosts read at a time (default: 10)'], check: wholeNumber('--concurrency', 1, 100) },
  },
  formats: ['text', 'json', 'markdown', 'prometheus'],
  exitOne: 'the topology is invalid, or a host is unreachable, has drifted from rendered/, or has its tunnel down',
  checkArguments: noArguments('status'),
  findsRepository: true,
  load: () => import('./status.js'),
};
