import { noArguments, wholeNumber, type CommandDefinition } from '../../command.js';

export const apply: CommandDefinition = {
  name: 'apply',
  synopsis: 'fortress apply [options]',
  summary: 'converge the hosts to rendered/ over SSH: hubs first, then the fleet in parallel',
  does: 'Converge the hosts to rendered/ over SSH: hubs first, then the fleet in parallel. Authenticates with SSH_AUTH_SOCK or FORTRESS_SSH_KEY=<key file>.',
  shared: ['topology', 'out', 'format'],
  options: {
    'dry-run': { type: 'boolean', usage: ['--dry-run', 'read every host and print what would change; change nothing'] },
    hosts: {
      type: 'string',
      usage: ['--hosts a,b', 'only these hosts'],
      check: (value) => (hostList(value).length === 0 ? '--hosts names no host' : undefined),
    },
    concurrency: { type: 'string', default: '10', usage: ['--concurrency N', 'hosts at a time after the hubs (default: 10)'], check: wholeNumber('--concurrency', 1, 100) },
    'confirm-timeout': {
      type: 'string',
      default: '30',
      usage: ['--confirm-timeout S', 'seconds a host waits for a fresh SSH connection before it rolls back by itself (default: 30)'],
      check: wholeNumber('--confirm-timeout', 2, 3600, ' of seconds'),
    },
  },
  formats: ['text', 'json', 'github'],
  exitOne: 'the topology is invalid, rendered/ is out of date, or a host failed',
  checkArguments: noArguments('apply'),
  findsRepository: true,
  load: () => import('./apply.js'),
};

/** --hosts a,b: the names, without blanks. */
export function hostList(value: string): string[] {
  return value.split(',').map((h) => h.trim()).filter(Boolean);
}
