// `fortress keys bootstrap|rotate <host>`: a WireGuard key made on the host by `wg genkey`; only its
// public half comes back. Rotation leaves the new key beside the current one and writes its public
// key into the topology, so the switch goes through review and apply like any change.
import { connectionPreconditions, unknownHost } from '../../../apply/hostJobs.js';
import { remoteText } from '../../../apply/remoteText.js';
import { connectSsh } from '../../../apply/sshConnection.js';
import { ensureWireguardKey } from '../../../enroll/ensureWireguardKey.js';
import { writeHost } from '../../../enroll/writeHost.js';
import { wireguardKeyFile } from '../../../render/wireguard/renderWireguardConfig.js';
import type { CliOptions } from '../../command.js';
import { formatDiagnostics } from '../../formatDiagnostics.js';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../../io.js';
import { reportInvalid } from '../../report.js';
import { sshAuth } from '../../sshAuth.js';
import { annotation, commandSafeJson, neutralizeWorkflowCommands } from '../../workflowCommands.js';
import { compileWorkingTree, readSource, writeTopology } from '../../workingTree.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const [subcommand, hostName] = options.arguments as [string, string];
  const rotate = subcommand === 'rotate';
  const { compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  const host = compiled.model.hosts.find((h) => h.name === hostName);
  const refusals = host ? connectionPreconditions(host, compiled.locate) : [unknownHost(compiled.model, compiled.locate, hostName, `keys ${subcommand} names`)!];
  if (!host || !host.ssh?.hostKey || refusals.length > 0) return reportInvalid(refusals, options, io);
  const keyFile = `${wireguardKeyFile(compiled.model.mesh.interface)}${rotate ? '.next' : ''}`;
  const auth = await sshAuth(io);
  const failed = (message: string): number => {
    const text = `${host.name}: ${message}`;
    io.stderr(options.format === 'github' ? `${annotation('error', { title: `fortress keys ${subcommand} ${host.name}` }, text)}\n` : neutralizeWorkflowCommands(`fortress: ${text}\n`));
    return EXIT_FAILED;
  };
  let remote;
  try {
    remote = await (io.connect ?? connectSsh)({ host: host.name, ...host.ssh, hostKey: host.ssh.hostKey }, auth);
  } catch (error) {
    return failed(`cannot connect: ${remoteText((error as Error).message)}`);
  }
  let outcome;
  try {
    outcome = await ensureWireguardKey(remote, host.name, host.ssh.user, keyFile);
  } catch (error) {
    return failed(remoteText((error as Error).message));
  } finally {
    remote.close();
  }
  if ('diagnostic' in outcome) {
    io.stderr(formatDiagnostics([outcome.diagnostic], options.format === 'github' ? 'github' : 'text', { summary: false }));
    return EXIT_FAILED;
  }

  let topologyUpdated = false;
  if (rotate && outcome.publicKey !== host.publicKey) {
    const written = writeHost(await readSource(io, options.topology), { host: host.name, publicKey: outcome.publicKey, ssh: { address: host.ssh.address, hostKey: host.ssh.hostKey } });
    if (!written.text) return reportInvalid(written.diagnostics, options, io);
    writeTopology(io, options.topology, written.text);
    topologyUpdated = true;
  }

  const { created, publicKey } = outcome;
  if (options.format === 'json') {
    io.stdout(`${commandSafeJson(JSON.stringify({ host: host.name, keyFile, created, publicKey, ...(rotate ? { topologyUpdated } : {}) }, null, 2))}\n`);
  } else if (rotate) {
    io.stdout(
      neutralizeWorkflowCommands(
        `${host.name}: ${created ? 'made a new WireGuard key' : 'a new WireGuard key was already waiting'} in ${keyFile}\npublicKey: ${publicKey}\n` +
          (topologyUpdated ? `${options.topology}: ${host.name}'s publicKey updated; run \`fortress render\`, review and merge, and apply switches the host and its peers\n` : `${options.topology} already names this key\n`),
      ),
    );
  } else {
    io.stdout(neutralizeWorkflowCommands(`${host.name}: ${created ? 'created a new WireGuard key' : 'already has a WireGuard key'} in ${keyFile}\npublicKey: ${publicKey}\n`));
  }
  return EXIT_OK;
}
