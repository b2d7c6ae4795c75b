// rendered/manifest.json: every file with its host, path on the host, hash, mode and reload action,
// so apply (and a reviewer) can tell what belongs where without walking the tree; and the resolved
// facts of the mesh and each host, so a review of two rendered trees can say what changed in words
// (a host moved site, a peer went away) whether the old tree comes from git or from the disk.
import { createHash } from 'node:crypto';
import type { HostModel, MeshModel, SiteModel, TopologyModel } from '../model/topologyModel.js';
import type { RenderedFile } from '../render/renderedFile.js';

export const MANIFEST_PATH = 'manifest.json';

export interface ManifestEntry {
  path: string;
  host?: string;
  hostPath?: string;
  sha256: string;
  mode: string;
  reload: RenderedFile['reload'];
}

export interface HostFacts {
  site: string;
  roles: string[];
  stores: string[];
  meshAddress: string;
  endpoint?: string;
  publicKey: string;
  /** Names of the hosts this one has a [Peer] for. */
  peers: string[];
  /** Where apply connects, and the host key it trusts there: no file shows them, yet a change moves apply to another machine. */
  ssh?: { address: string; user: string; port: number; hostKey?: string };
  sysctl: Record<string, string>;
  loadBalancer?: {
    name: string;
    frontends: { name: string; bind: string; backend: string }[];
    backends: Record<string, { servers: { host: string; address: string; port: number; backup: boolean }[] }>;
  };
  /**
   * What the host's firewall lets in. `clients` as written, `clientHosts` resolved (sorted); both absent:
   * every mesh host. Absent in manifests written before fortress rendered firewalls.
   */
  firewall?: {
    services: { name: string; port: number; clients?: string[]; clientHosts?: string[] }[];
    frontends: { name: string; bind: string; allow?: string[] }[];
    /** Hubs only: the spoke-to-spoke traffic they forward, "postgres to oslo-db-02:5432". */
    forward?: { service: string; host: string; port: number; clients?: string[]; clientHosts?: string[] }[];
  };
}

export interface Manifest {
  version: 1;
  topology: string;
  source: string;
  mesh: Omit<MeshModel, 'prefixLength'>;
  sites: Record<string, Omit<SiteModel, 'name'>>;
  hosts: Record<string, HostFacts>;
  /** Policy renders no file, but a review must show when it is loosened. Absent in manifests of fortress 0.1. */
  policy?: { residency: Record<string, string[]> };
  /** Who may log in as the deploy user of a host that boots from its cloud-init.yaml. Absent in manifests before first-boot user-data. */
  deploy?: { authorizedKeys: string[] };
  files: ManifestEntry[];
}

export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export function buildManifest(model: TopologyModel, source: string, files: readonly RenderedFile[]): { manifest: Manifest; file: RenderedFile } {
  const { prefixLength: _, ...mesh } = model.mesh;
  const manifest: Manifest = {
    version: 1,
    topology: model.name,
    source,
    mesh,
    sites: Object.fromEntries(model.sites.map(({ name, ...site }) => [name, site])),
    hosts: Object.fromEntries(model.hosts.map((h) => [h.name, hostFacts(h)])),
    policy: { residency: Object.fromEntries(model.policy.residency) },
    deploy: { authorizedKeys: model.deploy.authorizedKeys },
    files: files.map((f) => ({
      path: f.path,
      ...(f.host === undefined ? {} : { host: f.host, hostPath: f.hostPath }),
      sha256: sha256(f.content),
      mode: `0${f.mode.toString(8)}`,
      reload: f.reload,
    })),
  };
  return { manifest, file: { path: MANIFEST_PATH, content: `${JSON.stringify(manifest, null, 2)}\n`, mode: 0o644, reload: 'none' } };
}

function hostFacts(host: HostModel): HostFacts {
  const lb = host.loadBalancer;
  return {
    site: host.site.name,
    roles: host.roles,
    stores: host.stores,
    meshAddress: host.meshAddress,
    ...(host.endpoint === undefined ? {} : { endpoint: host.endpoint }),
    publicKey: host.publicKey,
    peers: host.peers.map((p) => p.name),
    ...(host.ssh && { ssh: host.ssh }),
    sysctl: Object.fromEntries(host.sysctl),
    ...(lb && {
      loadBalancer: {
        name: lb.name,
        frontends: lb.frontends.map(({ name, bind, backend }) => ({ name, bind, backend })),
        backends: Object.fromEntries(lb.backends.map((b) => [b.name, { servers: b.servers.map(({ name, address, port, backup }) => ({ host: name, address, port, backup })) }])),
      },
    }),
    firewall: {
      services: host.firewall.services.map(({ name, port, clients }) => ({
        name,
        port,
        ...(clients.written && { clients: clients.written }),
        ...(clients.hosts && { clientHosts: clients.hosts.map((h) => h.name) }),
      })),
      frontends: host.firewall.frontends.map(({ name, bind, allow }) => ({ name, bind, ...(allow && { allow }) })),
      ...(host.firewall.forward && {
        forward: host.firewall.forward.map(({ service, host: server, port, clients }) => ({
          service,
          host: server,
          port,
          ...(clients.written && { clients: clients.written }),
          ...(clients.hosts && { clientHosts: clients.hosts.map((h) => h.name) }),
        })),
      }),
    },
  };
}
