// A fortress mesh on one machine: a generated topology compiled in memory, one lab host per
// topology host on a shared underlay bridge, each with its rendered WireGuard config and its
// private key installed, ready for `wg-quick up`. Later labs add services (sshd, haproxy) on top.
import type { Compiled } from '../../../src/compile.js';
import type { RenderedFile } from '../../../src/render/renderedFile.js';
import { compileText } from '../../support/compileExample.js';
import { connectToBridge, createBridge, type Bridge } from './bridgeNamespace.js';
import { generateTopology } from '../../../bench/generateTopology.mjs';
import type { MeshShape } from '../../../src/validate/topologyInput.js';
import { createHostNamespace, type HostNamespace } from './hostNamespace.js';
import type { Lab } from './lab.js';
import { installWireguard } from './wireguardHost.js';

export interface MeshLabOptions {
  shape: MeshShape;
  hosts: number;
  /** The first three octets of the underlay /24; 198.18.0.0/15 is reserved for benchmarks (RFC 2544). */
  underlay?: string;
}

export interface MeshLabHost {
  name: string;
  isHub: boolean;
  meshAddress: string;
  underlayAddress: string;
  /** What the topology says; the live interface must show the same. */
  publicKey: string;
  ns: HostNamespace;
  /** Rendered files of this host, by their path on the host. */
  rendered: Map<string, RenderedFile>;
}

export interface MeshLab {
  compiled: Compiled;
  interfaceName: string;
  bridge: Bridge;
  hosts: MeshLabHost[];
}

export async function buildMeshLab(lab: Lab, options: MeshLabOptions): Promise<MeshLab> {
  const underlay = options.underlay ?? '198.18.0';
  if (options.hosts < 2 || options.hosts > 250) throw new Error('a mesh lab has 2 to 250 hosts');
  const underlayAddress = (index: number) => `${underlay}.${index + 1}`;
  const generated = generateTopology({ hosts: options.hosts, shape: options.shape, endpoint: (_name, index) => underlayAddress(index) });
  const compiled = compileText(generated.yaml);
  const interfaceName = compiled.model.mesh.interface;
  const order = Object.keys(generated.topology.hosts);

  const bridge = await createBridge(lab);
  const hosts = await settleAll(
    order.map(async (name, index): Promise<MeshLabHost> => {
      const model = compiled.model.hosts.find((h) => h.name === name);
      const privateKey = generated.privateKeys.get(name);
      if (!model || !privateKey) throw new Error(`generated host ${name} is missing from the compiled model or has no key`);
      const rendered = new Map(compiled.files.filter((f) => f.host === name && f.hostPath).map((f) => [f.hostPath as string, f]));
      const config = rendered.get(`/etc/wireguard/${interfaceName}.conf`);
      if (!config) throw new Error(`no rendered WireGuard config for ${name}`);

      const ns = await createHostNamespace(lab, `h${index}`);
      await connectToBridge(bridge, ns, index, `${underlayAddress(index)}/24`);
      await installWireguard(ns, { interfaceName, config: config.content, configMode: config.mode, privateKey });
      return { name, isHub: model.isHub, meshAddress: model.meshAddress, underlayAddress: underlayAddress(index), publicKey: model.publicKey, ns, rendered };
    }),
  );
  return { compiled, interfaceName, bridge, hosts };
}

/**
 * Like Promise.all, but waits for every host before failing: teardown must not race a host that is
 * still being created, or that host's namespace would outlive the run.
 */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
