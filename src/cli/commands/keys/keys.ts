// `fortress keys bootstrap <host>`: the private key is made on the host by `wg genkey` and never leaves it.
import { connectionPreconditions, unknownHost } from '../../../apply/hostJobs.js';
import { asRoot, shellQuote, SUDO_REFUSED, sudoRuleMissing } from '../../../apply/remoteScripts.js';
import { remoteText } from '../../../apply/remoteText.js';
import { connectSsh } from '../../../apply/sshConnection.js';
import { wireguardKeyFile } from '../../../render/wireguard/renderWireguardConfig.js';
import type { CliOptions } from '../../command.js';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../../io.js';
import { reportInvalid } from '../../report.js';
import { sshAuth } from '../../sshAuth.js';
import { annotation, commandSafeJson, neutralizeWorkflowCommands } from '../../workflowCommands.js';
import { compileWorkingTree } from '../../workingTree.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const hostName = options.arguments[1]!;
  const { compiled, code } = await compileWorkingTree(options, io);
  if (!compiled) return code;
  const host = compiled.model.hosts.find((h) => h.name === hostName);
  const refusals = host ? connectionPreconditions(host, compiled.locate) : [unknownHost(compiled.model, compiled.locate, hostName, 'keys bootstrap names')!];
  if (!host || !host.ssh?.hostKey || refusals.length > 0) return reportInvalid(refusals, options, io);
  const keyFile = wireguardKeyFile(compiled.model.mesh.interface);
  const auth = await sshAuth(io);
  const failed = (message: string): number => {
    const text = `${host.name}: ${message}`;
    io.stderr(options.format === 'github' ? `${annotation('error', { title: `fortress keys bootstrap ${host.name}` }, text)}\n` : neutralizeWorkflowCommands(`fortress: ${text}\n`));
    return EXIT_FAILED;
  };
  let remote;
  try {
    remote = await (io.connect ?? connectSsh)({ host: host.name, ...host.ssh, hostKey: host.ssh.hostKey }, auth);
  } catch (error) {
    return failed(`cannot connect: ${remoteText((error as Error).message)}`);
  }
  try {
    const script = `set -e\numask 077\nmkdir -p ${shellQuote(keyFile.replace(/\/[^/]*$/, ''))}\nkey=${shellQuote(keyFile)}\nif [ -s "$key" ]; then echo existing; else wg genkey > "$key.new" && mv "$key.new" "$key" && echo created; fi\nwg pubkey < "$key"\n`;
    const result = await remote.exec(asRoot(host.ssh.user, 'bash -s'), { stdin: script, timeoutMs: 30_000 });
    if (result.code !== 0) {
      const why = result.stderr.includes(SUDO_REFUSED) ? sudoRuleMissing(host.ssh.user) : remoteText(result.stderr) || `exit ${result.code}`;
      return failed(`could not create the key: ${why}`);
    }
    const [state, publicKey] = result.stdout.trim().split('\n');
    const created = state === 'created';
    if (options.format === 'json') {
      io.stdout(`${commandSafeJson(JSON.stringify({ host: host.name, keyFile, created, publicKey: remoteText(publicKey ?? '') }, null, 2))}\n`);
    } else {
      io.stdout(neutralizeWorkflowCommands(`${host.name}: ${created ? 'created a new WireGuard key' : 'already has a WireGuard key'} in ${keyFile}\npublicKey: ${remoteText(publicKey ?? '')}\n`));
    }
    return EXIT_OK;
  } catch (error) {
    return failed(remoteText((error as Error).message));
  } finally {
    remote.close();
  }
}
