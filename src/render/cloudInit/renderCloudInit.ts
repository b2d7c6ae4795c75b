// hosts/<host>/cloud-init.yaml: the host's first-boot user-data, for Terraform to hand to the cloud
// (aws_instance.user_data, google_compute_instance's metadata "user-data"). It installs the packages
// the host's roles need, creates the deploy user with the topology's keys and its sudo rule, writes
// every file fortress renders for the host with its mode, makes the WireGuard key on the host, and
// starts the mesh only when that key is the topology's publicKey.
//
// The file stays in the repository: it has no path on the host, so apply never installs it.
import type { HostModel, TopologyModel } from '../../model/topologyModel.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, type RenderContext, type RenderedFile } from '../renderedFile.js';
import { cloudInitPath } from './cloudInitPath.js';
import { literalBlock, yamlString } from './yamlText.js';

interface CloudInitTemplate {
  header: string;
  host: string;
  about: string;
  packages: string[];
  user: { name: string; isRoot: boolean; sudo?: string; keys: string[] };
  files: { hostPath: string; mode: string; encoding?: string; content: string }[];
  interface: string;
  publicKey: string;
  haproxy: boolean;
  presharedKeys: boolean;
}

const template = loadTemplate<CloudInitTemplate>(new URL('./cloud-init.yaml.hbs', import.meta.url));

/** The file contents sit under `    content: `, in a list item of write_files: six spaces in. */
const CONTENT_INDENT = 6;

/** `hostFiles`: the files rendered for this host that apply installs there, each with its hostPath. */
export function renderCloudInit(model: TopologyModel, host: HostModel, hostFiles: readonly RenderedFile[], context: RenderContext): RenderedFile {
  const user = host.deployUser;
  const haproxy = host.loadBalancer !== undefined;
  const packages = ['nftables', 'wireguard-tools', ...(haproxy ? ['haproxy'] : []), ...(user === 'root' ? [] : ['sudo'])].sort();
  const content = template({
    header: generatedHeader(context.source, model.name),
    host: host.name,
    about: `${host.roles.length > 0 ? `roles ${host.roles.join(', ')}` : 'no roles'}; site ${host.site.name}`,
    packages,
    user: {
      name: user,
      isRoot: user === 'root',
      // The rule the README and `fortress init`'s guide name: apply runs everything through `sudo -n`.
      ...(user === 'root' ? {} : { sudo: yamlString('ALL=(root) NOPASSWD: ALL') }),
      keys: model.deploy.authorizedKeys.map(yamlString),
    },
    files: hostFiles
      .filter((f): f is RenderedFile & { hostPath: string } => f.hostPath !== undefined)
      .sort((a, b) => (a.hostPath < b.hostPath ? -1 : a.hostPath > b.hostPath ? 1 : 0))
      .map((f) => {
        const mode = `0${f.mode.toString(8)}`;
        if (f.content === '') return { hostPath: f.hostPath, mode, content: '""' };
        const block = literalBlock(f.content, CONTENT_INDENT);
        return block === undefined
          ? { hostPath: f.hostPath, mode, encoding: 'b64', content: Buffer.from(f.content, 'utf8').toString('base64') }
          : { hostPath: f.hostPath, mode, content: block };
      }),
    interface: model.mesh.interface,
    publicKey: host.publicKey,
    haproxy,
    presharedKeys: model.mesh.presharedKeys,
  });
  return { path: cloudInitPath(host.name), content, mode: 0o644, reload: 'none' };
}
