// What each host should get, pure: the topology's hosts (for SSH and keys) joined with the rendered
// tree's files for them (for content, mode and reload action).
import type { Manifest } from '../emit/manifest.js';
import type { HostModel, TopologyModel } from '../model/topologyModel.js';
import type { HostJob } from './applyHost.js';

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
        files: manifest.files
          .filter((f) => f.host === host.name)
          .map((f) => ({ path: f.path, hostPath: f.hostPath!, mode: f.mode, reload: f.reload, sha256: f.sha256, content: files.get(f.path)! })),
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
