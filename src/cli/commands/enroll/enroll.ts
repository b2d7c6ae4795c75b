// `fortress enroll <host>`: see src/enroll/enrollHost.ts. This module turns the command line into an
// enrollment, hands it the effects (the topology file, SSH), and prints what came of it.
import { connectSsh } from '../../../apply/sshConnection.js';
import { enrollHost, sshEffects } from '../../../enroll/enrollHost.js';
import type { CliOptions } from '../../command.js';
import { formatDiagnostics } from '../../formatDiagnostics.js';
import { EXIT_FAILED, EXIT_OK, InputError, type CliIo } from '../../io.js';
import { sshAuth } from '../../sshAuth.js';
import { commandSafeJson, neutralizeWorkflowCommands } from '../../workflowCommands.js';
import { readSource, writeTopology } from '../../workingTree.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const text = (name: string) => (typeof options.values[name] === 'string' ? (options.values[name] as string) : undefined);
  const address = text('ssh-address');
  if (address === undefined) throw new InputError('enroll needs --ssh-address: where to reach the machine over SSH', 'FT506');
  const port = text('ssh-port');
  const user = text('ssh-user');
  const site = text('site');
  const roles = text('roles');
  const fingerprint = text('host-key-fingerprint');
  const host = options.arguments[0]!;

  const result = await enrollHost(
    {
      host,
      ssh: { address, ...(port ? { port: Number(port) } : {}), ...(user ? { user } : {}) },
      ...(site ? { site } : {}),
      ...(roles ? { roles: roles.split(',').map((r) => r.trim()).filter(Boolean) } : {}),
      ...(fingerprint ? { hostKeyFingerprint: fingerprint } : {}),
      trustOnFirstUse: options.values['trust-on-first-use'] === true,
    },
    {
      readTopology: () => readSource(io, options.topology),
      writeTopology: async (written) => writeTopology(io, options.topology, written),
      ...sshEffects(await sshAuth(io), io.connect ?? connectSsh),
    },
  );

  const failed = result.diagnostics.some((d) => d.severity === 'error');
  if (options.format === 'json') {
    const { text: _text, ...report } = result;
    io.stdout(`${commandSafeJson(JSON.stringify({ host, ...report }, null, 2))}\n`);
    return failed ? EXIT_FAILED : EXIT_OK;
  }
  if (result.diagnostics.length > 0) io.stderr(formatDiagnostics(result.diagnostics, options.format === 'github' ? 'github' : 'text'));
  if (failed) return EXIT_FAILED;
  const lines = [
    `${host}: SSH host key ${result.fingerprint} trusted`,
    `${host}: ${result.created ? 'made a new WireGuard key' : 'already had a WireGuard key'} in ${result.keyFile}; publicKey ${result.publicKey}`,
    result.written ? `${options.topology}: ${host} ${result.change}; run \`fortress render\`, commit both and open a pull request` : `${options.topology} already has ${host} as it is`,
  ];
  io.stdout(neutralizeWorkflowCommands(`${lines.join('\n')}\n`));
  return EXIT_OK;
}
