import { wholeNumber, type CommandDefinition } from '../../command.js';

export const enroll: CommandDefinition = {
  name: 'enroll',
  synopsis: 'fortress enroll <host> --ssh-address A [options]',
  summary: 'add a new machine to the topology: trust its SSH host key by fingerprint, make its WireGuard key on it, write it into topology.yaml',
  does: `Connect to a new machine, trusting its SSH host key only when it matches --host-key-fingerprint
(from Terraform output or the cloud console; without one, print the fingerprint and refuse, unless
--trust-on-first-use), make its WireGuard key on it if it has none, and write the host into the
topology (publicKey, ssh.address, ssh.hostKey, and site and roles when given), keeping the file's
comments and layout. Then render, and the change goes through review and apply like any other.`,
  shared: ['topology', 'format'],
  options: {
    'ssh-address': { type: 'string', usage: ['--ssh-address A', 'where to reach the machine over SSH (required)'] },
    'ssh-port': { type: 'string', usage: ['--ssh-port P', "its SSH port (default: the host's own, else 22)"], check: wholeNumber('--ssh-port', 1, 65535) },
    'ssh-user': { type: 'string', usage: ['--ssh-user U', "the deploy user (default: the host's own, else root)"] },
    site: { type: 'string', usage: ['--site S', 'the site of a new host (needed unless the topology has one site)'] },
    roles: { type: 'string', usage: ['--roles r,...', 'its roles'] },
    'host-key-fingerprint': { type: 'string', usage: ['--host-key-fingerprint SHA256:...', 'the SSH host key fingerprint to trust'] },
    'trust-on-first-use': { type: 'boolean', usage: ['--trust-on-first-use', 'trust whatever host key the machine presents (say so explicitly)'] },
  },
  formats: ['text', 'json', 'github'],
  exitOne: 'the host key is not the one given, the machine cannot be reached, or the topology would not be valid',
  checkArguments: (args) => (args.length !== 1 ? 'enroll takes one host name: fortress enroll <host> --ssh-address A' : undefined),
  findsRepository: true,
  load: () => import('./enroll.js'),
};
