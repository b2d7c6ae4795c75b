// What each host should get, pure: the topology's hosts (for SSH and keys) joined with the rendered
// tree's files for them (for content, mode and reload action); and what must hold before apply
// connects to any of them, as diagnostics pointing into the topology.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Manifest } from '../emit/manifest.js';
import type { Locate } from '../load/sourceDocument.js';
import type { HostModel, TopologyModel } from '../model/topologyModel.js';
import { didYouMean } from '../validate/suggest.js';
import type { HostJob } from './applyHost.js';

/**
 * Everything that would stop apply (or `apply --dry-run`) part-way, found before the first connection
 * and reported at once: hosts named by `--hosts` that do not exist, selected hosts fortress cannot
 * connect to, and what apply cannot do yet.
 */
export function applyPreconditions(model: TopologyModel, locate: Locate, only?: readonly string[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const name of only ?? []) {
    const unknown = unknownHost(model, locate, name, '--hosts names');
    if (unknown) diagnostics.push(unknown);
  }
  for (const host of model.hosts.filter((h) => !only || only.includes(h.name))) diagnostics.push(...connectionPreconditions(host, locate));
  return diagnostics;
}

/** A host named on the command line that the topology does not have, pointed at `hosts:` with the closest name. */
export function unknownHost(model: TopologyModel, locate: Locate, name: string, namedBy: string): Diagnostic | undefined {
  if (model.hosts.some((h) => h.name === name)) return undefined;
  return error('FT523', locate(['hosts'], 'key'), `${namedBy} "${name}", but the topology has no such host`, didYouMean(name, model.hosts.map((h) => h.name)));
}

/** fortress connects only with ssh settings and a pinned host key: without them a host is refused before anything starts. */
export function connectionPreconditions(host: HostModel, locate: Locate): Diagnostic[] {
  if (!host.ssh) return [error('FT520', locate(['hosts', host.name], 'key'), `host "${host.name}" has no ssh settings, so fortress cannot connect to it`, 'add ssh: { address, user, hostKey }')];
  if (!host.ssh.hostKey) {
    return [error('FT521', locate(['hosts', host.name, 'ssh'], 'key'), `host "${host.name}" pins no ssh.hostKey, and fortress only connects to a pinned host key`, "add ssh.hostKey: the host's public host key")];
  }
  return [];
}

export function hostJobs(model: TopologyModel, manifest: Manifest, files: ReadonlyMap<string, string>, only?: readonly string[]): HostJob[] {
  // Verification dials the first hub; a full mesh has none, so it dials the first host with an endpoint.
  const anchor = model.hosts.find((h) => h.isHub) ?? model.hosts.find((h) => h.endpoint !== undefined);
  return model.hosts
    .filter((h) => !only || only.includes(h.name))
    .map((host): HostJob => {
      const job: HostJob = {
        host: host.name,
        isHub: host.isHub,
        publicKey: host.publicKey,
        meshAddress: host.meshAddress,
        interfaceName: model.mesh.interface,
        // Only files with a path on the host: its cloud-init.yaml is first-boot user-data, which stays
        // in the repository for Terraform and is never installed.
        files: manifest.files
          .filter((f): f is typeof f & { hostPath: string } => f.host === host.name && f.hostPath !== undefined)
          .map((f) => ({ path: f.path, hostPath: f.hostPath, mode: f.mode, reload: f.reload, sha256: f.sha256, content: files.get(f.path)! })),
      };
      if (host.ssh) job.ssh = host.ssh;
      if (anchor && anchor !== host) job.verify = { publicKey: anchor.publicKey, address: anchor.meshAddress, port: verifyPort(anchor) };
      return job;
    });
}

/** A TCP port the anchor surely listens on at its mesh address: its SSH port (sshd binds every address). */
function verifyPort(anchor: HostModel): number {
  return anchor.ssh?.port ?? 22;
}
